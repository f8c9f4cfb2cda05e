"""``inv db.pull``: adopt what a database has and the migrations lack, as a new migration.

The schema of the target (never its rows) is compared with what the migrations build (the
migrations template); ``db.diff``'s SQL that turns the second into the first is the new
migration. Before anything is written it is proven on a throwaway clone of the template:
applied in one transaction, after which the schema must equal the target's. Then the file
is validated, written to the migrations folder and recorded as applied on the target (as
``supabase db pull`` does), so the next push does not run it there.

The target's history must match the migration files first: a migration applied there but
missing here, or one here not yet applied there, would make the comparison wrong.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.catalog.snapshot import take_snapshot
from dbflow.config import Settings
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.migrations.discovery import MigrationFile, discover
from dbflow.migrations.history import read_history, who_applies
from dbflow.migrations.new import check_identifier
from dbflow.migrations.repair import mark_applied
from dbflow.places.gate import Confirm, clear, record
from dbflow.progress import Notify, quiet
from dbflow.report.files import write_output
from dbflow.schema.diff.compare import (
    Difference,
    DiffResult,
    compare_snapshots,
    prove_on_migrations,
    side_url,
)
from dbflow.schema.diff.migration import migration_sql
from dbflow.validate.findings import ValidationReport
from dbflow.validate.run import Request, run_validation


@dataclass
class Pull:
    target: str
    statements: list[str]
    not_expressed: list[Difference]
    remaining: list[Difference] = field(default_factory=list)
    failure: str | None = None
    path: Path | None = None  # the migration written (None: nothing to pull, or a dry run)
    validation: ValidationReport | None = None

    @property
    def proven(self) -> bool:
        return not self.remaining and not self.not_expressed and self.failure is None

    @property
    def removals(self) -> list[str]:
        """Statements that remove what the migrations made and the target lacks."""
        return [s for s in self.statements if s.lower().startswith(("drop ", "revoke "))]


def pull(
    settings: Settings,
    target: str,
    *,
    name: str = "remote_schema",
    dry_run: bool = False,
    yes: bool = False,
    confirm: Confirm | None = None,
    notify: Notify = quiet,
) -> Pull:
    check_identifier(name, "migration name")
    clearance = clear(settings, "pull", target, deferred=True)
    finish_interrupted_pulls(settings, clearance.url, notify)
    _check_history(settings, clearance.url, target)
    template = side_url(settings, "migrations")
    with connect(clearance.url, autocommit=True) as conn:
        wanted = take_snapshot(conn)
    with connect(template, autocommit=True) as conn:
        built = take_snapshot(conn)
    result = DiffResult(target, "migrations", compare_snapshots(wanted, built), wanted, built)
    migration = migration_sql(result)
    pulled = Pull(target, migration.statements, migration.not_expressed)
    if not result.drifted:
        notify(f"nothing to pull: the migrations build what {target} has")
        return pulled
    pulled.remaining, pulled.failure = prove_on_migrations(settings, migration.statements, wanted)
    if not pulled.proven:
        raise DbflowError(
            f"the migration pulled from {target} does not rebuild it: nothing was written",
            detail=_unproven(pulled),
            hint="write what is listed by hand in a new migration (inv db.new), push it, then "
            "pull again",
        )
    notify(f"{len(pulled.statements)} statement(s) pulled from {target}, proven on a copy")
    if dry_run:
        return pulled
    clearance.confirm(yes=yes, confirm=confirm)
    # The file is written beside its place, recorded on the target, then put in place: an
    # interrupted pull leaves either nothing recorded (the next pull starts again) or a
    # recorded file the next pull puts in place (finish_interrupted_pulls).
    migration_file = _new_file(settings, name, render_pull(pulled))
    partial = _partial_path(migration_file.path)
    write_output(partial, migration_file.text)
    by = who_applies(settings.project_root)
    with connect(clearance.url, autocommit=True) as conn:
        mark_applied(conn, migration_file, f"pull by {by}")
    record(clearance, clearance.url, by=by, versions=(migration_file.version,))
    partial.replace(migration_file.path)
    pulled.path = migration_file.path
    pulled.validation = run_validation(settings, Request(files=(migration_file.path,)))
    return pulled


_PARTIAL_SUFFIX = ".pulling"


def _partial_path(path: Path) -> Path:
    """Where a pulled migration waits until the target has recorded it (hidden, and not a
    ``.sql`` file, so no command reads it as a migration)."""
    return path.with_name(f".{path.name}{_PARTIAL_SUFFIX}")


def finish_interrupted_pulls(settings: Settings, url: str, notify: Notify = quiet) -> None:
    """A pull stopped between recording its migration and putting the file in place: the
    file goes in place now; one stopped before recording is removed (nothing was pulled)."""
    folder = settings.migrations_dir
    waiting = sorted(folder.glob(f".*.sql{_PARTIAL_SUFFIX}")) if folder.is_dir() else []
    if not waiting:
        return
    with connect(url, autocommit=True) as conn:
        applied = read_history(conn)
    for partial in waiting:
        final = partial.with_name(partial.name[1 : -len(_PARTIAL_SUFFIX)])
        if final.name.split("_", 1)[0] in applied and not final.exists():
            partial.replace(final)
            notify(f"finished an interrupted pull: wrote {final.name}, recorded before it stopped")
        else:
            partial.unlink()


def _check_history(settings: Settings, url: str, target: str) -> None:
    local = {m.version: m for m in discover(settings.migrations_dir).migrations}
    with connect(url, autocommit=True) as conn:
        applied = read_history(conn)
    unknown = sorted(set(applied) - set(local))
    if unknown:
        raise DbflowError(
            f"{target}'s history has {len(unknown)} migration(s) with no file here: "
            + ", ".join(unknown[:10]),
            detail="the comparison would count their objects as not in the migrations",
            hint="fetch those files (git pull), or mark them reverted with inv db.repair "
            f"VERSION --status reverted --target {target}",
        )
    pending = sorted(set(local) - set(applied))
    if pending:
        raise DbflowError(
            f"{len(pending)} migration(s) here are not applied on {target}: "
            + ", ".join(local[v].path.name for v in pending[:10]),
            detail="the pulled migration would undo them, and they would then run after it",
            hint=f"push them first (inv db.push --target {target}), or pull before writing new "
            "migrations",
        )


def _unproven(pulled: Pull) -> str:
    if pulled.failure is not None:
        return f"applying it to a copy of the migrations failed at {pulled.failure}"
    left = pulled.not_expressed or pulled.remaining
    return "still different after applying it:\n" + "\n".join(
        f"  {d.kind} {d.name}: {d.change}" for d in left
    )


def render_pull(pulled: Pull) -> str:
    lines = [
        f"-- Pulled from {pulled.target} by inv db.pull: the schema {pulled.target} has and the "
        "migrations lacked (schema only, no rows).",
        f"-- Proven: applied in one transaction to a copy of what the migrations build, the "
        f"schema then equals {pulled.target}'s.",
        f"-- Recorded as applied on {pulled.target}: db.push will not run it there.",
    ]
    if pulled.removals:
        lines.append(
            f"-- REMOVES or REVOKES what {pulled.target} does not have; check each is meant:"
        )
        lines += [f"--   {statement}" for statement in pulled.removals]
    body = [f"{statement};" for statement in pulled.statements]
    return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"


def _new_file(settings: Settings, name: str, text: str) -> MigrationFile:
    """The pulled migration, versioned after every file there (not written yet)."""
    folder = settings.migrations_dir
    existing = discover(folder).migrations
    moment = dt.datetime.now(dt.UTC)
    version = moment.strftime("%Y%m%d%H%M%S")
    newest = max((m.version for m in existing), default="")
    if version <= newest:  # a second after the newest: the pull must come after every file
        version = str(int(newest) + 1)
    return MigrationFile(version, name, folder / f"{version}_{name}.sql", text)
