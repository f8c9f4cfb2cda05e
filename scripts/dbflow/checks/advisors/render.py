"""What ``inv db.advisors`` prints: text by category, JSON, or SARIF for code scanning."""

from __future__ import annotations

import json
from dataclasses import asdict

from dbflow.checks.advisors.lints import LINTS
from dbflow.checks.advisors.run import AdvisorReport
from dbflow.report.sarif import LEVELS, sarif_log


def render_advisors(report: AdvisorReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "target": report.target,
                "errors": report.count("ERROR"),
                "warnings": report.count("WARN"),
                "info": report.count("INFO"),
                "skipped": report.skipped,
                "findings": [
                    {**asdict(finding), "cache_key": finding.cache_key}
                    for finding in report.findings
                ],
            },
            indent=2,
        )
    if fmt == "sarif":
        return _sarif(report)
    lines = []
    for category in ("SECURITY", "PERFORMANCE"):
        found = [f for f in report.findings if f.category == category]
        if not found:
            continue
        lines.append(f"{category.lower()}:")
        for finding in found:
            lines.append(f"  {finding.level:<5} {finding.lint}: {finding.object}: {finding.detail}")
    lines += [f"skipped {line}" for line in report.skipped]
    lines.append(
        f"{report.target}: {report.count('ERROR')} error(s), {report.count('WARN')} warning(s), "
        f"{report.count('INFO')} info"
    )
    return "\n".join(lines)


def _sarif(report: AdvisorReport) -> str:
    index = {lint.name: number for number, lint in enumerate(LINTS)}
    return sarif_log(
        "dbflow advisors",
        [
            {
                "id": lint.name,
                "name": lint.title,
                "shortDescription": {"text": lint.title},
                "fullDescription": {"text": lint.description},
                "helpUri": lint.remediation,
                "defaultConfiguration": {"level": LEVELS[lint.level]},
                "properties": {"tags": [lint.category.lower()]},
            }
            for lint in LINTS
        ],
        [
            {
                "ruleId": finding.lint,
                "ruleIndex": index[finding.lint],
                "level": LEVELS[finding.level],
                "message": {"text": f"{finding.object}: {finding.detail}"},
                "locations": [
                    {"logicalLocations": [{"fullyQualifiedName": finding.object, "kind": "object"}]}
                ],
                "partialFingerprints": {"cacheKey": finding.cache_key},
            }
            for finding in report.findings
        ],
    )
