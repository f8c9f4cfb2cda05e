"""``inv db.trace``: what the pending migrations do to a database with rows in it, measured.

A throwaway database is built from the bootstrap template with the migrations before the
traced ones, the tables the traced migrations touch are filled by the seeder (``--rows`` each,
COPY), and the traced migrations are applied one file per transaction, statement by
statement. Around each statement the trace reads, from the database itself:

- the relation locks its own backend holds (``pg_locks``), and which the statement added;
- which tables and indexes got a new ``relfilenode`` (rewritten);
- the rows it read by sequential scan per table (``pg_stat_xact_user_tables``) and the rows
  it changed (the command's row count);
- its time, and how long its locks are held: a lock taken inside a transaction is kept until
  the commit, so a statement holds its locks from its start to the end of its file. Each
  statement runs in a transaction of its own, so that the locks it takes show even where an
  earlier statement of its file holds them already; its hold time is computed as it would be
  in the file's one transaction.

It flags an ACCESS EXCLUSIVE lock held longer than the threshold on a table with rows, and
every rewrite of a table with rows. Statements that cannot run in a transaction (CREATE INDEX
CONCURRENTLY) run on their own and are timed; their locks are not sampled.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError
from dbflow.migrations.discovery import MigrationFile, discover
from dbflow.migrations.history import read_history
from dbflow.places.local import target_url
from dbflow.places.scratch import copy_up_to
from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.progress import Notify, quiet
from dbflow.report.annotations import annotation
from dbflow.seed.run import SeedOptions, seed_within
from dbflow.sql.classify import needs_autocommit
from dbflow.sql.parse import Statement
from dbflow.sql.tree import qualified, walk

# Weakest to strongest, as PostgreSQL's table of lock modes lists them.
LOCK_MODES = (
    "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
)  # fmt: skip
ACCESS_EXCLUSIVE = "AccessExclusiveLock"


@dataclass
class Lock:
    relation: str
    mode: str


@dataclass
class StatementTrace:
    file: str
    line: int
    sql: str
    ms: float = 0.0
    held_ms: float = 0.0  # from the statement's start to its file's commit
    locks: list[Lock] = field(default_factory=list)  # the locks this statement added
    rewritten: list[str] = field(default_factory=list)
    scanned: dict[str, int] = field(default_factory=dict)  # table -> rows read by seq scan
    rows: int | None = None  # rows the command changed or returned
    in_transaction: bool = True
    flags: list[str] = field(default_factory=list)

    @property
    def strongest(self) -> str | None:
        modes = [lock.mode for lock in self.locks if lock.mode in LOCK_MODES]
        return max(modes, key=LOCK_MODES.index) if modes else None


@dataclass
class TraceReport:
    rows: int
    threshold_ms: float
    traced: list[str] = field(default_factory=list)  # the migration files traced
    seeded: dict[str, int] = field(default_factory=dict)  # table -> rows before the trace
    statements: list[StatementTrace] = field(default_factory=list)
    total_ms: float = 0.0

    @property
    def flagged(self) -> list[StatementTrace]:
        return [statement for statement in self.statements if statement.flags]


@dataclass(frozen=True)
class TraceRequest:
    rows: int = 100_000
    threshold_ms: float = 500.0
    files: tuple[Path, ...] = ()  # trace these (default: those the local database lacks)


def trace_migrations(
    settings: Settings, request: TraceRequest, notify: Notify = quiet
) -> TraceReport:
    migrations = discover(settings.migrations_dir).migrations
    traced = _chosen(settings, migrations, request.files)
    result = TraceReport(request.rows, request.threshold_ms)
    if not traced:
        return result
    first = migrations.index(traced[0])
    last = migrations.index(traced[-1])
    before = migrations[first - 1].version if first > 0 else None
    with (
        copy_up_to(settings, "dbflow_trace", before, notify) as url,
        connect(url, autocommit=True) as conn,
    ):
        touched = _touched_tables(conn, traced)
        if touched and request.rows > 0:
            notify(f"seeding {len(touched)} table(s) with {request.rows} rows each")
            options = SeedOptions(mode="dev", rows={t: request.rows for t in touched})
            seed_within(conn, settings, options, lambda plan, rows: None, seed_files=False)
            for table in touched:
                conn.execute(f"ANALYZE {table}")
        result.seeded = _row_counts(conn, touched)
        started = time.perf_counter()
        for migration in migrations[first : last + 1]:
            if migration in traced:
                result.traced.append(_shown(migration.path, settings.project_root))
                notify(f"tracing {migration.path.name}")
                result.statements += _trace_file(conn, migration, settings.project_root)
            else:
                _apply(conn, migration)
        result.total_ms = (time.perf_counter() - started) * 1000
    _flag(result)
    return result


def _chosen(
    settings: Settings, migrations: list[MigrationFile], files: tuple[Path, ...]
) -> list[MigrationFile]:
    if files:
        wanted = {path.resolve() for path in files}
        chosen = [m for m in migrations if m.path.resolve() in wanted]
        known = {m.path.resolve() for m in migrations}
        unknown = [str(path) for path in files if path.resolve() not in known]
        if unknown:
            raise DbflowError(
                f"not a migration in {settings.migrations_dir}: {', '.join(unknown)}",
                hint="name files of supabase/migrations (<version>_<name>.sql)",
            )
        return chosen
    with connect(target_url(settings, "local"), autocommit=True) as conn:
        applied = read_history(conn)
    return [m for m in migrations if m.version not in applied]


def _touched_tables(conn: Conn, traced: list[MigrationFile]) -> list[str]:
    """Tables that exist now and that a traced statement names, quoted ``schema.table``: the
    tables the seeder fills."""
    named: set[tuple[str, str]] = set()
    for migration in traced:
        for statement in migration.statements:
            if statement.node.relation:
                named.add(statement.node.relation)
            for kind, body in walk(statement.node):
                if kind == "RangeVar":
                    named.add(qualified(body))
    found = []
    for schema, table in sorted(named):
        if schema in MANAGED_SCHEMAS and (schema, table) != ("auth", "users"):
            continue  # the platform's tables, which the seeder leaves alone (but auth.users)
        row = conn.execute(
            "SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
            (schema, table),
        ).fetchone()
        if row:
            found.append(str(row[0]))
    return found


def _row_counts(conn: Conn, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


_LOCKS = """
SELECT c.oid, format('%I.%I', n.nspname, c.relname), l.mode
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
"""  # relations the statement made itself, and transient ones gone by now, are left out
_FILES = """
SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relfilenode, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND c.relkind IN ('r', 'i', 'm', 't', 'p')
"""
_SCANS = """
SELECT format('%I.%I', schemaname, relname), coalesce(seq_tup_read, 0)
FROM pg_stat_xact_user_tables
"""


def _trace_file(conn: Conn, migration: MigrationFile, root: Path) -> list[StatementTrace]:
    """Each statement in a transaction of its own, so that the locks it takes can be read even
    where an earlier statement of the file already holds them; its hold time is what it would
    be in the file's one transaction: from its start to the end of the file."""
    shown = _shown(migration.path, root)
    traces: list[StatementTrace] = []
    try:
        for statement in migration.statements:
            if statement.kind == "TransactionStmt":
                continue  # the trace owns the transactions, as the runner does
            trace = StatementTrace(shown, statement.line, _head(statement))
            traces.append(trace)
            if needs_autocommit(statement.kind, statement.node, conn.info.server_version):
                trace.in_transaction = False
                began = time.perf_counter()
                conn.execute(statement.text.encode())
                trace.ms = round((time.perf_counter() - began) * 1000, 1)
                continue
            with conn.transaction():
                locks = {tuple(row) for row in conn.execute(_LOCKS)}
                files = {row[0]: (row[1], row[2]) for row in conn.execute(_FILES)}
                scans = {str(t): int(n) for t, n in conn.execute(_SCANS)}
                began = time.perf_counter()
                cursor = conn.execute(statement.text.encode())
                trace.ms = round((time.perf_counter() - began) * 1000, 1)
                trace.rows = cursor.rowcount if cursor.rowcount >= 0 else None
                taken = {tuple(row) for row in conn.execute(_LOCKS)} - locks
                trace.locks = [
                    Lock(str(name), str(mode))
                    for oid, name, mode in sorted(taken, key=lambda row: (row[1], row[2]))
                    if oid in files  # it existed before the statement
                ]
                after = {row[0]: row[2] for row in conn.execute(_FILES)}
                trace.rewritten = sorted(
                    name
                    for oid, (name, node) in files.items()
                    if oid in after and after[oid] != node
                )
                for table, read in conn.execute(_SCANS):
                    delta = int(read) - scans.get(str(table), 0)
                    if delta > 0:
                        trace.scanned[str(table)] = delta
    except Exception as exc:
        line = traces[-1].line if traces else 1
        message = getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)
        raise DbflowError(
            f"{shown}:{line}: the migration failed while traced: {message}",
            detail="nothing is kept: the trace runs on a throwaway database",
        ) from None
    remaining = 0.0
    for trace in reversed(traces):  # held from its start to the end of the file's transaction
        if trace.in_transaction:
            remaining += trace.ms
            trace.held_ms = round(remaining, 1)
    return traces


def _apply(conn: Conn, migration: MigrationFile) -> None:
    """A migration between traced ones: applied, not measured."""
    with conn.transaction():
        for statement in migration.statements:
            if statement.kind != "TransactionStmt":
                conn.execute(statement.text.encode())


def _flag(result: TraceReport) -> None:
    rows = result.seeded
    for trace in result.statements:
        for lock in trace.locks:
            count = rows.get(lock.relation, 0)
            if lock.mode == ACCESS_EXCLUSIVE and count and trace.held_ms > result.threshold_ms:
                trace.flags.append(
                    f"ACCESS EXCLUSIVE on {lock.relation} ({count} rows) held "
                    f"{trace.held_ms:.0f} ms (threshold {result.threshold_ms:.0f} ms): "
                    "every read and write of it waits"
                )
        for relation in trace.rewritten:
            if rows.get(relation, 0):
                trace.flags.append(f"rewrote {relation} ({rows[relation]} rows) and its indexes")


def _head(statement: Statement) -> str:
    text = " ".join(statement.text.split())
    return text if len(text) <= 120 else text[:117] + "..."


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


_SHORT = {mode: mode.removesuffix("Lock") for mode in LOCK_MODES}


def render_trace(report: TraceReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "rows": report.rows,
                "threshold_ms": report.threshold_ms,
                "traced": report.traced,
                "seeded": report.seeded,
                "total_ms": round(report.total_ms, 1),
                "statements": [{**asdict(s), "strongest": s.strongest} for s in report.statements],
            },
            indent=2,
        )
    if not report.traced:
        return "nothing to trace: the local database has every migration (name files with --file)"
    lines = []
    if fmt == "github":
        for s in report.flagged:
            for flag in s.flags:
                lines.append(
                    annotation("warning", flag, file=s.file, line=s.line, title="db.trace")
                )
    seeded = ", ".join(f"{t} {n}" for t, n in report.seeded.items()) or "no table touched"
    lines.append(f"traced {len(report.traced)} migration(s) on a copy with rows ({seeded})")
    for s in report.statements:
        lines.append(f"{s.file}:{s.line}: {s.sql}")
        if not s.in_transaction:
            lines.append(f"    {s.ms} ms, outside a transaction (locks not sampled)")
            continue
        locks = ", ".join(
            f"{_SHORT.get(lock.mode, lock.mode)} on {lock.relation}" for lock in s.locks
        )
        lines.append(f"    {s.ms} ms; locks held {s.held_ms} ms: {locks or 'none new'}")
        if s.rewritten:
            lines.append(f"    rewrote: {', '.join(s.rewritten)}")
        if s.scanned:
            lines.append(
                "    scanned: " + ", ".join(f"{t} ({n} rows)" for t, n in s.scanned.items())
            )
        if s.rows is not None:
            lines.append(f"    rows: {s.rows}")
        lines += [f"    FLAG: {flag}" for flag in s.flags]
    lines.append(f"total {report.total_ms:.0f} ms; {len(report.flagged)} statement(s) flagged")
    return "\n".join(lines)
