"""``inv db.seed-dev`` / ``inv db.seed-test``: read the catalog, plan, load, all or nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import psycopg

from dbflow.catalog.model import AUTH_USERS
from dbflow.catalog.read import read_catalog
from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError
from dbflow.seed.auth import add_identities, password_hash, shape_auth_users
from dbflow.seed.files import run_seed_files
from dbflow.seed.fixtures import FIXTURE_USERS
from dbflow.seed.load import (
    RowProgress,
    TableResult,
    fill_deferred,
    load_table,
    normalize_clock,
    reset_sequences,
)
from dbflow.seed.plan import SeedPlan, build_plan
from dbflow.seed.values import EPOCH
from dbflow.targets import clear

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


def seed_url(settings: Settings, options: SeedOptions) -> str:
    """Where to seed, as the gate allows: never production; a database that is not certainly
    this machine only with --allow-remote."""
    return clear(settings, "seed", options.target, opted_in=options.allow_remote).url


def plan_seed(conn: Conn, options: SeedOptions) -> SeedPlan:
    catalog = read_catalog(conn)
    dev = options.mode == "dev"
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
    )
    if AUTH_USERS in plan.by_key:
        shape_auth_users(plan.by_key[AUTH_USERS], password_hash(conn))
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
) -> SeedResult:
    """Seed inside one transaction on ``conn``: nothing is kept if anything fails."""
    started = time.perf_counter()
    files = seed_files_for(settings, options.mode)
    results: list[TableResult] = []
    with conn.transaction():
        before()
        plan = plan_seed(conn, options)
        for table_plan in plan.tables:
            try:
                results.append(load_table(conn, plan, table_plan, progress))
            except psycopg.Error as exc:
                raise SeedError(
                    f"seeding {table_plan.table.name} failed: "
                    f"{exc.diag.message_primary or str(exc).strip()}",
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
            if table_plan.key == AUTH_USERS:
                add_identities(conn)
                if files:
                    run_seed_files(conn, files, settings.project_root)
        if AUTH_USERS not in plan.by_key and files:
            run_seed_files(conn, files, settings.project_root)
        fill_deferred(conn, plan)
        normalize_clock(conn, plan, EPOCH)
        reset_sequences(conn, plan)
    return SeedResult(results, files, time.perf_counter() - started, plan)


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
        for check in table_plan.table.checks:
            lines.append(f"    CHECK {check.name} satisfied by construction")
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
    return table, f"{total} rows in {result.seconds:.2f} s" + (f" (with {files})" if files else "")
