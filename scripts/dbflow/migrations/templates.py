"""Template databases: the bootstrap alone, and the bootstrap plus every migration.

dbflow's own engine keeps them keyed by a hash of what builds them (``dbflow_base_<hash>`` and
``dbflow_tpl_<hash>``). When nothing changed they are there already, and a reset or a test
database is ``CREATE DATABASE ... TEMPLATE``; when a migration changed, only the migrations are
replayed onto a clone of the base.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from importlib import resources

from psycopg import sql

from dbflow.bootstrap.install import BOOTSTRAP_VERSION, install_bootstrap
from dbflow.config import Settings
from dbflow.connection import connect, create_database, database_exists, drop_database
from dbflow.engine.cluster import MAINTENANCE_DATABASE, LocalEngine
from dbflow.migrations.discovery import discover
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.progress import Notify

BASE_PREFIX = "dbflow_base_"
APP_PREFIX = "dbflow_tpl_"


@dataclass(frozen=True)
class Templates:
    base: str
    app: str
    built: bool  # False: both were already there (a warm reset)


def bootstrap_key(strict: bool, major: int) -> str:
    """A hash of everything the bootstrap installs (SQL, stand-ins, mode, platform major)."""
    digest = hashlib.sha256(f"v{BOOTSTRAP_VERSION}|strict={strict}|major={major}".encode())
    for folder in ("sql", "standins"):
        root = resources.files("dbflow.bootstrap") / folder
        for entry in sorted(root.iterdir(), key=lambda item: item.name):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


def migrations_key(settings: Settings) -> str:
    """A hash of the bootstrap and every migration file (names and content)."""
    digest = hashlib.sha256(bootstrap_key(settings.strict, settings.platform_major).encode())
    for migration in discover(settings.migrations_dir).migrations:
        digest.update(migration.path.name.encode())
        digest.update(migration.text.encode("utf-8"))
    return digest.hexdigest()


def ensure_templates(engine: LocalEngine, settings: Settings, notify: Notify) -> Templates:
    """The base and app templates for the current files, built if missing."""
    base = BASE_PREFIX + bootstrap_key(settings.strict, settings.platform_major)[:16]
    app = APP_PREFIX + migrations_key(settings)[:16]
    admin = engine.admin_url(MAINTENANCE_DATABASE)
    built = False
    if not database_exists(admin, base):
        started = time.perf_counter()
        building = base + "_building"
        drop_database(admin, building)
        create_database(admin, building)
        install_bootstrap(
            engine.admin_url(building),
            strict=settings.strict,
            platform_major=settings.platform_major,
        )
        _rename(admin, building, base)
        notify(f"built the bootstrap template ({time.perf_counter() - started:.2f} s)")
        built = True
    if not database_exists(admin, app):
        started = time.perf_counter()
        building = app + "_building"
        drop_database(admin, building)
        create_database(admin, building, template=base)
        result = migrate(
            engine.url(building), settings.migrations_dir, RunOptions.from_settings(settings)
        )
        _rename(admin, building, app)
        notify(
            f"built the migrations template: {len(result.applied)} migration(s) "
            f"({time.perf_counter() - started:.2f} s)"
        )
        built = True
    _drop_stale_templates(admin, keep={base, app})
    return Templates(base, app, built)


def _rename(admin_url: str, old: str, new: str) -> None:
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(old), sql.Identifier(new)
            )
        )


def _drop_stale_templates(admin_url: str, keep: set[str]) -> None:
    with connect(admin_url, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'dbflow\\_base\\_%' "
                "OR datname LIKE 'dbflow\\_tpl\\_%'"
            )
        ]
    for name in names:
        if name not in keep and not name.endswith("_building"):
            drop_database(admin_url, name)
