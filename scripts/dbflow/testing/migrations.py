"""Apply migration files in order, one transaction per file, for test templates.

A small stand-in for the migration runner: it keeps the Supabase CLI's file rule and
transaction-per-file behaviour, and reports a failing statement with its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import psycopg

from dbflow.bootstrap.extensions import check_extensions_available
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.sql.statements import split_statements

MIGRATION_FILE = re.compile(r"^(\d+)_(.*)\.sql$")


def migration_files(directory: Path) -> list[Path]:
    """Files named ``<digits>_<name>.sql`` in ``directory``, ordered by version."""
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if MIGRATION_FILE.match(path.name)]
    return sorted(found, key=lambda path: path.name)


def apply_migration_files(url: str, files: Iterable[Path]) -> None:
    """Apply ``files`` in order; a failing file leaves nothing of itself behind."""
    paths = list(files)
    with connect(url, autocommit=True) as conn:
        check_extensions_available(conn, paths)
        for path in paths:
            statements = split_statements(path.read_text(encoding="utf-8"), str(path))
            with conn.transaction():
                for statement in statements:
                    try:
                        conn.execute(statement.text.encode())
                    except psycopg.Error as exc:
                        raise DbflowError(
                            f"{path}:{statement.line}:{statement.column}: "
                            f"{exc.diag.message_primary or exc}",
                            detail=exc.diag.message_detail,
                            hint=exc.diag.message_hint,
                        ) from None
