"""pytest fixtures: one throwaway engine per run, a template database, a clone per test.

The engine runs in a temporary directory (on tmpfs where there is one) on a free port, as a
child of the test process that dies with it. The bootstrap and the project's migrations are
built once into template databases; each test gets ``CREATE DATABASE ... TEMPLATE`` clones.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from dbflow.bootstrap.install import apply_database_settings, install_bootstrap
from dbflow.config import Settings, load_settings
from dbflow.connection import Conn, connect, create_database, drop_database
from dbflow.engine.cluster import APP_DATABASE, LocalEngine
from dbflow.errors import DbflowError
from dbflow.migrations.templates import ensure_templates
from dbflow.places.local import engine_choice, engine_major_note
from dbflow.urls import database_name

# Durability is not wanted in a throwaway cluster; speed is.
TEST_SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}

_clone_numbers = itertools.count(1)


@dataclass(frozen=True)
class TemplateDatabases:
    """The session's engine and the names of its template databases."""

    engine: LocalEngine
    base_template: str
    app_template: str

    @contextmanager
    def clone(self, template: str) -> Iterator[str]:
        """A fresh database cloned from ``template``, dropped on exit; yields its URL."""
        name = f"test_{os.getpid()}_{next(_clone_numbers)}"
        create_database(self.engine.admin_url(), name, template=template)
        try:
            with connect(self.engine.admin_url(name), autocommit=True) as conn:
                apply_database_settings(conn)
            yield self.engine.url(name)
        finally:
            drop_database(self.engine.admin_url(), name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scratch_dir(prefix: str) -> Path:
    """A private temporary directory, on tmpfs when available, reachable by the server."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)  # the server account must traverse it to reach pgdata (0700)
    return path


@pytest.fixture(scope="session")
def dbflow_settings(pytestconfig: pytest.Config) -> Settings:
    """The settings of the project under test (found from pytest's rootdir)."""
    return load_settings(Path(str(pytestconfig.rootpath)))


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say it at the top of the run when the engine's major is not the platform's."""
    try:
        note = engine_major_note(load_settings(Path(str(config.rootpath))))
    except DbflowError:
        return None
    return f"dbflow: {note}" if note else None


@pytest.fixture(scope="session")
def dbflow_engine(dbflow_settings: Settings) -> Iterator[LocalEngine]:
    """A throwaway PostgreSQL for this test run, stopped (and deleted) at the end: the engine
    ``inv db.start`` would choose for the project's migrations."""
    root = scratch_dir("dbflow-test-")
    engine = LocalEngine(
        root,
        free_port(),
        pg_bin_dir=engine_choice(dbflow_settings).binaries.bin_dir,
        run_as=dbflow_settings.run_as,
        server_settings=TEST_SERVER_SETTINGS,
    )
    try:
        engine.start(attach=True)
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dbflow_databases(dbflow_engine: LocalEngine, dbflow_settings: Settings) -> TemplateDatabases:
    """Template databases: the bootstrap alone, and the bootstrap plus the migrations.

    They are the ones ``inv db.reset`` builds and clones, so a test database has exactly
    the schema a developer's reset gives.
    """
    # As `inv db.start` does: bootstrap the default database (this creates the cluster's
    # roles, postgres among them), then the template databases.
    install_bootstrap(
        dbflow_engine.admin_url(),
        strict=dbflow_settings.strict,
        platform_major=dbflow_settings.platform_major,
    )
    templates = ensure_templates(dbflow_engine, dbflow_settings, notify=lambda _: None)
    return TemplateDatabases(dbflow_engine, templates.base, templates.app)


@pytest.fixture
def db_url(dbflow_databases: TemplateDatabases) -> Iterator[str]:
    """URL (as postgres) of a fresh clone of the migrated template, dropped after the test."""
    with dbflow_databases.clone(dbflow_databases.app_template) as url:
        yield url


@pytest.fixture
def bare_db_url(dbflow_databases: TemplateDatabases) -> Iterator[str]:
    """URL (as postgres) of a fresh clone with the bootstrap only, no migrations."""
    with dbflow_databases.clone(dbflow_databases.base_template) as url:
        yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Conn]:
    """An autocommit connection as ``postgres`` to this test's own migrated database."""
    with connect(db_url, autocommit=True) as conn:
        yield conn


def admin_url_for(databases: TemplateDatabases, url: str) -> str:
    """The superuser URL of the database ``url`` points at."""
    return databases.engine.admin_url(database_name(url) or APP_DATABASE)
