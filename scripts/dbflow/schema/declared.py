"""The declared schema: ``supabase/schemas/*.sql`` (or the files ``[db.migrations]
schema_paths`` of supabase/config.toml names), the state a team wants its database in.

The Supabase CLI applies these files in order (lexicographic within a folder; as listed in
``schema_paths``, each glob's matches sorted, a file once) to build what ``supabase db diff``
compares with the migrations. dbflow builds the same thing on a throwaway database cloned
from its bootstrap template, so that ``db.diff`` can compare it with any side, ``db.new
--from-schemas`` can write the migration between the two, and ``db.reset --from-schemas``
can build the local database from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from dbflow.config import Settings, supabase_config
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.places.scratch import copy_up_to


def declared_files(settings: Settings) -> list[Path]:
    """The declared schema's files in the order they are applied; a clear error when there
    are none."""
    root = settings.project_root
    base = root / "supabase"
    database = supabase_config(root).get("db")
    migrations = database.get("migrations") if isinstance(database, dict) else None
    patterns = migrations.get("schema_paths") if isinstance(migrations, dict) else None
    files: list[Path] = []
    if patterns:
        for pattern in patterns:
            for path in sorted(base.glob(str(pattern).removeprefix("./"))):
                if path.is_file() and path not in files:
                    files.append(path)
    else:
        files = sorted(
            (path for path in (base / "schemas").rglob("*.sql") if path.is_file()),
            key=lambda path: path.relative_to(base).as_posix(),
        )
    if not files:
        where = "[db.migrations] schema_paths" if patterns else "supabase/schemas/*.sql"
        raise DbflowError(
            f"no declared schema: {where} names no file",
            hint="write the schema you want in supabase/schemas/*.sql (applied in name order)",
        )
    return files


def apply_declared(url: str, files: list[Path], root: Path) -> None:
    """Run each declared file, in order, on the database at ``url`` (one transaction each);
    a failure names the file and the server's message."""
    with connect(url, autocommit=True) as conn:
        for path in files:
            text = path.read_text(encoding="utf-8")
            try:
                with conn.transaction():
                    conn.execute(text.encode())  # the simple protocol: a whole script
            except psycopg.Error as exc:
                shown = path.relative_to(root) if path.is_relative_to(root) else path
                raise DbflowError(
                    f"{shown}: {exc.diag.message_primary or exc}",
                    detail="the declared schema's files run in order, each in one transaction",
                    hint="fix the file, or order the files so that what one uses comes first",
                ) from None


@contextmanager
def declared_copy(settings: Settings, name: str = "dbflow_schemas") -> Iterator[str]:
    """A throwaway database built from the bootstrap and the declared files; yields its URL."""
    files = declared_files(settings)
    with copy_up_to(settings, name, None) as url:
        apply_declared(url, files, settings.project_root)
        yield url
