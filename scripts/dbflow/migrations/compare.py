"""Local files against applied history: what is pending, ok, changed or missing."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from dbflow.migrations.discovery import MigrationFile
from dbflow.migrations.history import AppliedMigration
from dbflow.sql.canonical import canonical_script, canonical_statements
from dbflow.sql.statements import SqlSyntaxError

State = Literal["pending", "ok", "changed", "missing file"]


@dataclass(frozen=True)
class MigrationStatus:
    version: str
    name: str
    local: MigrationFile | None
    applied: AppliedMigration | None
    state: State


def recorded_statements(migration: MigrationFile) -> list[str]:
    """The statements history records for a file: every one, as the Supabase CLI records them
    (its own BEGIN/COMMIT included)."""
    return [statement.text for statement in migration.statements]


def compare_history(
    local: list[MigrationFile], applied: dict[str, AppliedMigration]
) -> list[MigrationStatus]:
    """One row per version found locally or in history, ordered by version."""
    by_version = {migration.version: migration for migration in local}
    rows: list[MigrationStatus] = []
    for version in sorted(set(by_version) | set(applied)):
        file = by_version.get(version)
        record = applied.get(version)
        if record is None:
            assert file is not None
            rows.append(MigrationStatus(version, file.name, file, None, "pending"))
        elif file is None:
            rows.append(MigrationStatus(version, record.name or "", None, record, "missing file"))
        else:
            state: State = "ok" if same_content(file, record) else "changed"
            rows.append(MigrationStatus(version, file.name, file, record, state))
    return rows


def same_content(file: MigrationFile, record: AppliedMigration) -> bool:
    """True when the file still says what was applied: only comments, whitespace and the case
    of keywords and unquoted names may differ (see :mod:`dbflow.sql.canonical`)."""
    if record.checksum is not None and record.checksum == file.checksum:
        return True
    return canonical_script(file.text) == canonical_statements(list(record.statements))


def applied_diff(file: MigrationFile, record: AppliedMigration) -> str:
    """A unified diff from what was applied (history's statements) to the file now."""
    before = _as_script(list(record.statements))
    try:
        after = _as_script(recorded_statements(file))
    except SqlSyntaxError:
        after = file.text
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{file.version} as applied",
            tofile=f"{file.path.name} now",
        )
    )


def _as_script(statements: list[str]) -> str:
    return "".join(f"{statement.rstrip().rstrip(';')};\n\n" for statement in statements)
