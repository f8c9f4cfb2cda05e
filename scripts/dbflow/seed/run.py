"""``inv db.seed-dev`` / ``inv db.seed-test``: read the catalog, plan, load, all or nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import psycopg
from psycopg import sql

from dbflow.catalog.model import AUTH_USERS
from dbflow.catalog.read import read_catalog
from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError
from dbflow.places.gate import clear
from dbflow.seed.auth import (
    act_as_first_user,
    add_identities,
    password_hash,
    shape_auth_users,
)
from dbflow.seed.files import run_seed_files
from dbflow.seed.fixtures import FIXTURE_USERS
from dbflow.seed.load import (
    RowProgress,
    TableResult,
    advance_sequences,
    fill_deferred,
    load_table,
    normalize_clock,
    primary_keys,
    reset_sequences,
    rows_already_there,
    rows_outside,
)
from dbflow.seed.model import NOT_SEEDED, SeedPlan, TablePlan
from dbflow.seed.parents import settle_parents
from dbflow.seed.plan import build_plan
from dbflow.seed.values import EPOCH
from dbflow.seed.verify import verify_plan

if TYPE_CHECKING:
    from rich.table import Table

Mode = Literal["dev", "test"]


class SeedError(DbflowError):
    """Loading failed; the transaction was rolled back and nothing was written."""


@dataclass(frozen=True)
class SeedOptions:
    mode: Mode = "dev"
    users: int | None = None
    orgs: int | None = None
    rows: Mapping[str, int] = field(default_factory=dict)
    fixed: Mapping[str, str] = field(default_factory=dict)
    seed: int = 42
    target: str = "local"
    allow_remote: bool = False
    strict: bool = False  # a table that cannot be filled is an error, not a warning

    @property
    def user_count(self) -> int:
        return self.users if self.users is not None else (50 if self.mode == "dev" else 5)

    @property
    def org_count(self) -> int:
        return self.orgs if self.orgs is not None else (10 if self.mode == "dev" else 2)


@dataclass
class SeedResult:
    tables: list[TableResult]
    seed_files: list[Path]
    seconds: float
    plan: SeedPlan

    @property
    def skipped(self) -> list[TablePlan]:
        """Tables left without generated rows, each with its reason (a warning each)."""
        return [plan for plan in self.plan.tables if plan.skipped is not None]

    @property
    def refused(self) -> int:
        """Generated rows the database refused one by one (the plan missed a rule)."""
        return sum(plan.refused for plan in self.plan.tables)


def skip_lines(result: SeedResult) -> list[str]:
    """One warning a table left empty: the table, why, and how to fill it."""
    return [
        f"warning: {plan.table.name} left empty: {plan.skipped} "
        f"(fill it with --fixed {plan.key[1]}.COLUMN=VALUE, or --rows {plan.key[1]}=0 to "
        "leave it empty without a warning)"
        for plan in result.skipped
    ]


def seed_url(settings: Settings, options: SeedOptions) -> str:
    """Where to seed, as the gate allows: never production; a database that is not certainly
    this machine only with --allow-remote."""
    return clear(settings, "seed", options.target, opted_in=options.allow_remote).url


def plan_seed(conn: Conn, options: SeedOptions) -> SeedPlan:
    catalog = read_catalog(conn)
    dev = options.mode == "dev"
    seeded = [table for key, table in catalog.tables.items() if key[0] not in NOT_SEEDED]
    plan = build_plan(
        catalog,
        seed=options.seed,
        realistic=dev,
        counts=options.rows,
        users=max(options.user_count, len(FIXTURE_USERS)),
        orgs=options.org_count,
        default_rows=20 if dev else 2,
        fixed=options.fixed,
        edge_rows=0 if dev else 3,
        fixture_ids=[user.id for user in FIXTURE_USERS],
        existing=rows_already_there(conn, seeded),
        outside=rows_outside(conn, seeded),
        strict=options.strict,
    )
    if AUTH_USERS in plan.by_key:
        shape_auth_users(plan.by_key[AUTH_USERS], password_hash(conn), options.seed)
    verify_plan(conn, plan, strict=options.strict)
    return plan


def seed_files_for(settings: Settings, mode: Mode) -> list[Path]:
    patterns = settings.dev_seed_paths if mode == "dev" else settings.test_seed_paths
    return settings.resolve_globs(patterns)


def seed_within(
    conn: Conn,
    settings: Settings,
    options: SeedOptions,
    progress: RowProgress,
    before: Callable[[], None] = lambda: None,
    *,
    seed_files: bool = True,
) -> SeedResult:
    """Seed inside one transaction on ``conn``: nothing is kept if anything fails. Without
    ``seed_files`` the hand-written seed files are left out (generated rows only)."""
    started = time.perf_counter()
    files = seed_files_for(settings, options.mode) if seed_files else []
    results: list[TableResult] = []
    with conn.transaction():
        before()
        # What the schema's own triggers draw from random() repeats with the seed too.
        conn.execute("SELECT setseed(%s)", ((options.seed % 1000) / 1000,))
        plan = plan_seed(conn, options)
        for table_plan in plan.tables:
            settle_parents(plan, table_plan)
            results.append(_load_or_skip(conn, plan, table_plan, progress, options.strict))
            advance_sequences(conn, table_plan)
            if table_plan.key == AUTH_USERS:
                add_identities(conn)
                if table_plan.total:
                    act_as_first_user(conn, plan.key_value(AUTH_USERS, 0, "id"))
                if files:
                    _run_seed_files(conn, plan, files, settings.project_root)
        if AUTH_USERS not in plan.by_key and files:
            _run_seed_files(conn, plan, files, settings.project_root)
        fill_deferred(conn, plan)
        normalize_clock(conn, plan, EPOCH)
        reset_sequences(conn, plan)
    return SeedResult(results, files, time.perf_counter() - started, plan)


def _load_or_skip(
    conn: Conn, plan: SeedPlan, table_plan: TablePlan, progress: RowProgress, strict: bool
) -> TableResult:
    """Load a table under a savepoint: it has all its rows or none. What the database refuses
    is said as what it is (the table, the constraint, the server's message); without
    ``strict`` the table is left empty with that reason and the seed goes on."""
    try:
        return _load_with_fallback(conn, plan, table_plan, progress)
    except (TypeError, ValueError, OverflowError) as exc:
        reason = f"a generated value does not fit its column ({exc})"
        if strict:
            raise SeedError(
                f"seeding {table_plan.table.name} failed: {reason}",
                detail="nothing was written: the seed ran in one transaction that was rolled back",
                hint=f"override the column with --fixed {table_plan.key[1]}.COLUMN=VALUE",
            ) from None
    except psycopg.Error as exc:
        if isinstance(exc, psycopg.OperationalError) and conn.closed:
            raise
        reason = refusal(exc)
        if strict:
            raise SeedError(
                f"seeding {table_plan.table.name} failed: {reason}",
                detail="\n".join(
                    filter(
                        None,
                        [
                            exc.diag.message_detail,
                            "nothing was written: the seed "
                            "ran in one transaction that was rolled back",
                        ],
                    )
                ),
                hint=exc.diag.message_hint
                or f"override a column with --fixed {table_plan.key[1]}.COLUMN=VALUE, or "
                f"leave the table empty with --rows {table_plan.key[1]}=0",
            ) from None
    table_plan.skip(f"the database refused its rows: {reason}")
    return TableResult(table_plan.table.name, 0, 0.0, "left empty")


def refusal(exc: psycopg.Error) -> str:
    """A server error as one line: its message, and the constraint it names."""
    message = exc.diag.message_primary or str(exc).strip()
    constraint = exc.diag.constraint_name
    if constraint and constraint not in message:
        message = f"{message} (constraint {constraint})"
    detail = exc.diag.message_detail
    return f"{message}: {detail}" if detail else message


def _run_seed_files(conn: Conn, plan: SeedPlan, files: list[Path], root: Path) -> None:
    """Run the hand-written seed files, noting which rows they wrote (children of those
    tables may then pick them, and the rows there before, as parents)."""
    waiting = [table_plan for table_plan in plan.tables if table_plan.key != AUTH_USERS]
    before = {table_plan.key: primary_keys(conn, table_plan) for table_plan in waiting}
    run_seed_files(conn, files, root)
    for table_plan in waiting:
        primary = table_plan.table.primary_key
        there = {tuple(row[name] for name in primary) for row in table_plan.extra_rows}
        written = primary_keys(conn, table_plan) - before[table_plan.key]
        table_plan.seed_file_keys = written | there


def _load_with_fallback(
    conn: Conn, plan: SeedPlan, table_plan: TablePlan, progress: RowProgress
) -> TableResult:
    """Load a table; when one of its own triggers refuses the generated rows (a trigger
    copying a bid into its auction, which a CHECK there refuses), load it again with its
    triggers paused, and say so."""
    try:
        with conn.transaction():
            return load_table(conn, plan, table_plan, progress)
    except psycopg.Error as exc:
        if table_plan.edge_rows:
            # seed-test's edge-case rows (empty, longest, NULL where allowed, the largest
            # integer) can meet a trigger or an overflow the schema does not declare.
            why = exc.diag.message_primary or str(exc).strip()
            table_plan.edge_rows = 0
            table_plan.notes.append(f"edge-case rows left out: the database refused them ({why})")
            return _load_with_fallback(conn, plan, table_plan, progress)
        if not _from_a_trigger(exc) or table_plan.key[0] == "auth":
            raise
        target = sql.Identifier(*table_plan.key)
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(target))
        result = load_table(conn, plan, table_plan, progress)
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(target))
        why = exc.diag.message_primary or str(exc).strip()
        table_plan.notes.append(f"loaded with its triggers paused: a trigger refused a row ({why})")
        return TableResult(result.name, result.rows, result.seconds, "copy, triggers paused")


def _from_a_trigger(exc: psycopg.Error) -> bool:
    """An error raised inside one of the table's triggers (a rule of the application that
    generated rows cannot know, a constraint of the table a trigger writes to)."""
    context = exc.diag.context or ""
    return "PL/pgSQL function" in context or "SQL function" in context


def seed_database(settings: Settings, options: SeedOptions, progress: RowProgress) -> SeedResult:
    url = seed_url(settings, options)
    with connect(url, autocommit=True) as conn:
        return seed_within(conn, settings, options, progress)


def describe_plan(settings: Settings, options: SeedOptions) -> list[str]:
    """The plan as lines, for --dry-run: tables, counts, cycle breaks, CHECKs handled."""
    url = seed_url(settings, options)
    with connect(url, autocommit=True) as conn:
        plan = plan_seed(conn, options)
    return plan_lines(plan, seed_files_for(settings, options.mode), settings.project_root)


def plan_lines(plan: SeedPlan, files: list[Path], root: Path) -> list[str]:
    lines = []
    for table_plan in plan.tables:
        extra = f" + {table_plan.edge_rows} edge-case rows" if table_plan.edge_rows else ""
        lines.append(f"{table_plan.table.name}: {table_plan.count} rows{extra}")
        branches = len(table_plan.live)
        for check in table_plan.table.checks:
            lines.append(
                f"    CHECK {check.name} satisfied by construction"
                + (f" ({branches} branches of the table's CHECKs in use)" if branches > 1 else "")
            )
        for note in table_plan.notes:
            lines.append(f"    note: {note}")
    for key, fk in plan.cycle_breaks:
        lines.append(
            f"cycle broken at {key[0]}.{key[1]}.{', '.join(fk.columns)}: NULL first, "
            "then one UPDATE"
        )
    if files:
        names = ", ".join(str(path.relative_to(root)) for path in files)
        lines.append(f"seed files after auth users: {names}")
    return lines


def render_seed(result: SeedResult, root: Path) -> tuple[Table, str]:
    """The tables seeded (rows, seconds, how) and a closing line."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="bold")
    table.add_column("table", no_wrap=True)
    table.add_column("rows", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("mode")
    for loaded in result.tables:
        table.add_row(loaded.name, str(loaded.rows), f"{loaded.seconds:.2f}", loaded.mode)
    total = sum(loaded.rows for loaded in result.tables)
    files = ", ".join(str(path.relative_to(root)) for path in result.seed_files)
    closing = f"{total} rows in {result.seconds:.2f} s" + (f" (with {files})" if files else "")
    return table, closing + warning_count(result)


def warning_count(result: SeedResult) -> str:
    """``, 2 warnings`` when tables were left empty (nothing when none was)."""
    count = len(result.skipped)
    return f", {count} warning{'s' if count != 1 else ''}" if count else ""
