"""Every rule's own examples: the bad and good one printed in the rule reference, and the
more cases declared beside the rule (``cases=``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dbflow.validate.rules import Case, Options, Rule, all_rules
from tests.validate_helpers import run

# Rules whose examples cannot be a single file (two files, bytes that are not UTF-8, a symbolic
# link): each has a dedicated test in test_validate.py.
NOT_EXAMPLE_TESTABLE = {"HYG05", "HYG07", "HYG08"}
EXAMPLE_OPTIONS = {"LCK17": Options(runner_sets_lock_timeout=False)}

RULES = [rule for rule in all_rules() if rule.id not in NOT_EXAMPLE_TESTABLE]


def _files(rule: Rule, example: str) -> list[str | tuple[str, str]]:
    files: list[str | tuple[str, str]] = []
    if rule.given:
        files.append(("20250101000000_given.sql", rule.given + "\n"))
    name = "20250101000100_example.sql"
    first_line = example.splitlines()[0] if example else ""
    if first_line.startswith("-- file: "):
        name = Path(first_line.removeprefix("-- file: ")).name
    files.append((name, example + "\n"))
    return files


def _example_findings(tmp_path: Path, rule: Rule, example: str) -> list[tuple[str, str, int]]:
    report = run(tmp_path, *_files(rule, example), options=EXAMPLE_OPTIONS.get(rule.id))
    return [(f.rule_id, f.path, f.line) for f in report.findings]


# What each rule says, where: its bad example's and its flagged cases' findings (line and
# message), kept as a snapshot beside the tests, as squawk snapshots its violations. A change
# to a message or a line shows in review; DBFLOW_UPDATE_SNAPSHOTS=1 writes the file anew.
SNAPSHOT = Path(__file__).parent / "snapshots" / "validate_rules.json"
_UPDATE = os.environ.get("DBFLOW_UPDATE_SNAPSHOTS") == "1"
_snapshot: dict[str, list[list[object]]] = (
    json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.exists() and not _UPDATE else {}
)


def _said(key: str, findings: list[list[object]]) -> None:
    """The rule's findings are what the snapshot says (or become it, when updating)."""
    if _UPDATE:
        _snapshot[key] = findings
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(_snapshot, indent=1, sort_keys=True) + "\n", "utf-8")
        return
    assert key in _snapshot, f"{key}: not in {SNAPSHOT.name} (DBFLOW_UPDATE_SNAPSHOTS=1 adds it)"
    assert findings == _snapshot[key], key


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_bad_example_is_flagged(tmp_path: Path, rule: Rule) -> None:
    report = run(tmp_path, *_files(rule, rule.bad), options=EXAMPLE_OPTIONS.get(rule.id))
    found = [[f.line, f.message] for f in report.findings if f.rule_id == rule.id]
    assert found, [(f.rule_id, f.line) for f in report.findings]
    _said(f"{rule.id} bad", found)


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_good_example_is_not_flagged(tmp_path: Path, rule: Rule) -> None:
    found = _example_findings(tmp_path, rule, rule.good)
    assert rule.id not in [rule_id for rule_id, _, _ in found], found


CASES = [(rule, case) for rule in RULES for case in rule.cases]


@pytest.mark.parametrize(
    ("rule", "case"), CASES, ids=[f"{rule.id}-{case.note}" for rule, case in CASES]
)
def test_case(tmp_path: Path, rule: Rule, case: Case) -> None:
    given = rule.given if case.given is None else case.given
    files: list[str | tuple[str, str]] = []
    if given:
        files.append(("20250101000000_given.sql", given + "\n"))
    first_line = case.sql.splitlines()[0]
    name = "20250101000100_example.sql"
    if first_line.startswith("-- file: "):
        name = Path(first_line.removeprefix("-- file: ")).name
    files.append((name, case.sql + "\n"))
    if case.later:
        files.append(("20250101000200_later.sql", case.later + "\n"))
    report = run(tmp_path, *files, options=EXAMPLE_OPTIONS.get(rule.id))
    found = [(f.rule_id, f.path, f.line, f.message, f.severity) for f in report.findings]
    example = [item for item in found if item[0] == rule.id and item[1].endswith(name)]
    if case.flagged:
        assert example, f"{rule.id} should flag: {case.note}\n{found}"
        severities = {item[4] for item in example}
        assert severities == {case.severity or rule.severity}, found
        _said(f"{rule.id} case: {case.note}", [[item[2], item[3]] for item in example])
    else:
        assert not [item for item in found if item[0] == rule.id], f"{case.note}\n{found}"


def test_every_rule_documents_itself() -> None:
    for rule in all_rules():
        assert rule.message and rule.why and rule.bad and rule.good and rule.fix, rule.id
        assert rule.severity in ("error", "warning", "info")
        assert rule.message[0].isupper() and not rule.message.endswith("."), rule.id


def test_every_rule_is_found_from_its_id() -> None:
    """A rule's function has the rule's name, the reference names its file, and the numbers
    of a family no rule has are listed rather than left as gaps."""
    from dbflow.validate.docs import source_file
    from dbflow.validate.rules import FAMILIES, UNASSIGNED

    rules = all_rules()
    for rule in rules:
        assert rule.check.__name__ == rule.name.replace("-", "_"), rule.id
        assert (Path(__file__).parents[1] / source_file(rule)).is_file(), rule.id
    taken = {rule.id for rule in rules}
    assert not taken & set(UNASSIGNED)
    for family in FAMILIES:
        numbers = [int(rule_id[3:]) for rule_id in taken | set(UNASSIGNED) if rule_id[:3] == family]
        assert sorted(numbers) == list(range(1, max(numbers) + 1)), family
