"""Apply pending migrations: one transaction per file with its history, under an advisory lock.

The run is refused before anything is applied when history and files disagree (an applied
file changed, an applied file missing, a file older than the newest applied), when any
pending file does not parse or mixes statements that cannot share a transaction, or when a
file creates an extension the server does not have.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.migrations.compare import MigrationStatus, applied_diff, compare_history
from dbflow.migrations.concurrent import interrupted_outcome, resume_index
from dbflow.migrations.discovery import Discovery, discover
from dbflow.migrations.extensions import check_extensions_available
from dbflow.migrations.history import ensure_history, read_history, record_applied
from dbflow.migrations.plan import MigrationError, PlannedMigration, Segment, plan_migration
from dbflow.progress import Notify, quiet
from dbflow.sql.classify import transaction_control
from dbflow.sql.parse import Statement
from dbflow.sql.statements import error_position

# pg_try_advisory_lock key shared by every dbflow runner ("dbflow" in ASCII).
ADVISORY_LOCK_KEY = 0x6462666C6F77
_POLL_SECONDS = 0.25
RUNNER_APPLICATION = "dbflow"
CONCURRENT_INDEX = "CREATE INDEX CONCURRENTLY"
# Keepalives: a session whose runner's machine vanished (not only its process) ends too.
_SESSION_SETTINGS = (
    ("tcp_keepalives_idle", "30"),
    ("tcp_keepalives_interval", "10"),
    ("tcp_keepalives_count", "3"),
)


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    allow_out_of_order: bool = False
    lock_timeout: str = "10s"
    statement_timeout: str = "15min"
    lock_wait_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RunOptions:
        """The runner's options from settings (timeouts, lock wait)."""
        return cls(
            lock_timeout=settings.lock_timeout,
            statement_timeout=settings.statement_timeout,
            lock_wait_seconds=settings.lock_wait_seconds,
        )


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
    url: str, migrations_dir: Path, options: RunOptions, report: Notify = quiet
) -> RunResult:
    """Apply (or, with ``dry_run``, only plan) every pending migration in ``migrations_dir``."""
    found = discover(migrations_dir)
    for path in found.skipped:
        report(f"warning: {path} does not match <version>_<name>.sql and will be skipped")
    with connect(url, autocommit=True) as conn:
        reset_session(conn)
        if options.dry_run:
            planned = _check_and_plan(conn, found, options)
            return RunResult(tuple(planned), (), tuple(found.skipped), True)
        with advisory_lock(conn, options.lock_wait_seconds, report):
            ensure_history(conn)
            planned = _check_and_plan(conn, found, options)
            _warn_empty(planned, report)
            applied = _apply_all(conn, planned, report)
    return RunResult(tuple(planned), tuple(applied), tuple(found.skipped), False)


def pending_statuses(conn: Conn, found: Discovery) -> list[MigrationStatus]:
    """Every migration's state against the history in ``conn``."""
    return compare_history(found.migrations, read_history(conn))


def runner_name() -> str:
    """The application_name of this runner's session: who it is, where, so that another
    runner can tell when the process behind a held lock is gone."""
    return f"{RUNNER_APPLICATION} {socket.gethostname()}:{os.getpid()}"[:63]


def reset_session(conn: Conn) -> None:
    """Clear what an earlier migration SET for the session, then set what a runner needs:
    its name, and (PostgreSQL 14+) a server that notices within seconds when the runner's
    process is gone, even in the middle of a long statement, and ends its session (and so
    releases the lock)."""
    conn.execute("RESET ALL")
    conn.execute("SELECT set_config('application_name', %s, false)", (runner_name(),))
    for name, value in _SESSION_SETTINGS:
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    if conn.info.server_version >= 140000:
        conn.execute("SELECT set_config('client_connection_check_interval', '1s', false)")


@dataclass(frozen=True)
class LockHolder:
    """The session holding the runner lock, as pg_stat_activity shows it."""

    backend_pid: int
    application: str
    user: str

    @property
    def client(self) -> tuple[str, int] | None:
        """The host and process id of a dbflow runner, from its application_name."""
        prefix, _, where = self.application.partition(" ")
        host, _, pid = where.rpartition(":")
        if prefix != RUNNER_APPLICATION or not host or not pid.isdigit():
            return None
        return host, int(pid)

    def client_gone(self) -> bool:
        """True when the holder is a runner on this machine whose process no longer exists."""
        client = self.client
        if client is None or client[0] != socket.gethostname():
            return False
        try:
            os.kill(client[1], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        return f"pid {self.backend_pid}, {self.application}, user {self.user}"


@contextmanager
def advisory_lock(conn: Conn, wait_seconds: float, report: Notify) -> Iterator[None]:
    """Hold dbflow's session advisory lock; poll with a try-lock, never block on it.

    A lock whose holder is a runner on this machine that no longer exists (killed while its
    server session went on) is taken back: that session is ended, rolling back what it had
    not committed.
    """
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        if row and row[0]:
            break
        holder = lock_holder(conn)
        if holder is not None and holder.client_gone():
            _end_orphaned_session(conn, holder, report)
            continue
        described = f" ({holder.describe()})" if holder else ""
        if time.monotonic() >= deadline:
            raise MigrationError(
                f"another migration runner still holds the lock after {wait_seconds:g} s"
                + described,
                detail="nothing was applied",
                hint="wait for it to finish and run again, or raise lock_wait_seconds",
            )
        if not announced:
            report(
                f"waiting for another migration runner{described} to finish, "
                f"up to {wait_seconds:g} s"
            )
            announced = True
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def lock_holder(conn: Conn) -> LockHolder | None:
    """Who holds the runner lock, when visible."""
    row = conn.execute(
        "SELECT a.pid, coalesce(nullif(a.application_name, ''), 'unknown'), a.usename "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1",
        (ADVISORY_LOCK_KEY,),
    ).fetchone()
    if row is None:
        return None
    return LockHolder(int(row[0]), str(row[1]), str(row[2]))


def _end_orphaned_session(conn: Conn, holder: LockHolder, report: Notify) -> None:
    report(
        f"the runner holding the lock ({holder.application}) is gone; ending its server "
        f"session (pid {holder.backend_pid}), which rolls back what it had not committed"
    )
    try:
        conn.execute("SELECT pg_terminate_backend(%s)", (holder.backend_pid,))
    except psycopg.Error as exc:
        raise MigrationError(
            f"the runner holding the lock is gone, but its server session (pid "
            f"{holder.backend_pid}) cannot be ended: {exc.diag.message_primary or exc}",
            detail="nothing was applied",
            hint=f"ask an administrator to run SELECT pg_terminate_backend({holder.backend_pid})",
        ) from None


def who_applies(project_root: Path | None = None) -> str:
    """The person applying: git's user.name/email where set, else the OS account."""
    try:
        result = subprocess.run(
            ["git", "config", "user.email"],
            capture_output=True,
            text=True,
            cwd=project_root,
            timeout=5,
            check=False,
        )
        email = result.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        email = ""
    return email or getpass.getuser()


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


def _warn_empty(planned: list[PlannedMigration], report: Notify) -> None:
    for plan in planned:
        if not plan.statements:
            report(
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


def _apply_all(conn: Conn, planned: list[PlannedMigration], report: Notify) -> list[AppliedFile]:
    applied: list[AppliedFile] = []
    applied_by = who_applies(planned[0].migration.path.parent if planned else None)
    for plan in planned:
        started = time.perf_counter()
        report(f"applying {plan.migration.path.name} ({plan.mode})")
        if len(plan.segments) > 1:
            report(f"warning: {plan.migration.path.name}: {plan.notes[-1]}")
        done: list[Segment] = []
        try:
            _apply_one(conn, plan, applied_by, started, report, done)
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
    report: Notify,
    done: list[Segment],
) -> None:
    """Run the file's parts in order; the history row goes in with the last one."""
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

    last = len(plan.segments) - 1
    for index, segment in enumerate(plan.segments):
        if segment.kind == "transaction":
            with conn.transaction():
                _set_timeouts(conn, plan, local=True)
                _run_folded(conn, segment.statements)
                if index == last:
                    record()
        else:
            _run_outside_transaction(conn, plan, segment.statements[0], segment.reason, report)
            if index == last:
                with conn.transaction():
                    record()
        done.append(segment)


def _run_folded(conn: Conn, statements: tuple[Statement, ...]) -> None:
    """Run statements in the open transaction, the file's own transaction control as
    savepoints: BEGIN opens one, COMMIT releases it, ROLLBACK undoes its block. A COMMIT or
    ROLLBACK outside any block changes nothing, as under the Supabase CLI."""
    depth = 0
    for statement in statements:
        control = transaction_control(statement.kind, statement.node)
        if control is None:
            _execute(conn, statement)
        elif control == "begin":
            depth += 1
            conn.execute(f"SAVEPOINT dbflow_block_{depth}")
        elif depth and control == "commit":
            conn.execute(f"RELEASE SAVEPOINT dbflow_block_{depth}")
            depth -= 1
        elif depth and control == "rollback":
            conn.execute(f"ROLLBACK TO SAVEPOINT dbflow_block_{depth}")
            conn.execute(f"RELEASE SAVEPOINT dbflow_block_{depth}")
            depth -= 1


def _run_outside_transaction(
    conn: Conn,
    plan: PlannedMigration,
    statement: Statement,
    reason: str | None,
    report: Notify,
) -> None:
    if reason == CONCURRENT_INDEX and resume_index(conn, plan, statement, report) == "present":
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
