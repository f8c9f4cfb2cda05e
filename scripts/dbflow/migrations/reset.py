"""``inv db.reset``: rebuild the local database from nothing, in about a second.

dbflow's own engine keeps template databases keyed by a hash of what builds them: one with
the bootstrap (``dbflow_base_<hash>``) and one with the bootstrap and every migration
(``dbflow_tpl_<hash>``). When nothing changed, a reset is ``CREATE DATABASE ... TEMPLATE``;
when a migration changed, only the migrations are replayed onto a clone of the base. Seeds
run after the clone, so they are fresh on every reset. The test fixtures clone the same
templates.

A ``DATABASE_URL`` on this machine (e.g. the Supabase CLI's local stack) is reset by dropping
the user's objects and replaying the migrations; any other host is refused.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from psycopg import sql

from dbflow.bootstrap.install import BOOTSTRAP_VERSION, apply_database_settings, install_bootstrap
from dbflow.config import Settings
from dbflow.connection import (
    connect,
    create_database,
    database_exists,
    drop_database,
    replace_database,
)
from dbflow.engine.cluster import LocalEngine
from dbflow.local import APP_DATABASE, MAINTENANCE_DATABASE, external_url, local_engine, start_local
from dbflow.migrations.discovery import discover
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.migrations.seeds import run_seed_files
from dbflow.redact import redact_url
from dbflow.seed.run import SeedOptions, seed_within
from dbflow.targets import clear

Report = Callable[[str], None]

BASE_PREFIX = "dbflow_base_"
APP_PREFIX = "dbflow_tpl_"


@dataclass(frozen=True)
class Templates:
    base: str
    app: str
    built: bool  # False: both were already there (a warm reset)


@dataclass(frozen=True)
class ResetResult:
    seconds: float
    warm: bool
    seed_files: tuple[Path, ...]


def run_options(settings: Settings) -> RunOptions:
    """The runner's options from settings (timeouts, lock wait)."""
    return RunOptions(
        lock_timeout=settings.lock_timeout,
        statement_timeout=settings.statement_timeout,
        lock_wait_seconds=settings.lock_wait_seconds,
    )


def bootstrap_key(strict: bool) -> str:
    """A hash of everything the bootstrap installs (SQL, stand-ins, mode)."""
    digest = hashlib.sha256(f"v{BOOTSTRAP_VERSION}|strict={strict}".encode())
    for folder in ("sql", "standins"):
        root = resources.files("dbflow.bootstrap") / folder
        for entry in sorted(root.iterdir(), key=lambda item: item.name):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


def migrations_key(settings: Settings) -> str:
    """A hash of the bootstrap and every migration file (names and content)."""
    digest = hashlib.sha256(bootstrap_key(settings.strict).encode())
    for migration in discover(settings.migrations_dir).migrations:
        digest.update(migration.path.name.encode())
        digest.update(migration.text.encode("utf-8"))
    return digest.hexdigest()


def ensure_templates(engine: LocalEngine, settings: Settings, report: Report) -> Templates:
    """The base and app templates for the current files, built if missing."""
    base = BASE_PREFIX + bootstrap_key(settings.strict)[:16]
    app = APP_PREFIX + migrations_key(settings)[:16]
    admin = engine.admin_url(MAINTENANCE_DATABASE)
    built = False
    if not database_exists(admin, base):
        started = time.perf_counter()
        building = base + "_building"
        drop_database(admin, building)
        create_database(admin, building)
        install_bootstrap(engine.admin_url(building), strict=settings.strict)
        _rename(admin, building, base)
        report(f"built the bootstrap template ({time.perf_counter() - started:.2f} s)")
        built = True
    if not database_exists(admin, app):
        started = time.perf_counter()
        building = app + "_building"
        drop_database(admin, building)
        create_database(admin, building, template=base)
        result = migrate(engine.url(building), settings.migrations_dir, run_options(settings))
        _rename(admin, building, app)
        report(
            f"built the migrations template: {len(result.applied)} migration(s) "
            f"({time.perf_counter() - started:.2f} s)"
        )
        built = True
    _drop_stale_templates(admin, keep={base, app})
    return Templates(base, app, built)


def reset_local(
    settings: Settings, *, seed: bool = True, report: Report = print, target: str = "local"
) -> ResetResult:
    """Recreate the local database from the migrations (and seed it); the gate refuses any
    database that is not certainly on this machine."""
    started = time.perf_counter()
    clear(settings, "reset", target)
    url = external_url(settings)
    seed_files = _seed_files(settings) if seed else []
    if url is not None:
        _wipe_user_objects(url, report)
        result = migrate(url, settings.migrations_dir, run_options(settings), report)
        report(f"applied {len(result.applied)} migration(s)")
        warm = False
        target = url
    else:
        start_local(settings)
        engine = local_engine(settings)
        templates = ensure_templates(engine, settings, report)
        warm = not templates.built
        clone_started = time.perf_counter()
        _replace_database(engine, APP_DATABASE, templates.app)
        report(
            f"recreated the database from {'the cached' if warm else 'a fresh'} template "
            f"({time.perf_counter() - clone_started:.2f} s)"
        )
        target = engine.url()
    if seed:
        seed_started = time.perf_counter()
        with connect(target, autocommit=True) as conn:
            seeded = seed_within(
                conn,
                settings,
                SeedOptions(mode="dev"),
                progress=lambda plan, rows: None,
                before=lambda: run_seed_files(conn, seed_files, settings.project_root),
            )
        names = ", ".join(
            str(p.relative_to(settings.project_root)) for p in [*seed_files, *seeded.seed_files]
        )
        rows = sum(table.rows for table in seeded.tables)
        report(
            f"seeded: {names or 'no seed files'}, then {rows} generated rows "
            f"({time.perf_counter() - seed_started:.2f} s)"
        )
        seed_files = [*seed_files, *seeded.seed_files]
    seconds = time.perf_counter() - started
    return ResetResult(seconds, warm, tuple(seed_files))


def _seed_files(settings: Settings) -> list[Path]:
    return settings.resolve_globs(settings.seed_paths)


def _replace_database(engine: LocalEngine, name: str, template: str) -> None:
    def prepare(database: str) -> None:
        with connect(engine.admin_url(database), autocommit=True) as conn:
            apply_database_settings(conn)

    replace_database(engine.admin_url(MAINTENANCE_DATABASE), name, template, prepare)


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


# Drops what user migrations create, keeping what the platform (or dbflow's bootstrap) owns.
# Same scope as the Supabase CLI's remote reset: user schemas, everything in public, all
# policies, the history, auth users and storage metadata, user publications.
_WIPE_SQL = """
DO $wipe$
DECLARE
    item record;
    platform_schemas text[] := array[
        'information_schema', 'public', 'extensions', 'auth', 'storage', 'realtime',
        'graphql', 'graphql_public', 'vault', 'supabase_functions', 'supabase_migrations',
        '_realtime', '_analytics', '_supavisor', 'pgbouncer', 'pgsodium', 'pgsodium_masks',
        'pgtle', 'pgmq', 'net', 'cron', '_dbflow'
    ];
BEGIN
    FOR item IN
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname <> ALL (platform_schemas) AND n.nspname NOT LIKE 'pg\\_%'
          AND NOT EXISTS (
              SELECT FROM pg_depend d
              WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e'
          )
    LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', item.nspname);
    END LOOP;
    FOR item IN
        SELECT schemaname, tablename, policyname FROM pg_policies
    LOOP
        EXECUTE format(
            'DROP POLICY %I ON %I.%I', item.policyname, item.schemaname, item.tablename
        );
    END LOOP;
    FOR item IN
        SELECT c.relname, c.relkind FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (
              SELECT FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.deptype IN ('e', 'i', 'a')
          )
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS public.%I CASCADE',
            CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
            item.relname
        );
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS signature, p.prokind FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace
          AND NOT EXISTS (
              SELECT FROM pg_depend d
              WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
          )
    LOOP
        EXECUTE format(
            'DROP %s IF EXISTS %s CASCADE',
            CASE item.prokind
                WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION'
            END,
            item.signature
        );
    END LOOP;
    FOR item IN
        SELECT t.typname FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'c', 'd', 'r', 'm')
          AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
          AND NOT EXISTS (
              SELECT FROM pg_depend d
              WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
          )
    LOOP
        EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', item.typname);
    END LOOP;
    FOR item IN
        SELECT c.oid::regclass AS name FROM pg_class c
        WHERE c.relkind = 'r' AND (
            (c.relnamespace = to_regnamespace('auth') AND c.relname <> 'schema_migrations')
            OR c.relnamespace = to_regnamespace('supabase_migrations')
        )
    LOOP
        EXECUTE format('TRUNCATE %s CASCADE', item.name);
    END LOOP;
    IF to_regclass('storage.objects') IS NOT NULL THEN
        DELETE FROM storage.objects;
        DELETE FROM storage.buckets;
    END IF;
    FOR item IN
        SELECT pubname FROM pg_publication
        WHERE pubname NOT LIKE 'supabase\\_realtime%' AND pubname NOT LIKE 'realtime\\_messages%'
    LOOP
        EXECUTE format('DROP PUBLICATION %I', item.pubname);
    END LOOP;
END
$wipe$;
"""


def _wipe_user_objects(url: str, report: Report) -> None:
    started = time.perf_counter()
    with connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("CREATE SCHEMA IF NOT EXISTS supabase_migrations")
        conn.execute(_WIPE_SQL.encode())
    report(f"dropped the user objects of {redact_url(url)} ({time.perf_counter() - started:.2f} s)")
