"""``inv db.new NAME --from-schemas``: the migration from what the migrations build to what
the declared files (supabase/schemas) describe, proven before it is written.

The two schemas are compared object by object (as ``db.diff`` compares them) and the
differ's SQL is the migration. It is applied in one transaction to a throwaway copy of the
migrations template, after which the schema must equal the declared one; only then is it
written and validated. What it drops or revokes is listed at its top, and a table that
disappears while another appears is called out: a differ cannot tell a rename from a drop
and a create, and the data of a renamed table would be lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.config import Settings
from dbflow.errors import DbflowError
from dbflow.migrations.discovery import discover
from dbflow.migrations.new import check_identifier
from dbflow.progress import Notify, quiet
from dbflow.report.files import write_output
from dbflow.schema.diff.compare import (
    Difference,
    DiffResult,
    compare_snapshots,
    prove_on_migrations,
    side_snapshot,
)
from dbflow.schema.diff.migration import migration_sql
from dbflow.validate.findings import ValidationReport
from dbflow.validate.run import Request, run_validation


@dataclass
class FromSchemas:
    statements: list[str]
    not_expressed: list[Difference]
    renames: list[str] = field(default_factory=list)  # tables gone while others appear
    path: Path | None = None
    validation: ValidationReport | None = None

    @property
    def removals(self) -> list[str]:
        return [s for s in self.statements if s.lower().startswith(("drop ", "revoke "))]


def migration_from_schemas(settings: Settings, name: str, notify: Notify = quiet) -> FromSchemas:
    """Write the proven migration from the migrations' schema to the declared one."""
    check_identifier(name, "migration name")
    notify("building the declared schema on a throwaway database")
    wanted = side_snapshot(settings, "schemas")
    built = side_snapshot(settings, "migrations")
    result = DiffResult("schemas", "migrations", compare_snapshots(wanted, built), wanted, built)
    migration = migration_sql(result)
    found = FromSchemas(migration.statements, migration.not_expressed, _renames(result))
    if not result.drifted:
        notify("nothing to write: the migrations build the declared schema")
        return found
    remaining, failure = prove_on_migrations(settings, migration.statements, wanted)
    if failure is not None or remaining or migration.not_expressed:
        left = migration.not_expressed or remaining
        detail = (
            f"applying it to a copy of the migrations failed at {failure}"
            if failure is not None
            else "still different after applying it:\n"
            + "\n".join(f"  {item.kind} {item.name}: {item.change}" for item in left)
        )
        raise DbflowError(
            "the migration to the declared schema does not build it: nothing was written",
            detail=detail,
            hint="write what is listed by hand in a new migration (inv db.new NAME)",
        )
    notify(f"{len(migration.statements)} statement(s), proven on a copy of the migrations")
    path = _new_path(settings, name)
    write_output(path, render_from_schemas(found))
    found.path = path
    found.validation = run_validation(settings, Request(files=(path,)))
    return found


def _renames(result: DiffResult) -> list[str]:
    """Tables the declared schema lacks while it has new ones: maybe a rename, which the
    migration would carry out as a drop (losing the rows) and a create."""
    gone = [d.name for d in result.differences if d.kind == "table" and d.change == "extra"]
    new = [d.name for d in result.differences if d.kind == "table" and d.change == "missing"]
    return [f"{old} disappears while {', '.join(new)} appear(s)" for old in gone] if new else []


def render_from_schemas(found: FromSchemas) -> str:
    lines = [
        "-- From the declared schema (supabase/schemas) by inv db.new --from-schemas: what the",
        "-- declared files describe and the migrations lacked.",
        "-- Proven: applied in one transaction to a copy of what the migrations build, the "
        "schema then equals the declared one.",
    ]
    if found.renames:
        lines.append("-- A RENAME? A differ cannot tell one from a drop and a create, and the")
        lines.append("-- drop loses the rows: if a table was renamed, write ALTER TABLE ... RENAME")
        lines += [f"--   {item}" for item in found.renames]
    if found.removals:
        lines.append("-- REMOVES or REVOKES what the declared schema does not have; check each:")
        lines += [f"--   {statement}" for statement in found.removals]
    body = [f"{statement};" for statement in found.statements]
    return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"


def _new_path(settings: Settings, name: str) -> Path:
    folder = settings.migrations_dir
    newest = max((m.version for m in discover(folder).migrations), default="")
    version = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    if version <= newest:
        version = str(int(newest) + 1)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{version}_{name}.sql"
