"""``inv db.reset``: rebuild the local database from nothing, in about a second.

A workflow over the engine, the migrations and the seeder. On dbflow's own engine the
database is a clone of the migrations template (:mod:`dbflow.migrations.templates`), swapped
in so that no interruption leaves the cluster without one; seeds run after the clone, so they
are fresh on every reset. A ``DATABASE_URL`` on this machine (e.g. the Supabase CLI's local
stack) is reset by dropping the user's objects and replaying the migrations; the gate
(:mod:`dbflow.places.gate`) refuses any other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from dbflow.bootstrap.install import apply_database_settings
from dbflow.config import Settings
from dbflow.connection import (
    connect,
    create_database,
    drop_database,
    replace_database,
)
from dbflow.engine.cluster import APP_DATABASE, MAINTENANCE_DATABASE, LocalEngine
from dbflow.errors import DbflowError
from dbflow.migrations.discovery import discover
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.migrations.templates import ensure_templates
from dbflow.places.gate import clear
from dbflow.places.local import external_url, local_engine, start_local
from dbflow.places.project_lock import project_lock
from dbflow.progress import Notify, quiet
from dbflow.redact import redact_url
from dbflow.schema.declared import apply_declared, declared_files
from dbflow.seed.files import run_seed_files
from dbflow.seed.run import SeedOptions, seed_within, skip_lines, warning_count


@dataclass(frozen=True)
class ResetResult:
    seconds: float
    warm: bool
    seed_files: tuple[Path, ...]
    seeded: str | None = None  # what the seed did, in one line
    major_note: str | None = None  # the engine's major is not the platform's
    warnings: tuple[str, ...] = ()  # tables the generated data left empty, one line each


def render_reset(result: ResetResult) -> list[str]:
    """What ``db.reset`` says when it is done."""
    kind = "warm: cloned the cached template" if result.warm else "cold: templates rebuilt"
    lines = [*result.warnings, *([result.seeded] if result.seeded else [])]
    if result.major_note:
        lines.append(f"note: {result.major_note}")
    return [*lines, f"reset done in {result.seconds:.2f} s ({kind})"]


def reset_local(
    settings: Settings,
    *,
    seed: bool = True,
    notify: Notify = quiet,
    target: str = "local",
    to: str | None = None,
    strict: bool = False,
    from_schemas: bool = False,
) -> ResetResult:
    """Recreate the local database from the migrations (and seed it); ``to`` stops after that
    version. The gate refuses any database that is not certainly on this machine. The
    project's seed files always run (one failing is an error); generated data is best effort
    per table unless ``strict``. One command at a time: a second reset (or a db.up, a seed)
    waits for this one."""
    clear(settings, "reset", target)
    if from_schemas and to is not None:
        raise DbflowError("--to and --from-schemas do not go together: the declared schema "
                          "has no versions")  # fmt: skip
    with project_lock(settings, "db.reset", notify):
        return _reset(
            settings, seed=seed, notify=notify, to=to, strict=strict, from_schemas=from_schemas
        )


def _reset(
    settings: Settings,
    *,
    seed: bool,
    notify: Notify,
    to: str | None,
    strict: bool,
    from_schemas: bool = False,
) -> ResetResult:
    """The reset itself, under the project's lock."""
    started = time.perf_counter()
    declared = declared_files(settings) if from_schemas else None
    up_to = _known_version(settings, to) if to is not None else None
    options = replace(RunOptions.from_settings(settings), up_to=up_to)
    url = external_url(settings)
    seed_files = _seed_files(settings) if seed else []
    major_note = None
    if url is not None:
        _wipe_user_objects(url, notify)
        if declared is not None:
            apply_declared(url, declared, settings.project_root)
        else:
            result = migrate(url, settings.migrations_dir, options, notify)
            notify(f"applied {len(result.applied)} migration(s)")
        warm = False
        database = url
    else:
        major_note = start_local(settings).major_note
        engine = local_engine(settings)
        templates = ensure_templates(engine, settings, notify)
        warm = not templates.built
        clone_started = time.perf_counter()
        if declared is not None:
            _replace_from_schemas(engine, templates.base, settings, declared)
        elif up_to is None:
            _replace_database(engine, APP_DATABASE, templates.app)
        else:
            _replace_up_to(engine, templates.base, settings, options, notify)
        notify(
            f"recreated the database from {'the cached' if warm else 'a fresh'} template "
            f"({time.perf_counter() - clone_started:.2f} s)" + (f", up to {up_to}" if up_to else "")
        )
        database = engine.url()
    summary = None
    warnings: list[str] = []
    if seed:
        seed_started = time.perf_counter()
        with connect(database, autocommit=True) as conn:
            seeded = seed_within(
                conn,
                settings,
                SeedOptions(mode="dev", strict=strict),
                progress=lambda plan, rows: None,
                before=lambda: run_seed_files(conn, seed_files, settings.project_root),
            )
        names = ", ".join(
            str(p.relative_to(settings.project_root)) for p in [*seed_files, *seeded.seed_files]
        )
        rows = sum(table.rows for table in seeded.tables)
        summary = (
            f"seeded: {names or 'no seed files'}, then {rows} generated rows "
            f"({time.perf_counter() - seed_started:.2f} s){warning_count(seeded)}"
        )
        warnings = skip_lines(seeded)
        seed_files = [*seed_files, *seeded.seed_files]
    seconds = time.perf_counter() - started
    if declared is not None:
        warnings.append(
            f"built from the declared schema ({len(declared)} file(s) in supabase/schemas): the "
            "migrations were not applied; inv db.new NAME --from-schemas writes them"
        )
    return ResetResult(seconds, warm, tuple(seed_files), summary, major_note, tuple(warnings))


def _known_version(settings: Settings, version: str) -> str:
    versions = [m.version for m in discover(settings.migrations_dir).migrations]
    if version not in versions:
        shown = ", ".join(versions[-5:]) or "none"
        raise DbflowError(
            f"--to {version}: no migration has that version in {settings.migrations_dir}",
            hint=f"the newest versions: {shown} (inv db.list shows them all)",
        )
    return version


def _replace_up_to(
    engine: LocalEngine, base: str, settings: Settings, options: RunOptions, notify: Notify
) -> None:
    """The database rebuilt from the bootstrap template and the migrations up to a version
    (built under a scratch name first, then swapped in like a template clone)."""
    admin = engine.admin_url(MAINTENANCE_DATABASE)
    scratch = f"{APP_DATABASE}_up_to"
    drop_database(admin, scratch)
    create_database(admin, scratch, template=base)
    try:
        result = migrate(engine.url(scratch), settings.migrations_dir, options)
        notify(f"applied {len(result.applied)} migration(s), up to {options.up_to}")
        _replace_database(engine, APP_DATABASE, scratch)
    finally:
        drop_database(admin, scratch)


def _replace_from_schemas(
    engine: LocalEngine, base: str, settings: Settings, files: list[Path]
) -> None:
    """The database built from the bootstrap template and the declared files (under a
    scratch name first, then swapped in like a template clone)."""
    admin = engine.admin_url(MAINTENANCE_DATABASE)
    scratch = f"{APP_DATABASE}_declared"
    drop_database(admin, scratch)
    create_database(admin, scratch, template=base)
    try:
        apply_declared(engine.url(scratch), files, settings.project_root)
        _replace_database(engine, APP_DATABASE, scratch)
    finally:
        drop_database(admin, scratch)


def _seed_files(settings: Settings) -> list[Path]:
    return settings.resolve_globs(settings.seed_paths)


def _replace_database(engine: LocalEngine, name: str, template: str) -> None:
    def prepare(database: str) -> None:
        with connect(engine.admin_url(database), autocommit=True) as conn:
            apply_database_settings(conn)

    replace_database(engine.admin_url(MAINTENANCE_DATABASE), name, template, prepare)


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


def _wipe_user_objects(url: str, notify: Notify) -> None:
    started = time.perf_counter()
    with connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("CREATE SCHEMA IF NOT EXISTS supabase_migrations")
        conn.execute(_WIPE_SQL.encode())
    notify(f"dropped the user objects of {redact_url(url)} ({time.perf_counter() - started:.2f} s)")
