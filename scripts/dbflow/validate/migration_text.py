"""A migration file as a validation run first meets it: its text and content hash (what the
caches are keyed by), or why it cannot be read as SQL text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dbflow.migrations.discovery import MIGRATION_FILE_NAME
from dbflow.sql.files import decode_sql


@dataclass(frozen=True)
class MigrationText:
    """A migration file's text and content hash, or why it cannot be read as SQL text."""

    path: Path
    display: str
    text: str
    sha: str
    problem: str | None

    @property
    def applies(self) -> bool:
        """True when the runner applies the file (its name is <version>_<name>.sql)."""
        return MIGRATION_FILE_NAME.match(self.path.name) is not None

    @property
    def version(self) -> str | None:
        version, underscore, _ = self.path.name.partition("_")
        return version if underscore and version.isdigit() else None


def read_migration(path: Path, display: str) -> MigrationText:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return MigrationText(path, display, "", "", f"cannot read the file: {exc.strerror}")
    sha = hashlib.sha256(data).hexdigest()
    try:
        return MigrationText(path, display, decode_sql(data), sha, None)
    except ValueError as exc:
        return MigrationText(path, display, "", sha, str(exc))
