"""``inv db.drift``: the scheduled drift check. Staging and production are each compared with
the migrations, and staging with production; every comparison's JSON report is written to a
folder (the workflow uploads it), one Slack-compatible message goes to a webhook when any
differs, and the run fails.

A place without a URL (no ``STAGING_DATABASE_URL``, say) is skipped and said; a place that
cannot be reached fails the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.config import Settings, resolve_target
from dbflow.errors import ConfigError
from dbflow.report.files import write_output
from dbflow.schema.diff.compare import DiffResult, diff_databases
from dbflow.schema.diff.report import drift_summary, render_json
from dbflow.webhook import post_json

COMPARISONS = (("migrations", "staging"), ("migrations", "production"), ("production", "staging"))


@dataclass
class DriftCheck:
    results: list[DiffResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)

    @property
    def drifted(self) -> list[DiffResult]:
        return [result for result in self.results if result.drifted]


def check_drift(
    settings: Settings, report_dir: Path, note: Callable[[str], None] = lambda line: None
) -> DriftCheck:
    check = DriftCheck()
    report_dir.mkdir(parents=True, exist_ok=True)
    for source, target in COMPARISONS:
        missing = _unconfigured(settings, (source, target))
        if missing:
            check.skipped.append(f"{target} against {source}: {missing}")
            note(f"skipped {target} against {source}: {missing}")
            continue
        result = diff_databases(settings, source, target)
        report = report_dir / f"{target}-vs-{source}.json"
        write_output(report, render_json(result) + "\n")
        check.results.append(result)
        check.reports.append(report)
        note(f"drift: {drift_summary(result)}" if result.drifted else f"{target} matches {source}")
    return check


def _unconfigured(settings: Settings, sides: tuple[str, str]) -> str | None:
    for side in sides:
        if side == "migrations":
            continue
        try:
            resolve_target(settings, side)
        except ConfigError as exc:
            return exc.message
    return None


def drift_message(check: DriftCheck) -> dict[str, object]:
    """A short Slack-compatible message: one line per comparison that differs."""
    lines = [f"• {drift_summary(result)}" for result in check.drifted]
    return {
        "text": "Schema drift found by the weekly check:\n" + "\n".join(lines),
        "comparisons": [
            {
                "from": result.source,
                "to": result.target,
                "changes": [f"{d.kind} {d.name}: {d.change}" for d in result.differences[:50]],
            }
            for result in check.drifted
        ],
    }


def alert(webhook: str, check: DriftCheck) -> str | None:
    return post_json(webhook, drift_message(check))
