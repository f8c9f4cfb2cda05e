"""Apply pending migrations: one transaction per file with its history, under an advisory lock.

The run is refused before anything is applied when history and files disagree (an applied
file changed, an applied file missing, a file older than the newest applied), when any
pending file does not parse or mixes statements that cannot share a transaction, or when a
file creates an extension the server does not have.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql

from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.migrations.compare import MigrationStatus, applied_diff, compare_history
from dbflow.migrations.concurrent import interrupted_outcome, resume_index
from dbflow.migrations.discovery import Discovery, discover
from dbflow.migrations.extensions import check_extensions_available
from dbflow.migrations.history import ensure_history, read_history, record_applied, who_applies
from dbflow.migrations.lock import advisory_lock, reset_session
from dbflow.migrations.plan import MigrationError, PlannedMigration, Segment, plan_migration
from dbflow.progress import Notify, quiet
from dbflow.sql.classify import TransactionScope, transaction_control, transaction_scope
from dbflow.sql.parse import Statement
from dbflow.sql.statements import error_position

CONCURRENT_INDEX = "CREATE INDEX CONCURRENTLY"


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    allow_out_of_order: bool = False
    lock_timeout: str = "10s"
    statement_timeout: str = "15min"
    lock_wait_seconds: float = 60.0
    up_to: str | None = None  # apply only migrations whose version is at most this one

    @classmethod
    def from_settings(cls, settings: Settings) -> RunOptions:
        """The runner's options from settings (timeouts, lock wait)."""
        return cls(
            lock_timeout=settings.lock_timeout,
            statement_timeout=settings.statement_timeout,
            lock_wait_seconds=settings.lock_wait_seconds,
        )


class RunJournal(Protocol):
    """A record kept as the run goes (``db.push``'s audit trail): opened under the lock once
    the run knows what it will apply, and told of each migration inside that migration's own
    transaction, so the record and the history never disagree, whatever stops the run."""

    def opened(self, conn: Conn, planned: list[PlannedMigration]) -> None: ...

    def applied(self, conn: Conn, version: str) -> None: ...


@dataclass(frozen=True)
class AppliedFile:
    version: str
    path: Path
    mode: str
    duration_ms: int


@dataclass(frozen=True)
class RunResult:
    planned: tuple[PlannedMigration, ...]
    applied: tuple[AppliedFile, ...]
    skipped_files: tuple[Path, ...]
    dry_run: bool


def migrate(
    url: str,
    migrations_dir: Path,
    options: RunOptions,
    notify: Notify = quiet,
    journal: RunJournal | None = None,
) -> RunResult:
    """Apply (or, with ``dry_run``, only plan) every pending migration in ``migrations_dir``;
    ``journal`` hears of the run as it goes (nothing when there is nothing to apply)."""
    found = discover(migrations_dir)
    if options.up_to is not None:
        found = Discovery(
            [m for m in found.migrations if int(m.version) <= int(options.up_to)], found.skipped
        )
    for path in found.skipped:
        notify(f"warning: {path} does not match <version>_<name>.sql and will be skipped")
    for migration in found.migrations:
        if migration.path.is_symlink():
            notify(
                f"warning: {migration.path.name} is a symbolic link to "
                f"{migration.path.resolve()}: that file is what runs"
            )
    with connect(url, autocommit=True) as conn:
        reset_session(conn)
        if options.dry_run:
            planned = _check_and_plan(conn, found, options)
            return RunResult(tuple(planned), (), tuple(found.skipped), True)
        with advisory_lock(conn, options.lock_wait_seconds, notify):
            ensure_history(conn)
            planned = _check_and_plan(conn, found, options)
            _warn_empty(planned, notify)
            if journal is not None and planned:
                journal.opened(conn, planned)
            applied = _apply_all(conn, planned, notify, journal)
    return RunResult(tuple(planned), tuple(applied), tuple(found.skipped), False)


def pending_statuses(conn: Conn, found: Discovery) -> list[MigrationStatus]:
    """Every migration's state against the history in ``conn``."""
    return compare_history(found.migrations, read_history(conn))


def _check_and_plan(conn: Conn, found: Discovery, options: RunOptions) -> list[PlannedMigration]:
    statuses = pending_statuses(conn, found)
    _refuse_history_problems(statuses, options)
    pending = [status.local for status in statuses if status.state == "pending"]
    planned = [
        plan_migration(
            migration,
            server_version_num=conn.info.server_version,
            lock_timeout=options.lock_timeout,
            statement_timeout=options.statement_timeout,
        )
        for migration in pending
        if migration is not None
    ]
    check_extensions_available(conn, [(plan.migration.path, plan.statements) for plan in planned])
    return planned


def _warn_empty(planned: list[PlannedMigration], notify: Notify) -> None:
    for plan in planned:
        if not plan.statements:
            notify(
                f"warning: {plan.migration.path.name} has no SQL statements (empty or comments "
                "only): it is recorded as applied, as the Supabase CLI records it; if you meant "
                f"to write it first, run inv db.repair {plan.migration.version} --status reverted "
                "once it has its SQL"
            )


def _refuse_history_problems(statuses: list[MigrationStatus], options: RunOptions) -> None:
    changed = [status for status in statuses if status.state == "changed"]
    if changed:
        first = changed[0]
        assert first.local is not None and first.applied is not None
        names = ", ".join(status.local.path.name for status in changed if status.local)
        hint = (
            "never edit an applied migration: restore the file (git checkout) and put the "
            "change in a new migration (inv db.new NAME); if the database really has the new "
            f"content, record it with inv db.repair {first.version} --status applied"
        )
        if not first.applied.statements:
            hint = (
                "it was applied while it had no statements; if it was never shipped anywhere "
                f"else, run inv db.repair {first.version} --status reverted, then inv db.up"
            )
        raise MigrationError(
            f"applied migration {first.local.path} was changed after it was applied",
            detail=f"changed: {names}\n{applied_diff(first.local, first.applied)}".rstrip(),
            hint=hint,
        )
    missing = [status for status in statuses if status.state == "missing file"]
    if missing:
        versions = ", ".join(status.version for status in missing)
        raise MigrationError(
            f"the database has migrations that are not in the migrations folder: {versions}",
            detail="they were applied from another branch or machine, or their files were "
            "deleted or renamed",
            hint="fetch the missing files (git pull), or if they were removed on purpose, "
            f"run inv db.repair {missing[0].version} --status reverted",
        )
    applied_versions = [status.version for status in statuses if status.applied is not None]
    newest_applied = max(applied_versions, default="")
    late = [
        status
        for status in statuses
        if status.state == "pending" and applied_versions and status.version < newest_applied
    ]
    if late and not options.allow_out_of_order:
        names = ", ".join(status.local.path.name for status in late if status.local)
        raise MigrationError(
            f"local migrations are older than the newest applied one ({newest_applied}): {names}",
            detail="a branch was merged after newer migrations were applied",
            hint="apply them anyway with --allow-out-of-order if they do not depend on the "
            "newer ones, or give them new timestamps (rename the files) before applying",
        )


def _apply_all(
    conn: Conn, planned: list[PlannedMigration], notify: Notify, journal: RunJournal | None
) -> list[AppliedFile]:
    applied: list[AppliedFile] = []
    applied_by = who_applies(planned[0].migration.path.parent if planned else None)
    for plan in planned:
        started = time.perf_counter()
        notify(f"applying {plan.migration.path.name} ({plan.mode})")
        if len(plan.segments) > 1:
            notify(f"warning: {plan.migration.path.name}: {plan.notes[-1]}")
        done: list[Segment] = []
        try:
            _apply_one(conn, plan, applied_by, started, notify, done, journal)
        except _StatementFailed as failed:
            raise _failure(conn, plan, failed.error, failed.statement, applied, done) from None
        except psycopg.Error as exc:
            raise _failure(conn, plan, exc, None, applied, done) from None
        duration_ms = int((time.perf_counter() - started) * 1000)
        applied.append(
            AppliedFile(plan.migration.version, plan.migration.path, plan.mode, duration_ms)
        )
    return applied


def _apply_one(
    conn: Conn,
    plan: PlannedMigration,
    applied_by: str,
    started: float,
    notify: Notify,
    done: list[Segment],
    journal: RunJournal | None = None,
) -> None:
    """Run the file's parts in order; the history row (and the journal's line) goes in with
    the last one."""
    reset_session(conn)
    migration = plan.migration

    def record() -> None:
        record_applied(
            conn,
            version=migration.version,
            name=migration.name,
            statements=[statement.text for statement in plan.statements],
            checksum=migration.checksum,
            applied_by=applied_by,
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
        if journal is not None:
            journal.applied(conn, migration.version)

    last = len(plan.segments) - 1
    for index, segment in enumerate(plan.segments):
        if segment.kind == "transaction":
            with conn.transaction():
                _set_timeouts(conn, plan, local=True)
                _run_folded(conn, segment.statements)
                if index == last:
                    record()
        else:
            _run_outside_transaction(conn, plan, segment.statements[0], segment.reason, notify)
            if index == last:
                with conn.transaction():
                    record()
        done.append(segment)


def _run_folded(conn: Conn, statements: tuple[Statement, ...]) -> None:
    """Run statements in the open transaction, the file's own transaction control as
    savepoints: BEGIN opens one, COMMIT releases it, ROLLBACK undoes its block. A COMMIT or
    ROLLBACK outside any block changes nothing, as under the Supabase CLI.

    Where the CLI's transaction would end (at the COMMIT that closes the outermost block, and
    after each statement outside a block, which the CLI runs as a transaction of its own),
    what a transaction end ends is ended here too: settings made for the transaction go back
    to what they were, and ON COMMIT DROP / DELETE ROWS temporary tables are dropped or
    emptied."""
    depth = 0
    ending = _TransactionState()
    for statement in statements:
        control = transaction_control(statement.kind, statement.node)
        if control is None:
            scope = transaction_scope(statement.kind, statement.node)
            if scope == _NO_SCOPE:
                _execute(conn, statement)
            else:
                ending.run(conn, statement, scope)
            if depth == 0:
                ending.end(conn)
        elif control == "begin":
            depth += 1
            conn.execute(f"SAVEPOINT dbflow_block_{depth}")
        elif depth and control == "commit":
            conn.execute(f"RELEASE SAVEPOINT dbflow_block_{depth}")
            depth -= 1
            if depth == 0:
                ending.end(conn)
        elif depth and control == "rollback":
            conn.execute(f"ROLLBACK TO SAVEPOINT dbflow_block_{depth}")
            conn.execute(f"RELEASE SAVEPOINT dbflow_block_{depth}")
            depth -= 1
            if depth == 0:
                ending.forget()  # the rollback undid the block's settings and tables itself


_NO_SCOPE = TransactionScope()
# Every setting with its value, and whether something set it (a library loaded on the way,
# plpgsql's by a DO block, brings new settings at their defaults: those are not the file's).
_ALL_SETTINGS = (
    "SELECT name, setting, source <> 'default' FROM pg_settings "
    "UNION ALL SELECT 'role', current_setting('role'), true"
)


class _TransactionState:
    """Transaction-scoped state of the CLI transaction the file is in: each setting's value
    before the transaction changed it, the temporary tables its end drops, and those every
    transaction end empties (ON COMMIT DELETE ROWS, for as long as they exist)."""

    def __init__(self) -> None:
        self.settings: dict[str, str] = {}
        self.dropped: list[str] = []
        self.emptied: list[str] = []

    def run(self, conn: Conn, statement: Statement, scope: TransactionScope) -> None:
        for name in sorted(scope.settings - self.settings.keys()):
            row = conn.execute("SELECT current_setting(%s, true)", (name,)).fetchone()
            self.settings[name] = row[0] if row and row[0] is not None else ""
        before = (
            {name: value for name, value, _ in conn.execute(_ALL_SETTINGS).fetchall()}
            if scope.unnamed_settings
            else None
        )
        _execute(conn, statement)
        if before is not None:
            for name, value, was_set in conn.execute(_ALL_SETTINGS).fetchall():
                changed = before[name] != value if name in before else was_set
                if changed and name not in self.settings:
                    self.settings[name] = before.get(name) or ""
        for name, dropped in scope.temp_tables:
            (self.dropped if dropped else self.emptied).append(name)

    def end(self, conn: Conn) -> None:
        if not self.settings and not self.dropped and not self.emptied:
            return
        restore = sorted(self.settings.items(), key=lambda item: item[0] != "role")
        for name, value in restore:  # the role first: the others may need the session's
            if not name.startswith("transaction_"):
                conn.execute("SELECT set_config(%s, %s, true)", (name, value))
        for name in self.dropped:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("pg_temp", name)))
        for name in list(self.emptied):
            table = sql.Identifier("pg_temp", name)
            found = conn.execute("SELECT to_regclass(%s)", (table.as_string(conn),)).fetchone()
            if found and found[0] is not None:
                conn.execute(sql.SQL("TRUNCATE {}").format(table))
            else:
                self.emptied.remove(name)
        self.settings.clear()
        self.dropped.clear()

    def forget(self) -> None:
        """A rollback undid the block: its settings and the tables it created went with it."""
        self.settings.clear()
        self.dropped.clear()


def _run_outside_transaction(
    conn: Conn,
    plan: PlannedMigration,
    statement: Statement,
    reason: str | None,
    notify: Notify,
) -> None:
    if reason == CONCURRENT_INDEX and resume_index(conn, plan, statement, notify) == "present":
        return
    _set_timeouts(conn, plan, local=False)
    try:
        _execute(conn, statement)
    finally:
        conn.execute("RESET lock_timeout")
        conn.execute("RESET statement_timeout")


class _StatementFailed(Exception):
    """A statement of a migration failed; carries which, for file:line in the message."""

    def __init__(self, statement: Statement, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.statement = statement
        self.error = error


def _execute(conn: Conn, statement: Statement) -> None:
    try:
        conn.execute(statement.text.encode())
    except psycopg.Error as exc:
        raise _StatementFailed(statement, exc) from exc


def _set_timeouts(conn: Conn, plan: PlannedMigration, *, local: bool) -> None:
    scope = sql.SQL("SET LOCAL" if local else "SET")
    for name, value in (
        ("lock_timeout", plan.lock_timeout),
        ("statement_timeout", plan.statement_timeout),
    ):
        conn.execute(sql.SQL("{} {} = {}").format(scope, sql.Identifier(name), sql.Literal(value)))


def _failure(
    conn: Conn,
    plan: PlannedMigration,
    exc: psycopg.Error,
    statement: Statement | None,
    applied: list[AppliedFile],
    done: list[Segment],
) -> MigrationError:
    migration = plan.migration
    diag = exc.diag
    where = f"{migration.path}"
    if statement is not None:
        at = error_position(migration.text, statement, diag.statement_position)
        where += f":{at.line}:{at.column}"
    kept = (
        f"{len(applied)} earlier migration(s) of this run were applied and kept"
        if applied
        else "no migration of this run was applied"
    )
    failed = plan.segments[len(done)] if len(done) < len(plan.segments) else None
    if done:
        lines = sum(len(segment.statements) for segment in done)
        outcome = (
            f"{migration.path.name} is not all-or-nothing: its first {lines} statement(s) "
            f"stayed applied, the rest was not, and the file was not recorded; {kept}"
        )
    elif failed is not None and failed.kind == "autocommit":
        outcome = f"{migration.path.name} ran outside a transaction and was not recorded; {kept}"
    else:
        outcome = f"nothing from {migration.path.name} was kept; {kept}"
    if failed is not None and failed.reason == CONCURRENT_INDEX and not conn.broken:
        outcome += f"; {interrupted_outcome(conn, failed.statements[0])}"
    detail = "\n".join(
        part
        for part in (
            diag.message_detail,
            f"statement: {statement.text}" if statement is not None else None,
            outcome,
        )
        if part
    )
    return MigrationError(
        f"{where}: {diag.message_primary or str(exc).strip()}",
        detail=detail,
        hint=diag.message_hint,
    )
