"""Before anything is applied: does this engine have every extension the migrations create?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from pglast import ast

from dbflow.errors import BootstrapError
from dbflow.sql.statements import Statement


@dataclass(frozen=True)
class ExtensionUse:
    name: str
    path: Path
    line: int


def extensions_created(files: Iterable[tuple[Path, Iterable[Statement]]]) -> list[ExtensionUse]:
    """Every ``CREATE EXTENSION`` among the parsed statements of ``files``, in file order."""
    uses = []
    for path, statements in files:
        for statement in statements:
            if isinstance(statement.node, ast.CreateExtensionStmt):
                uses.append(ExtensionUse(str(statement.node.extname), path, statement.line))
    return uses


def check_extensions_available(
    conn: psycopg.Connection[Any], files: Iterable[tuple[Path, Iterable[Statement]]]
) -> None:
    """Fail, before anything runs, on the first extension neither available nor stood in."""
    available = {row[0] for row in conn.execute("SELECT name FROM pg_available_extensions")}
    for use in extensions_created(files):
        if use.name not in available:
            raise BootstrapError(
                f'{use.path}:{use.line}: extension "{use.name}" is not available on this engine '
                "and dbflow has no stand-in for it",
                detail="nothing was applied",
                hint="dbflow's local engine is the PostgreSQL that has what the migrations need "
                "(inv db.status says which and why); install the extension into a server (e.g. "
                f"apt-get install postgresql-<major>-{use.name.replace('_', '-')}) and choose it "
                'with engine = "system" in [tool.dbflow], or point DATABASE_URL at a server '
                "that has it",
            )
