"""The local database, whichever provides it: DATABASE_URL, or dbflow's own engine.

Order: ``DATABASE_URL`` if set (e.g. the real Supabase stack on its port 54322), then dbflow's
cluster if it is already running, then start it. Starting also installs the bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from dbflow.bootstrap.install import (
    BootstrapStatus,
    InstallResult,
    bootstrap_status,
    install_bootstrap,
)
from dbflow.config import Settings, resolve_target
from dbflow.connection import connect, database_exists, recover_database
from dbflow.engine.cluster import APP_USER, EngineState, LocalEngine, StartOutcome
from dbflow.redact import redact_url

APP_DATABASE = APP_USER  # the database the local URL names: postgres, as on Supabase
MAINTENANCE_DATABASE = "template1"  # where dbflow connects to create, drop and rename databases


@dataclass(frozen=True)
class StartReport:
    external_url: str | None
    outcome: StartOutcome | None
    bootstrap: InstallResult | None
    recovered: str | None = None  # what was repaired on the way (a missing database)


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

    @property
    def redacted_url(self) -> str | None:
        return redact_url(self.url) if self.url else None


def local_engine(settings: Settings) -> LocalEngine:
    """dbflow's own cluster for this project (not started)."""
    return LocalEngine(
        settings.data_dir,
        settings.port,
        pg_bin_dir=settings.pg_bin_dir,
        run_as=settings.run_as,
    )


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
    engine = local_engine(settings)
    outcome = engine.start()
    recovered = recover_database(engine.admin_url(MAINTENANCE_DATABASE), APP_DATABASE)
    result = install_bootstrap(engine.admin_url(), strict=settings.strict)
    return StartReport(None, outcome, result, recovered)


def stop_local(settings: Settings) -> bool | None:
    """Stop dbflow's engine; None when DATABASE_URL points elsewhere (not ours to stop)."""
    if external_url(settings) is not None:
        return None
    return local_engine(settings).stop()


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
    engine = local_engine(settings)
    state = engine.state()
    kind = state.info.get("kind")
    if not state.running:
        return StatusReport(
            "dbflow engine", engine.url(), False, state.info.get("version"), kind, state,
            str(engine.pgdata), (), None,
        )  # fmt: skip
    report = _describe_server("dbflow engine", engine.url(), kind, state, str(engine.pgdata))
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
