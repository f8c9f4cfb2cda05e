"""``db.seed-dev`` and ``db.seed-test``: synthetic data from the live schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from invoke.context import Context
from invoke.tasks import Task, task

from dbflow.tasks.output import (
    console,
    pairs,
    say,
    settings,
    show,
    user_errors,
    warn,
    whole_number,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rich.progress import Progress, TaskID

    from dbflow.config import Settings
    from dbflow.seed.model import TablePlan
    from dbflow.seed.run import SeedOptions

HELP = {
    "users": "auth users to create (dev default 50, test default 5; the first 3 are fixtures)",
    "orgs": "rows for the organizations table (dev default 10)",
    "rows": "TABLE=N row count for a table (repeatable)",
    "seed": "the seed: the same seed gives the same data on every machine (default 42)",
    "fixed": "TABLE.COLUMN=VALUE for a column dbflow cannot fill (repeatable)",
    "dry-run": "print the plan (tables, counts, cycle breaks, CHECKs) and write nothing",
    "sql": "write the data as INSERT statements to this file instead of loading it",
    "target": "local (default) or staging (with --allow-remote); never production",
    "allow-remote": "allow seeding a database that is not on this machine",
    "strict": "fail when a table cannot be filled (by default it is left empty, with a warning)",
}


@dataclass(frozen=True, kw_only=True)
class SeedFlags:
    """The seed tasks' flags as invoke hands them over (counts arrive as text)."""

    users: str | None
    orgs: str | None
    rows: list[str] | None
    seed: int
    fixed: list[str] | None
    dry_run: bool
    sql: str | None
    target: str
    allow_remote: bool
    strict: bool


def _seed_task(mode: str, summary: str) -> Task[Any]:
    """The ``db.seed-<mode>`` task: both seed tasks take the same flags."""

    def seed_task(
        c: Context,
        users: str | None = None,
        orgs: str | None = None,
        rows: list[str] | None = None,
        seed: int = 42,
        fixed: list[str] | None = None,
        dry_run: bool = False,
        sql: str | None = None,
        target: str = "local",
        allow_remote: bool = False,
        strict: bool = False,
    ) -> None:
        flags = SeedFlags(
            users=users,
            orgs=orgs,
            rows=rows,
            seed=seed,
            fixed=fixed,
            dry_run=dry_run,
            sql=sql,
            target=target,
            allow_remote=allow_remote,
            strict=strict,
        )
        run_seed(mode, flags)

    seed_task.__doc__ = summary
    made: Task[Any] = task(name=f"seed-{mode}", iterable=["rows", "fixed"], help=HELP)(seed_task)
    return made


seed_dev = _seed_task(
    "dev", "Fill the local database with realistic synthetic data, generated from its schema."
)
seed_test = _seed_task(
    "test", "Fill the local database with minimal, deterministic test data and named fixtures."
)


def run_seed(mode: str, flags: SeedFlags) -> None:
    """Both seed tasks: parse the flags, then plan (dry run), export (--sql) or load."""

    from dbflow.connection import connect
    from dbflow.report.files import check_output_file
    from dbflow.seed.export import write_sql
    from dbflow.seed.run import (
        SeedOptions,
        describe_plan,
        plan_seed,
        render_seed,
        seed_database,
        seed_url,
        skip_lines,
    )

    counts: dict[str, int] = {}
    for name, value in pairs(flags.rows, "--rows").items():
        count = whole_number(value, f"--rows {name}")
        assert count is not None
        counts[name] = count
    options = SeedOptions(
        mode="dev" if mode == "dev" else "test",
        users=whole_number(flags.users, "--users"),
        orgs=whole_number(flags.orgs, "--orgs"),
        rows=counts,
        fixed=pairs(flags.fixed, "--fixed"),
        seed=flags.seed,
        target=flags.target,
        allow_remote=flags.allow_remote,
        strict=flags.strict,
    )
    project = settings()
    with user_errors():
        if flags.dry_run:
            for line in describe_plan(project, options):
                say(line)
            say("dry run: nothing was written")
            return
        if flags.sql:
            path = check_output_file(flags.sql, "--sql")
            with connect(seed_url(project, options), autocommit=True) as conn, conn.transaction():
                written = write_sql(conn, plan_seed(conn, options), path)
            say(f"wrote {written} rows as INSERT statements to {flags.sql}")
            return
        with _row_progress() as progress, _seed_lock(project, options, mode):
            result = seed_database(project, options, progress)
    table, closing = render_seed(result, project.project_root)
    show(table)
    for line in skip_lines(result):
        warn(line)
    say(closing)


def _seed_lock(project: Settings, options: SeedOptions, mode: str) -> AbstractContextManager[None]:
    """The project's lock for a seed of the local database (not while a reset or db.up runs);
    other targets are the gate's to judge, before anything else."""
    from contextlib import nullcontext

    from dbflow.places.project_lock import project_lock

    if options.target != "local":
        return nullcontext()
    return project_lock(project, f"db.seed-{mode}")


def _row_progress() -> RowBars:
    return RowBars()


class RowBars:
    """Rows written per table: progress bars on a terminal, nothing in CI or a pipe."""

    def __init__(self) -> None:
        self.bars: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RowBars:
        import os

        if console().is_terminal and not os.environ.get("CI"):
            from rich.progress import Progress

            self.bars = Progress(console=console(), transient=True)
            self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.stop()

    def __call__(self, plan: TablePlan, written: int) -> None:
        if self.bars is None:
            return
        name = plan.table.name
        if name not in self.tasks:
            self.tasks[name] = self.bars.add_task(name, total=max(plan.total, 1))
        self.bars.update(self.tasks[name], completed=written)


TASKS = [seed_dev, seed_test]
