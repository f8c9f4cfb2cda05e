"""The validator's findings over real projects stay exactly what they were: every finding
(info included) of every corpus project and of the generated benchmark history, compared with
a snapshot (tests/snapshots/validate_corpus_findings.json). A change that makes the validator
faster must leave it unchanged; a change to what a rule says updates it on purpose
(DBFLOW_UPDATE_SNAPSHOTS=1) and shows in review.

Each history is validated cold, then again from the cache the cold run wrote, then with one
more migration appended (the cached model resumes): all three must agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbflow.sql.parse import Script
from dbflow.validate import parse_ahead, replay
from dbflow.validate.cache_files import REPORT_FILE
from dbflow.validate.config import ValidateConfig
from dbflow.validate.findings import ValidationReport
from dbflow.validate.options import Options
from dbflow.validate.pipeline import validate_files
from dbflow.validate.run import history_files

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DBFLOW_CORPUS", REPO.parent / "shared" / "corpus"))
SNAPSHOT = REPO / "tests" / "snapshots" / "validate_corpus_findings.json"
_UPDATE = os.environ.get("DBFLOW_UPDATE_SNAPSHOTS") == "1"
GENERATED = "generated-200"

sys.path.insert(0, str(REPO / "benchmarks"))
from validate import build_corpus, migration  # noqa: E402  (the benchmark's own history)


def _projects() -> list[str]:
    if not CORPUS.is_dir():
        return [GENERATED]
    found = sorted(p.name for p in CORPUS.iterdir() if (p / "migrations").is_dir())
    return [*found, GENERATED]


def _history(name: str, tmp_path: Path) -> Path:
    """A project folder holding ``migrations/``, copied so the cache lands in tmp_path."""
    root = tmp_path / name
    if name == GENERATED:
        build_corpus(root, 200)
        (root / "migrations").symlink_to(root / "supabase" / "migrations")
    else:
        shutil.copytree(CORPUS / name / "migrations", root / "migrations")
    return root


def _rows(report: ValidationReport) -> list[list[object]]:
    return [
        [
            finding.rule_id,
            finding.severity,
            finding.path,
            finding.line,
            finding.column,
            finding.message,
            hashlib.sha256(finding.statement.encode()).hexdigest()[:12],
        ]
        for finding in report.findings
    ]


def _validate(root: Path, cache: Path) -> ValidationReport:
    files = history_files(root / "migrations")
    return validate_files(files, ValidateConfig(Options()), root=root, cache_path=cache)


def _snapshot() -> dict[str, object]:
    if SNAPSHOT.is_file():
        loaded: dict[str, object] = json.loads(SNAPSHOT.read_text())
        return loaded
    return {}


@pytest.mark.parametrize("name", _projects())
def test_findings_are_unchanged_cold_warm_and_resumed(name: str, tmp_path: Path) -> None:
    root = _history(name, tmp_path)
    cache = tmp_path / "cache" / "validate.json"
    cold = _rows(_validate(root, cache))
    assert cache.is_file(), "a cold run leaves its cache for the next"
    assert _rows(_validate(root, cache)) == cold, "the kept report is the cold run's"
    cache.with_name(REPORT_FILE).unlink()
    warm = _rows(_validate(root, cache))
    assert warm == cold, "findings and model from the cache are the cold run's"
    folder = root / "migrations"
    extra = folder.resolve() / "29990101000000_appended.sql"
    extra.write_text(migration(9999))
    resumed = _rows(_validate(root, cache))
    extra.unlink()
    appended = extra.name
    assert [row for row in resumed if not str(row[2]).endswith(appended)] == cold

    snapshot = _snapshot()
    if _UPDATE:
        snapshot[name] = cold
        SNAPSHOT.write_text(json.dumps(snapshot, indent=0, sort_keys=True) + "\n")
        return
    assert name in snapshot, f"{name}: not in {SNAPSHOT.name} (DBFLOW_UPDATE_SNAPSHOTS=1 adds it)"
    assert cold == snapshot[name]


@pytest.mark.parametrize("name", [GENERATED, "epic-hq__Insights"])
def test_parsing_ahead_on_a_second_core_changes_nothing(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsed by a worker process ahead of the rules, or here one by one: the same findings
    (the parse cache of this process is emptied before each, so both really parse)."""
    if name != GENERATED and not (CORPUS / name).is_dir():
        pytest.skip(f"the corpus project {name} is not here")
    if not parse_ahead.spare_core():
        pytest.skip("a single core (or threads running): no worker is started")
    root = _history(name, tmp_path)
    workers = []
    in_worker = parse_ahead._in_worker

    def counted(items: list[tuple[str, str]]) -> Iterator[tuple[str, Script]]:
        workers.append(len(items))
        return in_worker(items)

    monkeypatch.setattr(parse_ahead, "_in_worker", counted)
    monkeypatch.setattr(parse_ahead, "AHEAD_FROM_FILES", 1)
    found = {}
    for ahead in ("1", "0"):
        replay._parse_cache.clear()
        monkeypatch.setenv("DBFLOW_PARSE_AHEAD", ahead)
        found[ahead] = _rows(_validate(root, tmp_path / f"cache-{ahead}" / "validate.json"))
        assert len(workers) == 1, "a worker parses ahead with 1, none with 0"
    assert found["1"] == found["0"] == _snapshot()[name]


def test_a_worker_that_cannot_start_or_dies_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No fork (too many processes), or a worker that dies after two files: the run parses
    the rest itself and reports the same findings."""
    root = _history(GENERATED, tmp_path)
    monkeypatch.setattr(parse_ahead, "AHEAD_FROM_FILES", 1)
    monkeypatch.setattr(parse_ahead, "spare_core", lambda: True)
    expected = _snapshot()[GENERATED]

    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(parse_ahead.os, "fork", no_fork)
        replay._parse_cache.clear()
        assert _rows(_validate(root, tmp_path / "no-fork" / "validate.json")) == expected

    parent = os.getpid()
    parsed = parse_ahead._parsed
    done: list[int] = []

    def dies_in_the_worker(text: str) -> Script:
        done.append(1)
        if os.getpid() != parent and len(done) > 2:
            os._exit(3)
        return parsed(text)

    monkeypatch.setattr(parse_ahead, "_parsed", dies_in_the_worker)
    replay._parse_cache.clear()
    assert _rows(_validate(root, tmp_path / "dies" / "validate.json")) == expected
