"""What a validation run reports: findings, the report, and the baseline of accepted ones."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.report.files import write_output
from dbflow.validate.options import Severity

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


# The rules validate.fixes can fix (its FIXERS; a test keeps the two equal): a report whose
# findings are of other rules only does not load the fixers.
FIXABLE_RULES = frozenset({"LCK01", "LCK08", "LCK12", "LCK15", "TXN04"})


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    statement: str
    fix: str

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: rule, file name and the statement's text."""
        normalized = " ".join(self.statement.split())
        digest = hashlib.sha256(f"{self.rule_id}|{Path(self.path).name}|{normalized}".encode())
        return digest.hexdigest()[:32]

    @property
    def order(self) -> tuple[str, int, int, int, str]:
        """Reports list findings by place, the most severe first on one spot."""
        return (self.path, self.line, self.column, -SEVERITY_RANK[self.severity], self.rule_id)


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    statements: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # about the run itself, e.g. the cache
    # finding's index -> its fix as the reports carry it (validate.fix_plan.describe_fixes)
    fixes: dict[int, dict[str, object]] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def fails(self, fail_on: str) -> bool:
        threshold = SEVERITY_RANK[fail_on]
        return any(SEVERITY_RANK[finding.severity] >= threshold for finding in self.findings)


def load_baseline(path: Path) -> set[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return set(data.get("fingerprints", []))


def write_baseline(path: Path, report: ValidationReport) -> None:
    data = {"fingerprints": sorted({finding.fingerprint for finding in report.findings})}
    write_output(path, json.dumps(data, indent=2) + "\n")
