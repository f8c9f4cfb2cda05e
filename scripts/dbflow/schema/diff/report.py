"""What ``inv db.diff`` says of a comparison: a report for people, JSON for programs, one
summary line, and a Slack-compatible message to a webhook."""

from __future__ import annotations

import json

from dbflow.schema.diff.compare import KIND_ORDER, PLURALS, DiffResult
from dbflow.webhook import post_json


def render_report(result: DiffResult) -> str:
    if not result.drifted:
        return f"no drift: {result.target} matches {result.source}"
    lines = [f"{result.target} differs from {result.source}: {len(result.differences)} change(s)"]
    words = {
        "missing": f"missing in {result.target}",
        "extra": f"only in {result.target}",
        "changed": "changed",
    }
    for kind in KIND_ORDER:
        items = [d for d in result.differences if d.kind == kind]
        if not items:
            continue
        lines.append(f"\n{PLURALS.get(kind, kind + 's')}:")
        for item in items:
            lines.append(f"  {item.name}: {words[item.change]}")
            if item.change == "changed":
                expected, actual = _around_change(item.expected or "", item.actual or "")
                lines.append(f"    {result.source}: {expected}")
                lines.append(f"    {result.target}: {actual}")
    return "\n".join(lines)


def render_json(result: DiffResult) -> str:
    return json.dumps(
        {
            "from": result.source,
            "to": result.target,
            "drift": result.drifted,
            "differences": [
                {
                    "kind": d.kind,
                    "name": d.name,
                    "change": d.change,
                    "from": d.expected,
                    "to": d.actual,
                }
                for d in result.differences
            ],
        },
        indent=2,
    )


def drift_summary(result: DiffResult) -> str:
    """One line: which side differs from which, and how many objects of each kind."""
    counts: dict[str, int] = {}
    for item in result.differences:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    summary = ", ".join(
        f"{count} {PLURALS.get(kind, kind + 's') if count > 1 else kind}"
        for kind, count in counts.items()
    )
    return f"{result.target} differs from {result.source} ({summary})"


def post_webhook(url: str, result: DiffResult, timeout: float = 10.0) -> str | None:
    """POST a Slack-compatible summary; return an error message instead of raising."""
    payload = {
        "text": f"Schema drift: {drift_summary(result)}",
        "from": result.source,
        "to": result.target,
        "changes": [f"{d.kind} {d.name}: {d.change}" for d in result.differences[:50]],
    }
    return post_json(url, payload, timeout)


def _around_change(expected: str, actual: str, width: int = 110) -> tuple[str, str]:
    """Both sides of a change, cut to ``width`` around where they first differ (a function
    body changed past its first line shows the changed part, not the same start twice)."""
    left, right = " ".join(expected.split()), " ".join(actual.split())
    if len(left) <= width and len(right) <= width:
        return left, right
    start = 0
    while start < min(len(left), len(right)) and left[start] == right[start]:
        start += 1
    begin = max(0, start - width // 3)

    def cut(text: str) -> str:
        piece = text[begin : begin + width - 6]
        return ("..." if begin else "") + piece + ("..." if begin + width - 6 < len(text) else "")

    return cut(left), cut(right)
