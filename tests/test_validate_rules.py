"""Every rule's own bad and good examples (the ones printed in the rule reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbflow.validate.rules import Options, Rule, all_rules
from tests.validate_helpers import run

# Rules whose examples cannot be a single file (two files, bytes that are not UTF-8): each has
# a dedicated test in test_validate.py.
NOT_EXAMPLE_TESTABLE = {"HYG05", "HYG07"}
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


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_bad_example_is_flagged(tmp_path: Path, rule: Rule) -> None:
    found = _example_findings(tmp_path, rule, rule.bad)
    assert rule.id in [rule_id for rule_id, _, _ in found], found


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_good_example_is_not_flagged(tmp_path: Path, rule: Rule) -> None:
    found = _example_findings(tmp_path, rule, rule.good)
    assert rule.id not in [rule_id for rule_id, _, _ in found], found


def test_every_rule_documents_itself() -> None:
    for rule in all_rules():
        assert rule.message and rule.why and rule.bad and rule.good and rule.fix, rule.id
        assert rule.severity in ("error", "warning", "info")
        assert rule.message[0].isupper() and not rule.message.endswith("."), rule.id
