"""``inv db.down``: a down migration for the last migrations, written and proven.

The schema before them is built from the migrations up to the one before (throwaway database
from the bootstrap template), the schema after them from all of them (a clone of the
migrations template); ``db.diff``'s SQL that turns the second into the first is the down
migration. It is then proven on another throwaway clone: applied in one transaction, after
which the schema must equal the earlier one. The file says what it reverses, whether it was
proven, what it could not express, and which statements lose data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dbflow.catalog.snapshot import Snapshot, take_snapshot
from dbflow.config import Settings
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.migrations.discovery import MigrationFile, discover
from dbflow.places.scratch import copy_up_to, migrated_copy
from dbflow.progress import Notify, quiet
from dbflow.schema.diff.compare import (
    Difference,
    DiffResult,
    compare_snapshots,
    prove_on_migrations,
)
from dbflow.schema.diff.migration import migration_sql

_LOSSY = ("drop table", "drop column", "drop type", "drop materialized view", " type ")


@dataclass
class DownMigration:
    reverses: list[MigrationFile]
    statements: list[str]
    not_expressed: list[Difference]
    remaining: list[Difference] = field(default_factory=list)  # after applying it, if any
    failure: str | None = None  # the statement that failed when it was applied, and why

    @property
    def proven(self) -> bool:
        return not self.remaining and not self.not_expressed and self.failure is None

    @property
    def data_loss(self) -> list[str]:
        return [s for s in self.statements if any(word in s.lower() for word in _LOSSY)]


def down_migration(settings: Settings, steps: int, notify: Notify = quiet) -> DownMigration:
    migrations = discover(settings.migrations_dir).migrations
    if steps < 1 or steps > len(migrations):
        raise DbflowError(
            f"--steps {steps}: there are {len(migrations)} migration(s) to go back over",
            hint="give a number from 1 to the number of migrations",
        )
    reverses = migrations[-steps:]
    before = migrations[-steps - 1].version if steps < len(migrations) else None
    with (
        copy_up_to(settings, "dbflow_down_before", before, notify) as earlier,
        migrated_copy(settings, "dbflow_down_after", notify) as later,
    ):
        expected, actual = _snapshot(earlier), _snapshot(later)
    result = DiffResult("before", "after", compare_snapshots(expected, actual), expected, actual)
    migration = migration_sql(result)
    down = DownMigration(reverses, migration.statements, migration.not_expressed)
    down.remaining, down.failure = prove_on_migrations(
        settings, down.statements, expected, scratch="dbflow_down_proof"
    )
    notify(f"down migration for {len(reverses)} migration(s): {len(down.statements)} statement(s)")
    return down


def _snapshot(url: str) -> Snapshot:
    with connect(url, autocommit=True) as conn:
        return take_snapshot(conn)


def render_down(down: DownMigration) -> str:
    names = ", ".join(migration.path.name for migration in down.reverses)
    lines = [f"-- Down migration: reverses {names} (written by inv db.down)."]
    if down.proven:
        lines.append(
            "-- Proven: applied in one transaction to a copy of the schema after them, the "
            "schema then equals the one before them."
        )
    elif down.failure is not None:
        lines.append(f"-- NOT proven: applying it failed at {down.failure}")
    else:
        lines.append("-- NOT proven: after applying it, the schema still differs:")
        lines += [f"--   {d.kind} {d.name}: {d.change}" for d in down.remaining]
    if down.not_expressed:
        lines.append("-- Not expressed here (write these by hand):")
        lines += [f"--   {d.kind} {d.name}: {d.change}" for d in down.not_expressed]
    if down.data_loss:
        lines.append("-- DATA LOSS: these statements drop or rewrite data written since:")
        lines += [f"--   {statement}" for statement in down.data_loss]
    lines.append(
        "-- Never applied by itself: to ship it, make it a new migration (inv db.new) and push."
    )
    body = [f"{statement};" for statement in down.statements]
    return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"


def default_path(settings: Settings, down: DownMigration) -> Path:
    return settings.project_root / "supabase" / "rollbacks" / f"{down.reverses[0].version}_down.sql"
