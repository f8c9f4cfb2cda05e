"""The local database, whichever provides it: DATABASE_URL, or dbflow's own engine.

Order: ``DATABASE_URL`` if set (e.g. the real Supabase stack on its port 54322), then dbflow's
cluster if it is already running, then start it. Starting also installs the bootstrap.

dbflow's engine is the PostgreSQL that serves what the migrations need (see
:mod:`dbflow.engine.choice`). Each engine has its own cluster under
``<data dir>/engines/<kind>-<major>/``; starting one stops another of the project's clusters
that holds the port, so switching engines (a migration starts to need pgvector) leaves every
cluster intact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dbflow.bootstrap.install import (
    BootstrapStatus,
    InstallResult,
    bootstrap_status,
    install_bootstrap,
)
from dbflow.config import (
    DEFAULT_PLATFORM_MAJOR,
    Settings,
    resolve_target,
    supabase_major_version,
)
from dbflow.connection import connect, database_exists, recover_database
from dbflow.engine.choice import EngineChoice, choose_engine, major_note
from dbflow.engine.cluster import (
    APP_DATABASE,
    MAINTENANCE_DATABASE,
    EngineState,
    LocalEngine,
    StartOutcome,
)
from dbflow.engine.overlay import shipped_standins
from dbflow.errors import DbflowError
from dbflow.migrations.requirements import extensions_created
from dbflow.redact import redact_url


@dataclass(frozen=True)
class StartReport:
    external_url: str | None
    outcome: StartOutcome | None
    bootstrap: InstallResult | None
    recovered: str | None = None  # what was repaired on the way (a missing database)
    choice: EngineChoice | None = None
    stopped: tuple[str, ...] = ()  # other clusters of the project stopped to free the port
    major_note: str | None = None  # the engine's major is not the platform's


@dataclass(frozen=True)
class StatusReport:
    """Everything ``inv db.status`` shows."""

    source: str  # "DATABASE_URL" or "dbflow engine"
    url: str | None
    reachable: bool
    server_version: str | None
    engine_kind: str | None
    engine_state: EngineState | None
    data_dir: str | None
    extensions: tuple[str, ...]
    bootstrap: BootstrapStatus | None
    problem: str | None = None
    choice: EngineChoice | None = None
    platform_major: int = DEFAULT_PLATFORM_MAJOR

    @property
    def redacted_url(self) -> str | None:
        return redact_url(self.url) if self.url else None


def engine_choice(settings: Settings, *, lenient: bool = False) -> EngineChoice:
    """The engine for this project's migrations, and why. ``lenient``: commands that do not
    read migrations (status, stop) choose as if they needed nothing when one cannot be read."""
    try:
        needed = extensions_created(settings.migrations_dir)
    except DbflowError:
        if not lenient:
            raise
        needed = frozenset()
    return choose_engine(
        settings.engine,
        settings.pg_bin_dir,
        needed,
        project_major=supabase_major_version(settings.project_root),
        standins=[standin.name for standin in shipped_standins()],
    )


def engine_major_note(settings: Settings, choice: EngineChoice | None = None) -> str | None:
    """One line when dbflow's engine for these migrations is not the platform's major; None
    when it is, or when DATABASE_URL names the server."""
    if external_url(settings) is not None:
        return None
    return major_note(choice or engine_choice(settings), settings.platform_major)


def local_engine(settings: Settings, choice: EngineChoice | None = None) -> LocalEngine:
    """dbflow's own cluster for this project's engine (not started)."""
    choice = choice or engine_choice(settings)
    return LocalEngine(
        settings.data_dir / "engines" / choice.slug,
        settings.port,
        pg_bin_dir=choice.binaries.bin_dir,
        run_as=settings.run_as,
    )


def other_clusters(settings: Settings, engine: LocalEngine) -> list[LocalEngine]:
    """The project's clusters of other engines (each knows its binaries from engine.json)."""
    engines = settings.data_dir / "engines"
    roots = sorted(engines.iterdir()) if engines.is_dir() else []
    roots.append(settings.data_dir)  # the one cluster of dbflow before engines were chosen
    found = []
    for root in roots:
        if root.resolve() == engine.root or not (root / "pgdata" / "PG_VERSION").is_file():
            continue
        other = LocalEngine(root, settings.port, run_as=settings.run_as)
        bin_dir = other.state().info.get("bin_dir")
        if bin_dir:
            found.append(
                LocalEngine(root, settings.port, pg_bin_dir=Path(bin_dir), run_as=settings.run_as)
            )
    return found


def external_url(settings: Settings) -> str | None:
    """DATABASE_URL when set (validated), else None."""
    return resolve_target(settings, "local").url


def start_local(settings: Settings) -> StartReport:
    """Make the local database available and bootstrapped; idempotent."""
    url = external_url(settings)
    if url is not None:
        with connect(url):
            pass
        return StartReport(url, None, None)
    choice = engine_choice(settings)
    engine = local_engine(settings, choice)
    stopped = []
    if not engine.state().running:
        for other in other_clusters(settings, engine):
            if other.state().running and other.stop():
                stopped.append(other.root.name)
    outcome = engine.start()
    recovered = recover_database(engine.admin_url(MAINTENANCE_DATABASE), APP_DATABASE)
    result = install_bootstrap(
        engine.admin_url(), strict=settings.strict, platform_major=settings.platform_major
    )
    note = major_note(choice, settings.platform_major)
    return StartReport(None, outcome, result, recovered, choice, tuple(stopped), note)


def stop_local(settings: Settings) -> bool | None:
    """Stop dbflow's engine (whichever of the project's clusters runs); None when DATABASE_URL
    points elsewhere (not ours to stop)."""
    if external_url(settings) is not None:
        return None
    engine = local_engine(settings, engine_choice(settings, lenient=True))
    stopped = engine.stop()
    for other in other_clusters(settings, engine):
        stopped = other.stop() or stopped
    return stopped


def local_url(settings: Settings) -> str:
    """The URL of the local database as ``postgres`` (DATABASE_URL or the engine's)."""
    return external_url(settings) or local_engine(settings).url()


def target_url(settings: Settings, target: str) -> str:
    """The URL of ``target``; for the local engine, started (and bootstrapped) if needed."""
    resolved = resolve_target(settings, target)
    if resolved.url is not None:
        return resolved.url
    start_local(settings)
    return local_engine(settings).url()


def describe_local(settings: Settings) -> StatusReport:
    """Status of the local database, without starting anything."""
    url = external_url(settings)
    if url is not None:
        return _describe_server("DATABASE_URL", url, None, None, None)
    choice = engine_choice(settings, lenient=True)
    engine = local_engine(settings, choice)
    state = engine.state()
    if not state.running:  # the migrations could not be read: the cluster that runs is it
        running = [other for other in other_clusters(settings, engine) if other.state().running]
        if running:
            engine, state = running[0], running[0].state()
    kind = state.info.get("kind") or choice.binaries.kind
    if not state.running:
        return StatusReport(
            "dbflow engine",
            engine.url(),
            False,
            state.info.get("version"),
            kind,
            state,
            str(engine.pgdata),
            (),
            None,
            choice=choice,
            platform_major=settings.platform_major,
        )
    report = _describe_server("dbflow engine", engine.url(), kind, state, str(engine.pgdata))
    report = replace(report, choice=choice, platform_major=settings.platform_major)
    if not report.reachable:
        exists = _database_present(engine)
        if exists is False:
            problem = (
                f"the server is up, but its database {APP_DATABASE} is missing (an interrupted "
                "reset?); inv db.start or inv db.reset recreates it"
            )
            return replace(report, problem=problem)
    return report


def _database_present(engine: LocalEngine) -> bool | None:
    """Whether the engine's main database exists; None when that cannot be told."""
    try:
        return database_exists(engine.admin_url(MAINTENANCE_DATABASE), APP_DATABASE)
    except Exception:  # status must always print
        return None


def _describe_server(
    source: str, url: str, kind: str | None, state: EngineState | None, data_dir: str | None
) -> StatusReport:
    try:
        with connect(url, autocommit=True) as conn:
            version = _scalar(conn, "SHOW server_version")
            extensions = tuple(
                row[0]
                for row in conn.execute("SELECT name FROM pg_available_extensions ORDER BY name")
            )
        bootstrap = bootstrap_status(url)
    except Exception as exc:  # reported, not raised: status must always print
        return StatusReport(
            source, url, False, None, kind, state, data_dir, (), None, problem=str(exc)
        )
    return StatusReport(source, url, True, version, kind, state, data_dir, extensions, bootstrap)


def _scalar(conn: Any, query: str) -> str:
    row = conn.execute(query).fetchone()
    return str(row[0]) if row else ""


def render_start(report: StartReport) -> list[str]:
    """What ``db.start`` says, a line each."""
    if report.external_url:
        return [
            f"DATABASE_URL is set: using {redact_url(report.external_url)} "
            "(dbflow's own engine is not started)"
        ]
    assert report.outcome is not None and report.bootstrap is not None
    lines = []
    if report.recovered:
        lines.append(f"recovered: {report.recovered}")
    lines += [f"stopped the project's {name} cluster to free the port" for name in report.stopped]
    state = report.outcome.state
    version, kind = state.info.get("version", "?"), state.info.get("kind", "?")
    if report.outcome.already_running:
        lines.append(f"PostgreSQL {version} ({kind}) is already up on 127.0.0.1:{state.port}")
    else:
        made = ", new cluster" if report.outcome.initialized_now else ""
        lines.append(f"started PostgreSQL {version} ({kind}) on 127.0.0.1:{state.port}{made}")
        if report.choice is not None:
            lines.append(f"engine: {report.choice.reason}")
    if report.major_note is not None:
        lines.append(f"note: {report.major_note}")
    if report.bootstrap.changed:
        lines.append("installed the Supabase bootstrap")
    lines += [f"notice: {notice}" for notice in report.bootstrap.notices]
    return lines


def render_status(report: StatusReport) -> list[tuple[str, str]]:
    """What ``db.status`` shows: (label, value) rows."""
    rows: list[tuple[str, str]] = []
    state = report.engine_state
    if report.source == "DATABASE_URL":
        rows.append(("engine", "external server from DATABASE_URL (not managed by dbflow)"))
    elif report.choice is not None:
        rows.append(("engine", f"{report.choice.reason} ({report.choice.binaries.bin_dir})"))
        if report.choice.missing:
            missing = ", ".join(report.choice.missing)
            rows.append(("missing", f"{missing} (no engine here, no stand-in)"))
        note = major_note(report.choice, report.platform_major)
        if note is not None:
            rows.append(("platform", note))
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
    if not report.reachable:
        return rows
    rows.append(("extensions", f"{len(report.extensions)} available"))
    if report.extensions:
        rows.append(("", ", ".join(report.extensions)))
    bootstrap = report.bootstrap
    if bootstrap and bootstrap.installed:
        mode = "strict" if bootstrap.strict else "permissive"
        rows.append(("bootstrap", f"installed (version {bootstrap.version}, {mode} mode)"))
    else:
        rows.append(("bootstrap", "not installed (dbflow did not bootstrap this database)"))
    if bootstrap and bootstrap.standins_available:
        used = ", ".join(bootstrap.standins_installed) or "none"
        rows.append(("stand-ins", f"{', '.join(bootstrap.standins_available)} (in use: {used})"))
    return rows
