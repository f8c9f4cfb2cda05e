"""Find migration files by the Supabase CLI's rule and read their header directives."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from dbflow.errors import DbflowError
from dbflow.sql.files import read_sql_file

if TYPE_CHECKING:
    from dbflow.sql.parse import Statement

# The Supabase CLI's rule: leading digits are the version, the rest up to .sql the name.
MIGRATION_FILE_NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.*)\.sql$")

# Header directives: comment lines at the top of a file, e.g.
#   -- dbflow: lock_timeout=30s statement_timeout=1h
DIRECTIVE_PREFIX = "-- dbflow:"
DIRECTIVE_KEYS = ("lock_timeout", "statement_timeout")


@dataclass(frozen=True)
class MigrationFile:
    """One migration file: version, name, where it is, and its content."""

    version: str
    name: str
    path: Path
    text: str = field(repr=False)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @cached_property
    def statements(self) -> list[Statement]:
        """The file's statements (raises SqlSyntaxError naming the file, line and column)."""
        from dbflow.sql.parse import split_statements  # the parser loads when a file is read

        return split_statements(self.text, str(self.path))

    @cached_property
    def directives(self) -> dict[str, str]:
        return read_directives(self.text, self.path)


@dataclass(frozen=True)
class Discovery:
    migrations: list[MigrationFile]
    skipped: list[Path]


def discover(directory: Path) -> Discovery:
    """Migrations in ``directory`` ordered by version; other .sql files are listed as skipped."""
    if not directory.is_dir():
        return Discovery([], [])
    migrations: list[MigrationFile] = []
    skipped: list[Path] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        match = MIGRATION_FILE_NAME.match(path.name)
        if match is None:
            if path.suffix == ".sql":
                skipped.append(path)
            continue
        text = read_sql_file(path)
        migrations.append(MigrationFile(match["version"], match["name"], path, text))
    migrations.sort(key=lambda migration: migration.version)
    seen: dict[str, MigrationFile] = {}
    for migration in migrations:
        if migration.version in seen:
            raise DbflowError(
                f"two migrations share version {migration.version}: "
                f"{seen[migration.version].path.name} and {migration.path.name}",
                hint="give one of them a new timestamp (rename the file) before applying",
            )
        seen[migration.version] = migration
    return Discovery(migrations, skipped)


def read_directives(text: str, path: Path) -> dict[str, str]:
    """``-- dbflow: key=value ...`` lines in the leading comment block of a file."""
    directives: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        if not stripped.startswith(DIRECTIVE_PREFIX):
            continue
        if stripped.removeprefix(DIRECTIVE_PREFIX).split()[:1] in (["ignore"], ["ignore-file"]):
            continue  # a validator suppression, not a runner directive
        for item in stripped.removeprefix(DIRECTIVE_PREFIX).split():
            key, sep, value = item.partition("=")
            if not sep or key not in DIRECTIVE_KEYS or not value:
                raise DbflowError(
                    f"{path}:{number}: unknown dbflow directive {item!r}",
                    hint=f"directives are {', '.join(k + '=VALUE' for k in DIRECTIVE_KEYS)}",
                )
            directives[key] = value
    return directives
