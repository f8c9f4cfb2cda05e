"""Run seed SQL files, all in one transaction, recorded as the Supabase CLI records them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg

from dbflow.connection import Conn
from dbflow.errors import DbflowError
from dbflow.sql.files import read_sql_file
from dbflow.sql.parse import split_statements
from dbflow.sql.statements import error_position

ENSURE_SEED_TABLE_SQL = """
CREATE SCHEMA IF NOT EXISTS supabase_migrations;
CREATE TABLE IF NOT EXISTS supabase_migrations.seed_files (
    path text NOT NULL PRIMARY KEY,
    hash text NOT NULL
);
"""


def run_seed_files(conn: Conn, paths: list[Path], project_root: Path) -> None:
    """Run ``paths`` in order in one transaction: a failing seed writes nothing at all."""
    with conn.transaction():
        conn.execute(ENSURE_SEED_TABLE_SQL.encode())
        for path in paths:
            text = read_sql_file(path)
            for statement in split_statements(text, str(path)):
                try:
                    conn.execute(statement.text.encode())
                except psycopg.Error as exc:
                    at = error_position(text, statement, exc.diag.statement_position)
                    raise DbflowError(
                        f"{path}:{at.line}:{at.column}: "
                        f"{exc.diag.message_primary or str(exc).strip()}",
                        detail="\n".join(
                            filter(None, [exc.diag.message_detail, "no seed data was written"])
                        ),
                        hint=exc.diag.message_hint,
                    ) from None
            relative = path.relative_to(project_root) if path.is_relative_to(project_root) else path
            conn.execute(
                "INSERT INTO supabase_migrations.seed_files (path, hash) VALUES (%s, %s) "
                "ON CONFLICT (path) DO UPDATE SET hash = excluded.hash",
                (str(relative), hashlib.sha256(text.encode("utf-8")).hexdigest()),
            )
