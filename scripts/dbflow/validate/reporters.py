"""Render findings as text (with a code frame), JSON, GitHub annotations or SARIF 2.1.0.

The JSON schema (``dbflow.validate/1``) is stable::

    {"schema": "dbflow.validate/1",
     "summary": {"files": 5, "statements": 57, "error": 0, "warning": 1, "info": 2,
                 "seconds": 0.01},
     "findings": [{"rule": "DAT01", "name": "drop-table", "severity": "error",
                   "message": "...", "file": "supabase/migrations/x.sql",
                   "line": 3, "column": 1, "statement": "drop table ...",
                   "fix": "...", "fingerprint": "...",
                   "autofix": {...}}]}

``autofix`` is there for a finding ``db.validate --fix`` knows how to rewrite: its title,
its applicability (safe, or unsafe: it changes behaviour), the replacement of the finding's
statement (``replace``: start and end line and column, the new text) and the migrations
it adds after the file (``new_files``); or, where it cannot be automatic, applicability
``none`` and the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from dbflow.redact import mask_sql_secrets
from dbflow.report.annotations import Level, annotation
from dbflow.report.sarif import LEVELS, sarif_log
from dbflow.validate.findings import Finding, ValidationReport

DOCS = "docs/wiki/validation-rules.md"


def render(report: ValidationReport, fmt: str, root: Path, *, colour: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "github":
        return render_github(report)
    if fmt == "sarif":
        return render_sarif(report)
    return render_text(report, root, colour=colour)


def summary_line(report: ValidationReport) -> str:
    parts = [
        f"{report.count('error')} error(s)",
        f"{report.count('warning')} warning(s)",
        f"{report.count('info')} info",
    ]
    return (
        f"{', '.join(parts)} in {report.files} file(s), {report.statements} statement(s), "
        f"{report.seconds:.2f} s"
    )


def render_text(report: ValidationReport, root: Path, *, colour: bool = False) -> str:
    styles = {"error": "31;1", "warning": "33;1", "info": "36"}
    lines: list[str] = []
    texts: dict[str, list[str]] = {}
    for finding in report.findings:
        severity: str = finding.severity
        if colour:
            severity = f"\x1b[{styles[finding.severity]}m{severity}\x1b[0m"
        lines.append(
            f"{finding.path}:{finding.line}:{finding.column}: {severity} "
            f"{finding.rule_id} {finding.rule_name}: {mask_sql_secrets(finding.message)}"
        )
        source = texts.setdefault(finding.path, _read_lines(root / finding.path))
        if 0 < finding.line <= len(source):
            code = mask_sql_secrets(source[finding.line - 1].rstrip())
            gutter = f"{finding.line:>5} | "
            lines.append(f"{gutter}{code}")
            lines.append(" " * (len(gutter) - 2) + "| " + " " * (finding.column - 1) + "^")
        lines.append(f"      fix: {finding.fix}")
        lines.append(f"      see: {DOCS}#{finding.rule_id.lower()}")
        lines.append("")
    lines.append(summary_line(report))
    return "\n".join(lines)


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _finding_json(finding: Finding, fix: dict[str, object] | None) -> dict[str, object]:
    document: dict[str, object] = {
        "rule": finding.rule_id,
        "name": finding.rule_name,
        "severity": finding.severity,
        "message": mask_sql_secrets(finding.message),
        "file": finding.path,
        "line": finding.line,
        "column": finding.column,
        "statement": mask_sql_secrets(finding.statement),
        "fix": finding.fix,
        "fingerprint": finding.fingerprint,
    }
    if fix is not None:
        document["autofix"] = fix
    return document


def render_json(report: ValidationReport) -> str:
    document = {
        "schema": "dbflow.validate/1",
        "summary": {
            "files": report.files,
            "statements": report.statements,
            "error": report.count("error"),
            "warning": report.count("warning"),
            "info": report.count("info"),
            "seconds": round(report.seconds, 4),
        },
        "findings": [],
    }
    # One finding per line, written by the C encoder (indent= would use the slow Python one).
    head = json.dumps(document, indent=2).rsplit("[]", 1)[0]
    rows = ",\n    ".join(
        json.dumps(_finding_json(finding, report.fixes.get(index)))
        for index, finding in enumerate(report.findings)
    )
    return f"{head}[\n    {rows}\n  ]\n}}" if rows else f"{head}[]\n}}"


def render_github(report: ValidationReport) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    command: dict[str, Level] = {"error": "error", "warning": "warning", "info": "notice"}
    lines = [
        annotation(
            command[finding.severity],
            f"{mask_sql_secrets(finding.message)}. Fix: {finding.fix}",
            file=finding.path,
            line=finding.line,
            column=finding.column,
            title=f"{finding.rule_id} {finding.rule_name}",
        )
        for finding in report.findings
    ]
    lines.append(summary_line(report))
    return "\n".join(lines)


def render_sarif(report: ValidationReport) -> str:
    from dbflow.validate.rules import all_rules  # the rule reference, for SARIF only

    rules = all_rules()
    numbers = {rule.id: number for number, rule in enumerate(rules)}
    return sarif_log(
        "dbflow",
        [
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.message},
                "fullDescription": {"text": rule.why},
                "help": {"text": rule.fix},
                "defaultConfiguration": {"level": LEVELS[rule.severity]},
            }
            for rule in rules
        ],
        [
            {
                "ruleId": finding.rule_id,
                "ruleIndex": numbers.get(finding.rule_id, 0),
                "level": LEVELS[finding.severity],
                "message": {"text": mask_sql_secrets(finding.message)},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": finding.path},
                            "region": {"startLine": finding.line, "startColumn": finding.column},
                        }
                    }
                ],
                "partialFingerprints": {"dbflow/v1": finding.fingerprint},
                **_sarif_fixes(finding, report.fixes.get(index)),
            }
            for index, finding in enumerate(report.findings)
        ],
    )


def _sarif_fixes(finding: Finding, fix: dict[str, object] | None) -> dict[str, object]:
    """SARIF's ``fixes`` of a result: the statement's replacement and the new migrations."""
    if fix is None or fix.get("applicability") == "none":
        return {}
    replace = fix["replace"]
    assert isinstance(replace, dict)
    region = {
        "startLine": replace["start_line"], "startColumn": replace["start_column"],
        "endLine": replace["end_line"], "endColumn": replace["end_column"],
    }  # fmt: skip
    changes: list[dict[str, object]] = [
        {
            "artifactLocation": {"uri": finding.path},
            "replacements": [
                {"deletedRegion": region, "insertedContent": {"text": replace["text"]}}
            ],
        }
    ]
    for new in fix.get("new_files") or []:  # type: ignore[attr-defined]
        changes.append(
            {
                "artifactLocation": {"uri": new["file"]},
                "replacements": [
                    {
                        "deletedRegion": {"startLine": 1, "startColumn": 1},
                        "insertedContent": {"text": new["text"]},
                    }
                ],
            }
        )
    title = f"{fix['title']} ({fix['applicability']})"
    return {"fixes": [{"description": {"text": title}, "artifactChanges": changes}]}
