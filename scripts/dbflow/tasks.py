"""The invoke collection: ``inv db.*`` (and the ``dbflow`` console script).

Tasks are thin: parse arguments, call the library, print. Errors a user can act on are
printed as message / detail / hint with no traceback, and exit with status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TaskID

from dbflow.config import Settings, load_settings
from dbflow.connection import connect
from dbflow.deploy import PushOptions, apply_pending, repair_history, restore_archive
from dbflow.deploy import push as push_migrations
from dbflow.diff import diff_databases, migration_sql, post_webhook, render_migration
from dbflow.diff import render_json as render_diff_json
from dbflow.diff import render_report as render_diff_report
from dbflow.dump import DumpKind, backup_path
from dbflow.dump import dump as dump_database
from dbflow.errors import DbflowError
from dbflow.local import StatusReport, describe_local, start_local, stop_local
from dbflow.migrations.new import new_migration
from dbflow.migrations.runner import RunResult
from dbflow.migrations.status import migration_rows
from dbflow.redact import redact_text, redact_url
from dbflow.reset import reset_local
from dbflow.seed.export import write_sql
from dbflow.seed.plan import TablePlan
from dbflow.seed.run import SeedOptions, describe_plan, plan_seed, seed_database, seed_url
from dbflow.targets import Confirm, clear
from dbflow.typegen import generate_types
from dbflow.validate.cli import validate_command
from dbflow.validate.docs import write_reference

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a DbflowError into a clear message and exit status 1."""
    try:
        yield
    except DbflowError as exc:
        _print_error(exc.message, exc.detail, exc.hint)
        raise Exit(code=1) from None
    except psycopg.Error as exc:  # a connection lost mid-way, a server that went away
        reason = redact_text(str(exc).strip()) or type(exc).__name__
        _print_error(
            f"the database connection failed: {reason}",
            None,
            "`inv db.status` shows whether the server is up; a command that stopped half-way "
            "changed nothing it had not committed",
        )
        raise Exit(code=1) from None


def _print_error(message: str, detail: str | None, hint: str | None) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False)
    if detail:
        err.print(f"[dim]detail:[/] {escape(detail)}", markup=True)
    if hint:
        err.print(f"[cyan]hint:[/] {escape(hint)}", markup=True)


def _settings() -> Settings:
    return load_settings()


@task
def start(c: Context) -> None:
    """Start the local PostgreSQL (made to look like Supabase) and install the bootstrap."""
    with user_errors():
        report = start_local(_settings())
    if report.external_url:
        out.print(
            f"DATABASE_URL is set: using {redact_url(report.external_url)} "
            "(dbflow's own engine is not started)"
        )
        return
    assert report.outcome is not None and report.bootstrap is not None
    if report.recovered:
        out.print(f"[yellow]recovered:[/] {report.recovered}")
    for name in report.stopped:
        out.print(f"stopped the project's {name} cluster to free the port", markup=False)
    state = report.outcome.state
    version = state.info.get("version", "?")
    kind = state.info.get("kind", "?")
    if report.outcome.already_running:
        out.print(f"PostgreSQL {version} ({kind}) is already up on 127.0.0.1:{state.port}")
    else:
        made = ", new cluster" if report.outcome.initialized_now else ""
        out.print(f"started PostgreSQL {version} ({kind}) on 127.0.0.1:{state.port}{made}")
        if report.choice is not None:
            out.print(f"engine: {report.choice.reason}", markup=False)
    if report.bootstrap.changed:
        out.print("installed the Supabase bootstrap")
    for notice in report.bootstrap.notices:
        out.print(f"[yellow]notice:[/] {notice}")


@task
def stop(c: Context) -> None:
    """Stop the local PostgreSQL started by `db.start`."""
    with user_errors():
        stopped = stop_local(_settings())
    if stopped is None:
        out.print("DATABASE_URL is set: that server is not dbflow's to stop")
    elif stopped:
        out.print("stopped the local PostgreSQL")
    else:
        out.print("the local PostgreSQL was not running")


@task(help={"env": "print DATABASE_URL=... (unredacted, for scripts) instead of the report"})
def status(c: Context, env: bool = False) -> None:
    """Show the local database: engine, version, data dir, URL, extensions, bootstrap."""
    with user_errors():
        report = describe_local(_settings())
    if env:
        if not report.reachable or report.url is None:
            err.print("error: the local database is not running; start it with `inv db.start`")
            raise Exit(code=1)
        print(f"DATABASE_URL={report.url}")
        return
    _print_status(report)
    if not report.reachable:
        raise Exit(code=1)


def _print_status(report: StatusReport) -> None:
    rows: list[tuple[str, str]] = []
    if report.source == "DATABASE_URL":
        rows.append(("engine", "external server from DATABASE_URL (not managed by dbflow)"))
    elif report.choice is not None:
        choice = report.choice
        rows.append(("engine", f"{choice.reason} ({choice.binaries.bin_dir})"))
        if choice.missing:
            rows.append(("missing", ", ".join(choice.missing) + " (no engine here, no stand-in)"))
    else:
        bin_dir = state.info.get("bin_dir") if (state := report.engine_state) else None
        kind = report.engine_kind or "not started yet"
        rows.append(("engine", f"{kind} PostgreSQL" + (f" ({bin_dir})" if bin_dir else "")))
    state = report.engine_state
    if report.reachable:
        where = f" (pid {state.pid})" if state and state.pid else ""
        rows.append(("state", f"running{where}, PostgreSQL {report.server_version}"))
    elif state and state.running:
        rows.append(("state", f"server running (pid {state.pid}), not reachable: {report.problem}"))
    else:
        reason = f": {report.problem}" if report.problem else "; start it with `inv db.start`"
        rows.append(("state", f"not running{reason}"))
    if state and state.cleaned_stale_pid:
        rows.append(("note", f"removed a stale pid file (pid {state.cleaned_stale_pid} was gone)"))
    if report.data_dir:
        rows.append(("data dir", report.data_dir))
    rows.append(("url", report.redacted_url or "-"))
    if report.reachable:
        rows.append(("extensions", f"{len(report.extensions)} available"))
        bootstrap = report.bootstrap
        if bootstrap and bootstrap.installed:
            mode = "strict" if bootstrap.strict else "permissive"
            rows.append(("bootstrap", f"installed (version {bootstrap.version}, {mode} mode)"))
        else:
            rows.append(("bootstrap", "not installed (dbflow did not bootstrap this database)"))
        if bootstrap and bootstrap.standins_available:
            used = ", ".join(bootstrap.standins_installed) or "none"
            rows.append(
                ("stand-ins", f"{', '.join(bootstrap.standins_available)} (in use: {used})")
            )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        out.print(f"{label.ljust(width)}  {value}", markup=False)
    if report.reachable and report.extensions:
        out.print(f"{''.ljust(width)}  " + ", ".join(report.extensions), markup=False)


_TARGET_HELP = "local (default), staging or production"


@task(
    help={
        "name": "the migration's name: a plain identifier, e.g. add_projects_table",
        "template": "start from a template: table (new table with RLS) or column (add column)",
        "table": "the table the template is about (default: from the name)",
        "column": "the column to add (column template)",
    }
)
def new(
    c: Context,
    name: str,
    template: str | None = None,
    table: str | None = None,
    column: str | None = None,
) -> None:
    """Write a new timestamped migration in supabase/migrations and print its path."""
    settings = _settings()
    with user_errors():
        path = new_migration(
            settings.migrations_dir, name, template=template, table=table, column=column
        )
    out.print(str(path.relative_to(settings.project_root)), markup=False)


@task(
    help={
        "target": _TARGET_HELP,
        "dry-run": "print the pending files, their mode and their SQL; change nothing",
        "allow-out-of-order": "apply local migrations older than the newest applied one",
    }
)
def up(
    c: Context,
    target: str = "local",
    dry_run: bool = False,
    allow_out_of_order: bool = False,
) -> None:
    """Apply pending migrations in order, one transaction per file (local or shared database;
    staging and production go through db.push)."""
    settings = _settings()
    with user_errors():
        result = apply_pending(
            settings,
            target,
            dry_run=dry_run,
            allow_out_of_order=allow_out_of_order,
            report=_progress,
        )
    _print_run(result)


@task(name="list", help={"target": _TARGET_HELP, "json": "print JSON (for CI)"})
def list_(c: Context, target: str = "local", json_: bool = False) -> None:
    """Show every migration: local, applied, checksum state, applied at, duration."""
    settings = _settings()
    with user_errors():
        rows = migration_rows(clear(settings, "list", target).url, settings.migrations_dir)
    if json_:
        print(json.dumps([row.as_json() for row in rows], indent=2))
        return
    if not rows:
        out.print(f"no migrations in {settings.migrations_dir} and none applied")
        return
    headers = ("version", "name", "local", "applied", "state", "applied at", "duration")
    cells = [
        (
            row.version,
            row.name,
            "yes" if row.local else "-",
            "yes" if row.applied else "-",
            row.state,
            row.applied_at or "-",
            f"{row.duration_ms} ms" if row.duration_ms is not None else "-",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (headers, *cells)) for i in range(len(headers))]
    out.print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for line, row in zip(cells, rows, strict=True):
        text = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        style = {"ok": None, "pending": "yellow"}.get(row.state, "bold red")
        out.print(text, style=style, markup=False)


@task(
    help={
        "version": "the migration version (its leading digits)",
        "status": "applied (record the local file as applied) or reverted (forget it)",
        "target": _TARGET_HELP,
        "yes": "instead of typing the target's name (production: only in the approved job)",
    }
)
def repair(c: Context, version: str, status: str, target: str = "local", yes: bool = False) -> None:
    """Mark a migration applied or reverted in the history, without running its SQL."""
    if status not in ("applied", "reverted"):
        err.print("error: --status must be applied or reverted")
        raise Exit(code=2)
    settings = _settings()
    with user_errors():
        message = repair_history(
            settings,
            target,
            version,
            "applied" if status == "applied" else "reverted",
            yes=yes,
            confirm=_terminal_confirm(),
        )
    out.print(message)


@task(
    help={
        "seed": "run supabase/seed.sql and seeds/dev/*.sql after the migrations (--no-seed skips)",
        "target": "local (the default and the only one allowed: a reset drops everything)",
    }
)
def reset(c: Context, seed: bool = True, target: str = "local") -> None:
    """Rebuild the local database from the migrations and seed it (local only)."""
    with user_errors():
        result = reset_local(_settings(), seed=seed, report=_progress, target=target)
    kind = "warm: cloned the cached template" if result.warm else "cold: templates rebuilt"
    out.print(f"reset done in {result.seconds:.2f} s ({kind})")


def _progress(message: str) -> None:
    out.print(f"[dim]-[/] {escape(message)}")


def _terminal_confirm() -> Confirm | None:
    """Asks at the terminal, or None when standard input is not one (CI, a pipe)."""
    if not sys.stdin.isatty():
        return None
    return lambda prompt: input(prompt)


def _print_run(result: RunResult) -> None:
    if result.dry_run:
        if not result.planned:
            out.print("dry run: nothing to apply, the database is up to date")
            return
        out.print(f"dry run: {len(result.planned)} migration(s) would be applied, in this order:")
        for plan in result.planned:
            out.print(f"\n[bold]{plan.migration.path.name}[/] ({plan.mode})")
            out.print(
                f"-- lock_timeout={plan.lock_timeout} statement_timeout={plan.statement_timeout}",
                markup=False,
            )
            for note in plan.notes:
                out.print(f"-- {note}", markup=False)
            for statement in plan.statements:
                out.print(f"{statement.text};", markup=False)
        out.print("\nnothing was changed")
        return
    if not result.applied:
        out.print("the database is up to date: no pending migrations")
        return
    total = sum(item.duration_ms for item in result.applied)
    out.print(f"applied {len(result.applied)} migration(s) in {total} ms")


@task(
    iterable=["file"],
    help={
        "file": "a migration file or folder to report on, repeatable (default: every migration)",
        "format": "text (default), json, github (default under GitHub Actions) or sarif",
        "fail-on": "lowest severity that fails the run: error (default), warning or info",
        "since": "only report files added or changed since this git ref",
        "baseline": "ignore findings recorded in this baseline file",
        "write-baseline": "record the current findings in this file and exit 0",
    },
)
def validate(
    c: Context,
    file: list[str] | None = None,
    format: str | None = None,
    fail_on: str = "error",
    since: str | None = None,
    baseline: str | None = None,
    write_baseline: str | None = None,
) -> None:
    """Check migrations for what would hurt production (exit 1 on errors, 2 on bad usage)."""
    code = validate_command(
        list(file or []),
        fmt=format,
        fail_on=fail_on,
        since=since,
        baseline=baseline,
        write_baseline_to=write_baseline,
    )
    if code:
        raise Exit(code=code)


_SEED_HELP = {
    "users": "auth users to create (dev default 50, test default 5; the first 3 are fixtures)",
    "orgs": "rows for the organizations table (dev default 10)",
    "rows": "TABLE=N row count for a table (repeatable)",
    "seed": "the seed: the same seed gives the same data on every machine (default 42)",
    "fixed": "TABLE.COLUMN=VALUE for a column dbflow cannot fill (repeatable)",
    "dry-run": "print the plan (tables, counts, cycle breaks, CHECKs) and write nothing",
    "sql": "write the data as INSERT statements to this file instead of loading it",
    "target": "local (default) or staging (with --allow-remote); never production",
    "allow-remote": "allow seeding a database that is not on this machine",
}


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            err.print(f"error: {what} must look like NAME=VALUE, not {item!r}")
            raise Exit(code=2)
        pairs[key] = value
    return pairs


def _whole_number(value: object, flag: str) -> int | None:
    """A count given on the command line (invoke hands it over as text), or None if absent."""
    if value is None:
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        err.print(f"error: {flag}: the count must be a whole number (0 or more), not {text!r}")
        raise Exit(code=2)
    return int(text)


def _seed(
    mode: str,
    users: object,
    orgs: object,
    rows: list[str] | None,
    seed: int,
    fixed: list[str] | None,
    dry_run: bool,
    sql: str | None,
    target: str,
    allow_remote: bool,
) -> None:
    counts: dict[str, int] = {}
    for name, value in _pairs(rows, "--rows").items():
        count = _whole_number(value, f"--rows {name}")
        assert count is not None
        counts[name] = count
    options = SeedOptions(
        mode="dev" if mode == "dev" else "test",
        users=_whole_number(users, "--users"),
        orgs=_whole_number(orgs, "--orgs"),
        rows=counts,
        fixed=_pairs(fixed, "--fixed"),
        seed=seed,
        target=target,
        allow_remote=allow_remote,
    )
    settings = _settings()
    with user_errors():
        if dry_run:
            for line in describe_plan(settings, options):
                out.print(line, markup=False)
            out.print("dry run: nothing was written")
            return
        if sql:
            with connect(seed_url(settings, options), autocommit=True) as conn:
                written = write_sql(conn, plan_seed(conn, options), Path(sql))
            out.print(f"wrote {written} rows as INSERT statements to {sql}")
            return
        with Progress(console=out, transient=True) as bars:
            tasks: dict[str, TaskID] = {}

            def progress(plan: TablePlan, written: int) -> None:
                name = plan.table.name
                if name not in tasks:
                    tasks[name] = bars.add_task(name, total=max(plan.total, 1))
                bars.update(tasks[name], completed=written)

            result = seed_database(settings, options, progress)
    width = max((len(table.name) for table in result.tables), default=5)
    out.print(f"{'table'.ljust(width)}  {'rows':>8}  {'seconds':>7}  mode")
    for table in result.tables:
        out.print(
            f"{table.name.ljust(width)}  {table.rows:>8}  {table.seconds:>7.2f}  {table.mode}",
            markup=False,
        )
    total = sum(table.rows for table in result.tables)
    files = ", ".join(str(path.relative_to(settings.project_root)) for path in result.seed_files)
    out.print(f"{total} rows in {result.seconds:.2f} s" + (f" (with {files})" if files else ""))


@task(name="seed-dev", iterable=["rows", "fixed"], help=_SEED_HELP)
def seed_dev(
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
) -> None:
    """Fill the local database with realistic synthetic data, generated from its schema."""
    _seed("dev", users, orgs, rows, seed, fixed, dry_run, sql, target, allow_remote)


@task(name="seed-test", iterable=["rows", "fixed"], help=_SEED_HELP)
def seed_test(
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
) -> None:
    """Fill the local database with minimal, deterministic test data and named fixtures."""
    _seed("test", users, orgs, rows, seed, fixed, dry_run, sql, target, allow_remote)


@task(
    help={
        "target": "staging or production",
        "dry-run": "validate and print the pending migrations and their SQL; change nothing",
        "yes": "instead of typing the target's name (production: only in the approved job)",
        "no-backup": "push to production without a backup (recorded with the push)",
        "allow-out-of-order": "apply local migrations older than the newest applied one",
    }
)
def push(
    c: Context,
    target: str,
    dry_run: bool = False,
    yes: bool = False,
    no_backup: bool = False,
    allow_out_of_order: bool = False,
) -> None:
    """Ship pending migrations to staging or production: validate, back up, confirm, apply."""
    settings = _settings()
    with user_errors():
        result = push_migrations(
            settings,
            PushOptions(target, dry_run, yes, no_backup, allow_out_of_order),
            report=_progress,
            confirm=_terminal_confirm(),
        )
    warnings = result.validation.count("warning")
    out.print(f"validation passed ({warnings} warning(s); inv db.validate shows them)")
    if result.applied is None:
        _print_run(result.plan)


@task(
    help={
        "target": "local (default), staging or production",
        "schema-only": "only the schema (no rows)",
        "data-only": "only the rows",
        "file": "where to write (default backups/<target>-<UTC timestamp>.dump)",
    }
)
def dump(
    c: Context,
    target: str = "local",
    schema_only: bool = False,
    data_only: bool = False,
    file: str | None = None,
) -> None:
    """Write a pg_dump archive (custom format) of a target."""
    settings = _settings()
    kind: DumpKind = "schema" if schema_only else "data" if data_only else "full"
    with user_errors():
        url = clear(settings, "dump", target).url
        path = Path(file) if file else backup_path(settings.project_root, target)
        written = dump_database(url, path, kind=kind, pg_bin_dir=settings.pg_bin_dir)
    out.print(f"wrote {written}", markup=False)


@task(
    help={
        "file": "the archive to restore (made by inv db.dump or db.push)",
        "target": "local (default), staging or production (backed up first, confirmed)",
        "yes": "instead of typing the target's name (production: only in the approved job)",
    }
)
def restore(c: Context, file: str, target: str = "local", yes: bool = False) -> None:
    """Restore an archive into a target (the emergency path: prefer fixing forward)."""
    settings = _settings()
    with user_errors():
        backup = restore_archive(
            settings, target, Path(file), yes=yes, confirm=_terminal_confirm(), report=_progress
        )
    out.print(f"restored {file} into {target}" + (f" (backup first: {backup})" if backup else ""))


@task(
    name="diff",
    help={
        "from": "the expected side: migrations (default), local, staging or production",
        "to": "the side checked for drift: local (default), staging or production",
        "json": "print JSON (for CI)",
        "sql": "write a migration that brings --to back to --from (common cases) to this file",
        "webhook": "POST a Slack-compatible summary to this URL when there is drift",
        "include-managed": "also compare the Supabase-managed schemas (auth, storage, ...)",
    },
)
def diff_task(
    c: Context,
    from_: str = "migrations",
    to: str = "local",
    json_: bool = False,
    sql: str | None = None,
    webhook: str | None = None,
    include_managed: bool = False,
) -> None:
    """Compare two schemas (or one against the migrations): exit 1 on drift."""
    settings = _settings()
    with user_errors():
        result = diff_databases(settings, from_, to, include_managed=include_managed)
    print(render_diff_json(result) if json_ else render_diff_report(result))
    if sql:
        migration = migration_sql(result)
        Path(sql).write_text(render_migration(result, migration), encoding="utf-8")
        out.print(
            f"wrote {len(migration.statements)} statement(s) to {sql}; "
            f"{len(migration.not_expressed)} difference(s) left to write by hand"
        )
    if result.drifted and webhook:
        problem = post_webhook(webhook, result)
        if problem:
            err.print(f"warning: {problem}")
    if result.drifted:
        raise Exit(code=1)


@task(
    help={
        "target": "local (default), staging or production",
        "output": "where to write (default [tool.dbflow] types_path: types/database.ts)",
        "schema": "a schema to type (repeatable; default the API schemas)",
    },
    iterable=["schema"],
)
def types(
    c: Context, target: str = "local", output: str | None = None, schema: list[str] | None = None
) -> None:
    """Generate TypeScript types of the database for supabase-js (a Database type)."""
    settings = _settings()
    path = Path(output) if output else settings.types_path
    with user_errors(), connect(clear(settings, "types", target).url, autocommit=True) as conn:
        text = generate_types(conn, schema or list(settings.api_schemas))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    out.print(f"wrote {path}", markup=False)


@task(name="validate-docs")
def validate_docs(c: Context) -> None:
    """Regenerate docs/wiki/validation-rules.md from the rules."""
    path = write_reference(_settings().project_root)
    out.print(f"wrote {path}")


db = Collection(
    "db",
    start,
    stop,
    status,
    new,
    up,
    list_,
    repair,
    reset,
    validate,
    validate_docs,
    seed_dev,
    seed_test,
    push,
    dump,
    restore,
    diff_task,
    types,
)

ns = Collection()
ns.add_collection(db)
