"""`dbflow db.init` in an existing Supabase project: it writes the workflow's files without
overwriting anything, a second run changes nothing, the written workflows pass actionlint and
zizmor, and the project then works through `inv` (on a bare project and on every corpus
project, as each is published: only its supabase/ folder)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from dbflow.testing.plugin import free_port, scratch_dir
from dbflow.workflows.init import TEMPLATES, rendered
from tests.cli_helpers import DBFLOW, INV, REPO, assert_no_traceback, run

CORPUS = REPO.parent / "shared" / "corpus"
WORKFLOWS = sorted(path for path, _ in TEMPLATES if path.startswith(".github/"))
# Projects whose migrations cannot apply anywhere (tests/test_corpus.py says why).
CANNOT_APPLY = {"coinhub-uit/server", "different-ai/embedbase"}


@contextmanager
def supabase_project(source: Path | None = None) -> Iterator[tuple[Path, dict[str, str]]]:
    """A folder holding only a supabase/ folder (a corpus project's migrations, seed.sql and
    config.toml when ``source`` is given), and the environment that gives its engine a free
    port. The engine is stopped and the folder removed at the end."""
    root = scratch_dir("dbflow-init-")
    env = {"DBFLOW_PORT": str(free_port())}
    folder = root / "supabase"
    (folder / "migrations").mkdir(parents=True)
    if source is not None:
        shutil.rmtree(folder / "migrations")
        shutil.copytree(source / "migrations", folder / "migrations")
        for name in ("seed.sql", "config.toml"):
            if (source / name).is_file():
                shutil.copy(source / name, folder / name)
    try:
        yield root, env
    finally:
        run(root, DBFLOW, "db.stop", env=env)
        shutil.rmtree(root, ignore_errors=True)


def _lint_workflows(root: Path) -> None:
    files = [str(root / path) for path in WORKFLOWS]
    tools = Path(sys.executable).parent
    for command in (
        [str(tools / "actionlint"), *files],
        [str(tools / "zizmor"), "--offline", "--min-severity", "medium", *files],
    ):
        if not Path(command[0]).is_file():
            pytest.skip(f"{Path(command[0]).name} is not installed: pip install -e '.[dev]'")
        linted = subprocess.run(command, capture_output=True, text=True, check=False)
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_init_writes_the_workflow_and_a_second_run_changes_nothing() -> None:
    with supabase_project() as (root, env):
        first = run(root, DBFLOW, "db.init", env=env)
        assert_no_traceback(first)
        assert first.returncode == 0, first.stderr
        for path, _ in TEMPLATES:
            assert (root / path).is_file(), path
            assert f"wrote {path}" in first.stdout, first.stdout
        assert "[tool.dbflow]" in (root / "pyproject.toml").read_text()
        requirement = (root / "requirements-dev.txt").read_text()
        assert "dbflow" in requirement
        ci = (root / ".github/workflows/ci.yml").read_text()
        assert "python -m pip install -r requirements-dev.txt" in ci and "-e ." not in ci
        assert ".dbflow/" in (root / ".gitignore").read_text()
        assert "inv db.reset" in first.stdout  # the next commands
        _assert_validator_cache_restored(root / ".github/workflows/ci.yml")

        before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
        second = run(root, DBFLOW, "db.init", env=env)
        assert second.returncode == 0 and "wrote" not in second.stdout, second.stdout
        after = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
        assert after == before

        _lint_workflows(root)
        listed = run(root, INV, "--list", env=env)
        assert listed.returncode == 0 and "db.reset" in listed.stdout, listed.stderr
        reset = run(root, INV, "db.reset", env=env, timeout=600)
        assert reset.returncode == 0, reset.stderr[-3000:]
        assert run(root, INV, "db.validate", env=env).returncode == 0


def _assert_validator_cache_restored(workflow: Path) -> None:
    """The job that validates restores .dbflow/cache first (actions/cache saves it after the
    job), keyed on the migrations' hashes: CI runs warm after its first run."""
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    for job in jobs.values():
        steps = job["steps"]
        runs = [str(step.get("run", "")) for step in steps]
        validating = [i for i, command in enumerate(runs) if "dbflow-validate" in command]
        if not validating:
            continue
        caches = [
            i
            for i, step in enumerate(steps)
            if str(step.get("uses", "")).startswith("actions/cache@")
            and step["with"]["path"] == ".dbflow/cache"
            and "hashFiles('supabase/migrations/**'" in step["with"]["key"]
        ]
        assert caches and caches[0] < validating[0], workflow
        return
    raise AssertionError(f"{workflow}: no job runs dbflow-validate")


def test_this_repositorys_ci_keeps_the_validator_cache() -> None:
    _assert_validator_cache_restored(REPO / ".github/workflows/ci.yml")


def test_init_outside_a_supabase_project_is_one_line_and_writes_nothing() -> None:
    root = scratch_dir("dbflow-init-none-")
    try:
        refused = run(root, DBFLOW, "db.init")
        assert_no_traceback(refused)
        assert refused.returncode == 1 and "no supabase/ folder" in refused.stderr, refused.stderr
        assert list(root.iterdir()) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_init_leaves_what_exists_and_adds_to_what_the_project_keeps() -> None:
    with supabase_project() as (root, env):
        (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
        (root / "requirements-dev.txt").write_text("pytest==8.3.0")  # no newline at the end
        (root / "tasks.py").write_text("# the project's own tasks\n")
        result = run(root, DBFLOW, "db.init", env=env)
        assert result.returncode == 0, result.stderr
        assert (root / "tasks.py").read_text() == "# the project's own tasks\n"
        assert "left alone tasks.py" in result.stdout, result.stdout
        pyproject = (root / "pyproject.toml").read_text()
        assert pyproject.startswith('[project]\nname = "app"\n') and "[tool.dbflow]" in pyproject
        lines = (root / "requirements-dev.txt").read_text().splitlines()
        assert lines[0] == "pytest==8.3.0" and lines[1].startswith("dbflow")
        forced = run(root, DBFLOW, "db.init", "--force", env=env)
        assert forced.returncode == 0, forced.stderr
        assert (
            "replaced tasks.py:" in forced.stdout and "-# the project's own tasks" in forced.stdout
        )
        assert "from dbflow.tasks import ns" in (root / "tasks.py").read_text()


def test_init_records_the_existing_findings_as_a_baseline() -> None:
    with supabase_project() as (root, env):
        (root / "supabase/migrations/20250101000000_t.sql").write_text(
            "create table public.t (id bigint primary key);\n"  # no RLS: an error
        )
        offered = run(root, DBFLOW, "db.init", env=env)
        assert "would fail the first CI run" in offered.stdout, offered.stdout
        assert run(root, INV, "db.validate", env=env).returncode == 1
        recorded = run(root, DBFLOW, "db.init", "--baseline", env=env)
        assert "recorded" in recorded.stdout, recorded.stdout
        assert (
            'baseline = "supabase/validate-baseline.json"' in (root / "pyproject.toml").read_text()
        )
        assert run(root, INV, "db.validate", env=env).returncode == 0  # old findings accepted
        (root / "supabase/migrations/20250102000000_u.sql").write_text(
            "create table public.u (id bigint primary key);\n"
        )
        assert run(root, INV, "db.validate", env=env).returncode == 1  # a new one fails


def test_this_repository_uses_the_files_db_init_writes() -> None:
    """This repository's deploy and drift workflows, .env.example and assistant commands are
    the files db.init writes (installing dbflow from the checkout)."""
    for path, name in TEMPLATES:
        if path.endswith("ci.yml") or not (REPO / path).is_file() or path == "noxfile.py":
            continue  # this repository's ci.yml and noxfile also check dbflow itself
        if path in ("tasks.py", ".pre-commit-config.yaml") or path.startswith("seeds/"):
            continue  # this repository's own: the example app's seeds, its hooks
        expected = rendered(name, "python -m pip install -e .", "requirements-dev.txt")
        assert (REPO / path).read_text() == expected, path


def _corpus() -> list[str]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(newline="") as handle:
        return [row["repo"] for row in csv.DictReader(handle, delimiter="\t")]


@pytest.mark.parametrize("repo", _corpus())
def test_init_on_a_real_project(repo: str) -> None:
    with supabase_project(CORPUS / repo.replace("/", "__")) as (root, env):
        init = run(root, DBFLOW, "db.init", env=env, timeout=600)
        assert_no_traceback(init)
        assert init.returncode == 0, init.stderr
        _lint_workflows(root)
        reset = run(root, INV, "db.reset", env=env, timeout=900)
        assert_no_traceback(reset)
        if repo in CANNOT_APPLY:  # one clear error, as tests/test_corpus.py checks in detail
            assert reset.returncode == 1 and "error:" in reset.stderr, reset.stderr[-2000:]
            return
        assert reset.returncode == 0, reset.stderr[-3000:]
        validated = run(root, INV, "db.validate", "--format", "json", env=env, timeout=600)
        assert_no_traceback(validated)
        assert validated.returncode in (0, 1), validated.stderr  # 1: the project's own errors
        again = run(root, DBFLOW, "db.init", env=env, timeout=600)
        assert again.returncode == 0 and "wrote" not in again.stdout, again.stdout
