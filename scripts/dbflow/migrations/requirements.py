"""What the migrations need from an engine: the extensions they create."""

from __future__ import annotations

from pathlib import Path

from dbflow.migrations.discovery import discover
from dbflow.migrations.extensions import extension_uses
from dbflow.sql.statements import SqlSyntaxError


def extensions_created(migrations_dir: Path) -> frozenset[str]:
    """The name of every extension a ``CREATE EXTENSION`` in the migrations creates (read with
    the parser; a file that does not parse is left to the runner to report)."""
    files = []
    for migration in discover(migrations_dir).migrations:
        if "extension" not in migration.text.lower():
            continue
        try:
            files.append((migration.path, migration.statements))
        except SqlSyntaxError:
            continue
    return frozenset(use.name for use in extension_uses(files))
