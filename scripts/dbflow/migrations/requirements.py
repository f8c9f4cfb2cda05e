"""What the migrations need from an engine: the extensions they create."""

from __future__ import annotations

from pathlib import Path

from dbflow.migrations.discovery import discover
from dbflow.sql.statements import SqlSyntaxError


def extensions_created(migrations_dir: Path) -> frozenset[str]:
    """The name of every extension a ``CREATE EXTENSION`` in the migrations creates (read with
    the parser; a file that does not parse is left to the runner to report)."""
    names: set[str] = set()
    for migration in discover(migrations_dir).migrations:
        if "extension" not in migration.text.lower():
            continue
        try:
            statements = migration.statements
        except SqlSyntaxError:
            continue
        for statement in statements:
            if statement.kind == "CreateExtensionStmt":
                names.add(str(statement.node.get("extname")))
    return frozenset(names)
