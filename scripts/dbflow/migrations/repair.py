"""Mark history without running SQL, as the Supabase CLI's ``migration repair`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dbflow.connection import Conn, connect
from dbflow.migrations.compare import recorded_statements
from dbflow.migrations.discovery import MigrationFile, discover
from dbflow.migrations.history import ensure_history, forget_applied, record_applied, who_applies
from dbflow.migrations.plan import MigrationError

RepairStatus = Literal["applied", "reverted"]


def repair(url: str, migrations_dir: Path, version: str, status: RepairStatus) -> str:
    """Record ``version`` as applied (from its local file) or reverted; return what was done."""
    with connect(url, autocommit=True) as conn:
        ensure_history(conn)
        if status == "reverted":
            with conn.transaction():
                removed = forget_applied(conn, version)
            if not removed:
                return f"{version} was not in the history; nothing changed"
            return f"marked {version} as reverted (history only; no SQL was run)"
        local = {migration.version: migration for migration in discover(migrations_dir).migrations}
        migration = local.get(version)
        if migration is None:
            raise MigrationError(
                f"no migration file with version {version} in {migrations_dir}",
                hint="--status applied records a local file's statements; check the version",
            )
        mark_applied(conn, migration, f"repair by {who_applies(migrations_dir)}")
    return f"marked {migration.path.name} as applied (history only; no SQL was run)"


def mark_applied(conn: Conn, migration: MigrationFile, applied_by: str) -> None:
    """Both history rows of ``migration``, as if it had run (no SQL is run)."""
    ensure_history(conn)
    with conn.transaction():
        record_applied(
            conn,
            version=migration.version,
            name=migration.name,
            statements=recorded_statements(migration),
            checksum=migration.checksum,
            applied_by=applied_by,
            duration_ms=0,
        )
