"""The invoke collection: ``inv db.*`` (and the ``dbflow`` console script).

Tasks are thin: parse arguments, call the library, print. Errors a user can act on are
printed as message / detail / hint with no traceback, and exit with status 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task
from rich.console import Console

from dbflow.config import Settings, load_settings
from dbflow.errors import DbflowError
from dbflow.local import StatusReport, describe_local, start_local, stop_local
from dbflow.redact import redact_url

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a DbflowError into a clear message and exit status 1."""
    try:
        yield
    except DbflowError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
        if exc.detail:
            err.print(f"[dim]detail:[/] {exc.detail}", markup=True)
        if exc.hint:
            err.print(f"[cyan]hint:[/] {exc.hint}", markup=True)
        raise Exit(code=1) from None


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
    state = report.outcome.state
    version = state.info.get("version", "?")
    kind = state.info.get("kind", "?")
    if report.outcome.already_running:
        out.print(f"PostgreSQL {version} ({kind}) is already up on 127.0.0.1:{state.port}")
    else:
        made = ", new cluster" if report.outcome.initialized_now else ""
        out.print(f"started PostgreSQL {version} ({kind}) on 127.0.0.1:{state.port}{made}")
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
    else:
        bin_dir = state.info.get("bin_dir") if (state := report.engine_state) else None
        kind = report.engine_kind or "not started yet"
        rows.append(("engine", f"{kind} PostgreSQL" + (f" ({bin_dir})" if bin_dir else "")))
    state = report.engine_state
    if report.reachable:
        where = f" (pid {state.pid})" if state and state.pid else ""
        rows.append(("state", f"running{where}, PostgreSQL {report.server_version}"))
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


db = Collection("db", start, stop, status)

ns = Collection()
ns.add_collection(db)
