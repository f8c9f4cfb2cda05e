"""The history tables: the Supabase CLI's own, and dbflow's side table beside it.

``supabase_migrations.schema_migrations (version, statements, name)`` is laid out exactly as
the Supabase CLI creates it, so ``supabase migration list`` keeps working on a database
dbflow migrated (and the other way round). dbflow's checksums, timings and authors live in
``supabase_migrations.dbflow_applied``, which the CLI ignores.
"""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dbflow.connection import Conn

ENSURE_HISTORY_SQL = """
CREATE SCHEMA IF NOT EXISTS supabase_migrations;
CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (
    version text NOT NULL PRIMARY KEY
);
ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];
ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;
CREATE TABLE IF NOT EXISTS supabase_migrations.dbflow_applied (
    version text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL,
    database_user text NOT NULL DEFAULT current_user,
    duration_ms integer NOT NULL
);
"""


@dataclass(frozen=True)
class AppliedMigration:
    """A row of history: what the CLI's table says, and what dbflow's side table adds."""

    version: str
    name: str | None
    statements: tuple[str, ...]
    checksum: str | None
    applied_at: dt.datetime | None
    applied_by: str | None
    duration_ms: int | None


def ensure_history(conn: Conn) -> None:
    """Create the history tables if missing (a short lock_timeout, as the CLI does)."""
    with conn.transaction():
        conn.execute("SET LOCAL lock_timeout = '4s'")
        conn.execute(ENSURE_HISTORY_SQL.encode())


def read_history(conn: Conn) -> dict[str, AppliedMigration]:
    """Applied migrations by version; empty when the database has no history yet."""
    exists = conn.execute(
        "SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL, "
        "to_regclass('supabase_migrations.dbflow_applied') IS NOT NULL"
    ).fetchone()
    if not exists or not exists[0]:
        return {}
    side = (
        "LEFT JOIN supabase_migrations.dbflow_applied d ON d.version = m.version"
        if exists[1]
        else "LEFT JOIN (SELECT NULL::text AS version, NULL::text AS checksum, "
        "NULL::timestamptz AS applied_at, NULL::text AS applied_by, NULL::int AS duration_ms) d "
        "ON false"
    )
    rows = conn.execute(
        "SELECT m.version, m.name, coalesce(m.statements, '{}'), d.checksum, d.applied_at, "
        f"d.applied_by, d.duration_ms FROM supabase_migrations.schema_migrations m {side} "
        "ORDER BY m.version"
    ).fetchall()
    return {
        row[0]: AppliedMigration(row[0], row[1], tuple(row[2]), row[3], row[4], row[5], row[6])
        for row in rows
    }


def record_applied(
    conn: Conn,
    *,
    version: str,
    name: str,
    statements: list[str],
    checksum: str,
    applied_by: str,
    duration_ms: int,
) -> None:
    """Write both history rows (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO supabase_migrations.schema_migrations (version, name, statements) "
        "VALUES (%s, %s, %s) ON CONFLICT (version) DO UPDATE "
        "SET name = excluded.name, statements = excluded.statements",
        (version, name, statements),
    )
    conn.execute(
        "INSERT INTO supabase_migrations.dbflow_applied "
        "(version, checksum, applied_by, duration_ms) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, "
        "applied_at = now(), applied_by = excluded.applied_by, "
        "database_user = current_user, duration_ms = excluded.duration_ms",
        (version, checksum, applied_by, duration_ms),
    )


def forget_applied(conn: Conn, version: str) -> bool:
    """Delete a version from both history tables; return whether it was there."""
    deleted = conn.execute(
        "DELETE FROM supabase_migrations.schema_migrations WHERE version = %s", (version,)
    ).rowcount
    conn.execute("DELETE FROM supabase_migrations.dbflow_applied WHERE version = %s", (version,))
    return deleted > 0


def who_applies(project_root: Path | None = None) -> str:
    """The person applying: git's user.email where set, else the operating system account."""
    return git_setting("user.email", project_root) or getpass.getuser()


def git_setting(key: str, where: Path | None = None) -> str:
    """``git config KEY`` as seen from ``where`` (empty when git or the setting is missing)."""
    try:
        result = subprocess.run(
            ["git", "config", key],
            capture_output=True,
            text=True,
            cwd=where if where is not None and where.is_dir() else None,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip()
