"""``inv db.list``: every migration with its local, applied and checksum state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dbflow.connection import connect
from dbflow.migrations.compare import compare_history
from dbflow.migrations.discovery import discover
from dbflow.migrations.history import read_history


@dataclass(frozen=True)
class MigrationRow:
    version: str
    name: str
    local: bool
    applied: bool
    state: str
    applied_at: str | None
    applied_by: str | None
    duration_ms: int | None

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def migration_rows(url: str, migrations_dir: Path) -> list[MigrationRow]:
    """One row per migration found locally or in the database's history."""
    found = discover(migrations_dir)
    with connect(url, autocommit=True) as conn:
        history = read_history(conn)
    rows = []
    for status in compare_history(found.migrations, history):
        applied = status.applied
        rows.append(
            MigrationRow(
                version=status.version,
                name=status.name,
                local=status.local is not None,
                applied=applied is not None,
                state=status.state,
                applied_at=(
                    applied.applied_at.isoformat(timespec="seconds")
                    if applied and applied.applied_at
                    else None
                ),
                applied_by=applied.applied_by if applied else None,
                duration_ms=applied.duration_ms if applied else None,
            )
        )
    return rows
