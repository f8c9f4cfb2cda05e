"""What the migration tasks print: the result of a run (or dry run), and the list of files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbflow.migrations.runner import RunResult
from dbflow.migrations.status import MigrationRow

if TYPE_CHECKING:
    from rich.table import Table


def render_run(result: RunResult) -> list[str]:
    """A dry run's plan (files, mode, timeouts, notes, SQL), or what a run applied."""
    if result.dry_run:
        if not result.planned:
            return ["dry run: nothing to apply, the database is up to date"]
        lines = [f"dry run: {len(result.planned)} migration(s) would be applied, in this order:"]
        for plan in result.planned:
            lines.append(f"\n{plan.migration.path.name} ({plan.mode})")
            lines.append(
                f"-- lock_timeout={plan.lock_timeout} statement_timeout={plan.statement_timeout}"
            )
            lines += [f"-- {note}" for note in plan.notes]
            lines += [f"{statement.text};" for statement in plan.statements]
        lines.append("\nnothing was changed")
        return lines
    if not result.applied:
        return ["the database is up to date: no pending migrations"]
    total = sum(item.duration_ms for item in result.applied)
    return [f"applied {len(result.applied)} migration(s) in {total} ms"]


def render_rows(rows: list[MigrationRow]) -> Table:
    """``db.list`` as a table: pending rows in yellow, changed or missing ones in red."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="bold")
    for header in ("version", "name", "local", "applied", "state", "applied at", "duration"):
        table.add_column(header, no_wrap=True)
    for row in rows:
        table.add_row(
            row.version,
            row.name,
            "yes" if row.local else "-",
            "yes" if row.applied else "-",
            row.state,
            row.applied_at or "-",
            f"{row.duration_ms} ms" if row.duration_ms is not None else "-",
            style={"ok": None, "pending": "yellow"}.get(row.state, "bold red"),
        )
    return table
