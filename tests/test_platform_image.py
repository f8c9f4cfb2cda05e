"""Real projects build locally as on their platform: what the platform's image holds before
the first migration (per major), the extension versions it offers now, and files written for
it (a pulled schema, a pgmq 1.5 migration) applied through `inv db.reset` as users run it."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbflow.bootstrap.install import install_bootstrap
from dbflow.bootstrap.platform import (
    PLATFORM_EVENT_TRIGGERS,
    PLATFORM_EXTENSIONS,
    PLATFORM_MAJORS,
    PLATFORM_ROLES,
    PLATFORM_SCHEMAS,
    platform_default_version,
    platform_versions,
    version_key,
)
from dbflow.connection import connect
from dbflow.engine.overlay import shipped_standins
from dbflow.testing.plugin import TemplateDatabases
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run

STANDINS = REPO / "scripts" / "dbflow" / "bootstrap" / "standins"


def _default_version(name: str) -> str:
    control = (STANDINS / f"{name}.control").read_text()
    found = re.search(r"default_version\s*=\s*'([^']+)'", control)
    assert found, name
    return found.group(1)


@pytest.fixture
def fresh_admin_url(dbflow_databases: TemplateDatabases) -> Iterator[str]:
    """A new, empty database on the test engine (no bootstrap yet), as its superuser."""
    engine = dbflow_databases.engine
    name = "platform_image_probe"
    with connect(engine.admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield engine.admin_url(name)
    finally:
        with connect(engine.admin_url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.parametrize("major", PLATFORM_MAJORS)
def test_the_bootstrap_holds_every_schema_and_extension_the_image_has(
    major: int, fresh_admin_url: str
) -> None:
    install_bootstrap(fresh_admin_url, platform_major=major, force=True)
    with connect(fresh_admin_url) as conn:
        schemas = {row[0] for row in conn.execute("SELECT nspname FROM pg_namespace")}
        extensions = dict(
            conn.execute(
                "SELECT e.extname, n.nspname FROM pg_extension e "
                "JOIN pg_namespace n ON n.oid = e.extnamespace"
            ).fetchall()
        )
        roles = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles")}
        triggers = {row[0] for row in conn.execute("SELECT evtname FROM pg_event_trigger")}
    assert not set(PLATFORM_ROLES[major]) - roles, sorted(set(PLATFORM_ROLES[major]) - roles)
    assert not set(PLATFORM_EVENT_TRIGGERS) - triggers, sorted(
        set(PLATFORM_EVENT_TRIGGERS) - triggers
    )
    missing_schemas = sorted(set(PLATFORM_SCHEMAS[major]) - schemas)
    assert not missing_schemas, f"PostgreSQL {major}: schemas missing {missing_schemas}"
    for name, schema in PLATFORM_EXTENSIONS[major].items():
        assert extensions.get(name) == schema, f"PostgreSQL {major}: {name} not in {schema}"
    if major >= 17:
        assert "pgsodium" not in extensions  # the 17 images leave it out


def test_the_event_triggers_grant_as_the_platform_does(db: psycopg.Connection[Any]) -> None:
    db.autocommit = True
    db.execute("DROP EXTENSION pg_net")
    db.execute("CREATE EXTENSION pg_net WITH SCHEMA extensions")
    rows = db.execute(
        "SELECT p.proname, p.prosecdef, has_function_privilege('anon', p.oid, 'execute'), "
        "has_function_privilege('public', p.oid, 'execute') FROM pg_proc p "
        "WHERE p.pronamespace = 'net'::regnamespace AND p.proname IN ('http_get', 'http_post') "
        "ORDER BY 1"
    ).fetchall()
    assert rows == [("http_get", True, True, False), ("http_post", True, True, False)]
    db.execute("DROP EXTENSION pg_graphql")
    answer = db.execute("SELECT graphql_public.graphql(query := '{ x }')").fetchone()
    assert answer is not None and answer[0]["errors"] == ["pg_graphql extension is not enabled."]
    db.execute("CREATE EXTENSION pg_graphql")
    answer = db.execute("SELECT graphql_public.graphql(query := '{ x }')").fetchone()
    assert answer is not None and "stand-in" in answer[0]["errors"][0]["message"]
    db.execute("CREATE EXTENSION pg_cron")
    granted = db.execute(
        "SELECT has_schema_privilege('postgres', 'cron', 'usage WITH GRANT OPTION')"
    ).fetchone()
    assert granted == (True,)


def test_no_stand_in_is_older_than_the_platform_version() -> None:
    for standin in shipped_standins():
        platform = platform_default_version(standin.name)
        if platform is None:
            continue
        ours = _default_version(standin.name)
        assert version_key(ours) >= version_key(platform), (
            f"the {standin.name} stand-in is {ours}; the platform ships {platform}"
        )


def test_the_readme_gives_the_platform_version_beside_each_stand_in() -> None:
    readme = (REPO / "README.md").read_text()
    for standin in shipped_standins():
        platform = platform_default_version(standin.name)
        if platform is None:
            continue
        row = next(
            (line for line in readme.splitlines() if line.startswith(f"| `{standin.name}` |")),
            None,
        )
        assert row is not None, f"README: no stand-in row for {standin.name}"
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1] == _default_version(standin.name), row
        assert cells[2] == platform, row


def test_every_version_the_platform_offers_installs_and_updates(
    db: psycopg.Connection[Any],
) -> None:
    db.autocommit = True
    for standin in shipped_standins():
        if standin.name in ("pgcrypto", "uuid-ossp"):
            continue  # the engine's own where it has them
        default = _default_version(standin.name)
        installed = db.execute(
            "SELECT extversion FROM pg_extension WHERE extname = %s", (standin.name,)
        ).fetchone()
        if installed is not None:
            continue  # pre-installed by the bootstrap, as on the platform
        for version in platform_versions(standin.name):
            if version_key(version) > version_key(default):
                continue
            db.execute(f"CREATE EXTENSION \"{standin.name}\" VERSION '{version}' CASCADE")
            db.execute(f'ALTER EXTENSION "{standin.name}" UPDATE')
            row = db.execute(
                "SELECT extversion FROM pg_extension WHERE extname = %s", (standin.name,)
            ).fetchone()
            assert row == (default,), (standin.name, version, row)
            db.execute(f'DROP EXTENSION "{standin.name}" CASCADE')


def test_pgmq_update_from_1_4_4_keeps_queues_and_adds_headers(db: psycopg.Connection[Any]) -> None:
    db.execute("CREATE EXTENSION pgmq VERSION '1.4.4'")
    db.execute("SELECT pgmq.create('jobs')")
    db.execute("""SELECT pgmq.send('jobs', '{"n": 1}')""")
    db.execute("ALTER EXTENSION pgmq UPDATE TO '1.5.1'")
    db.execute("""SELECT pgmq.send('jobs', '{"n": 2}', '{"trace": "t"}'::jsonb)""")
    rows = db.execute("SELECT message, headers FROM pgmq.read('jobs', 30, 10)").fetchall()
    assert rows == [({"n": 1}, None), ({"n": 2}, {"trace": "t"})]
    db.execute("""SELECT pgmq.send('jobs', '{"n": 3, "kind": "x"}')""")
    picked = db.execute(
        """SELECT message FROM pgmq.read('jobs', 30, 10, '{"kind": "x"}')"""
    ).fetchall()
    assert picked == [({"n": 3, "kind": "x"},)]


# A project's files as the platform takes them: `supabase db pull` output of each major, and
# a migration written for pgmq 1.5 that checks for the headers column.
PULLED = {
    15: """
        create extension if not exists "pg_net" with schema "extensions";
        create extension if not exists "pgsodium" with schema "pgsodium";
        comment on schema "public" is 'standard public schema';
        create extension if not exists "pg_graphql" with schema "graphql";
        create extension if not exists "pg_stat_statements" with schema "extensions";
        create extension if not exists "pgcrypto" with schema "extensions";
        create extension if not exists "supabase_vault" with schema "vault";
        create extension if not exists "uuid-ossp" with schema "extensions";
        create table "public"."notes" ("id" uuid default extensions.uuid_generate_v4() not null);
    """,
    17: """
        create extension if not exists "pg_net" with schema "extensions";
        comment on schema "public" is 'standard public schema';
        create extension if not exists "pg_graphql" with schema "graphql";
        create extension if not exists "pg_stat_statements" with schema "extensions";
        create extension if not exists "pgcrypto" with schema "extensions";
        create extension if not exists "supabase_vault" with schema "vault";
        create extension if not exists "uuid-ossp" with schema "extensions";
        create table "public"."notes" ("id" uuid default extensions.uuid_generate_v4() not null);
    """,
}

PGMQ_15 = """
    create extension if not exists pgmq;
    do $$
    begin
        if not exists (
            select from information_schema.attributes
            where udt_schema = 'pgmq' and udt_name = 'message_record'
              and attribute_name = 'headers'
        ) then
            raise exception 'pgmq 1.5 or later is required (message_record.headers)';
        end if;
    end
    $$;
    select pgmq.create('emails');
    create function public.enqueue(body jsonb) returns bigint language sql as $f$
        select * from pgmq.send('emails', body, jsonb_build_object('source', 'app'))
    $f$;
"""


def _project(root: Path, major: int, migrations: dict[str, str]) -> None:
    supabase = root / "supabase"
    folder = supabase / "migrations"
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (supabase / "config.toml").write_text(f"[db]\nmajor_version = {major}\n")
    for name, text in migrations.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip())


def _local_url(project: Path) -> str:
    env = run(project, INV, "db.status", "--env")
    assert env.returncode == 0, env.stdout + env.stderr
    return env.stdout.strip().removeprefix("DATABASE_URL=")


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    with project_dir("dbflow-platform-") as root:
        yield root


@pytest.mark.parametrize("major", sorted(PULLED))
def test_a_pulled_schema_of_each_major_resets(project: Path, major: int) -> None:
    _project(project, major, {"20250101000000_remote_schema.sql": PULLED[major]})
    reset = run(project, INV, "db.reset", "--no-seed", timeout=600)
    assert_no_traceback(reset)
    assert reset.returncode == 0, reset.stdout + reset.stderr


def test_a_migration_written_for_pgmq_1_5_resets(project: Path) -> None:
    _project(project, 15, {"20250101000000_queues.sql": PGMQ_15})
    reset = run(project, INV, "db.reset", "--no-seed", timeout=600)
    assert_no_traceback(reset)
    assert reset.returncode == 0, reset.stdout + reset.stderr


TIMESCALE = """
    create extension if not exists timescaledb with schema extensions;
    create table public.readings (
        taken_at timestamptz not null, device text not null, value double precision
    );
    select extensions.create_hypertable('public.readings', 'taken_at', if_not_exists => true);
    create table public.events (at timestamptz not null, kind text);
    select extensions.create_hypertable('public.events', extensions.by_range('at'));
    select extensions.add_retention_policy('public.readings', interval '90 days');
    create view public.hourly as
        select extensions.time_bucket('1 hour', taken_at) as hour, device, avg(value) as mean
        from public.readings group by 1, 2;
"""


def test_hypertables_reset_as_plain_tables(project: Path) -> None:
    _project(project, 15, {"20250101000000_timeseries.sql": TIMESCALE})
    reset = run(project, INV, "db.reset", "--no-seed", timeout=600)
    assert_no_traceback(reset)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    url = _local_url(project)
    with connect(url) as conn:
        conn.execute(
            "insert into public.readings values ('2024-05-05 10:37+00', 'a', 1), "
            "('2024-05-05 10:59+00', 'a', 3), ('2024-05-05 11:01+00', 'a', 10)"
        )
        hours = conn.execute("select hour, mean from public.hourly order by hour").fetchall()
        assert [mean for _, mean in hours] == [2.0, 10.0]
        jobs = conn.execute(
            "select proc_name, hypertable_name from timescaledb_information.jobs"
        ).fetchall()
        assert jobs == [("policy_retention", "readings")]
        tables = conn.execute(
            "select hypertable_name from timescaledb_information.hypertables order by 1"
        ).fetchall()
        assert tables == [("events",), ("readings",)]


POSTGIS = """
    create extension if not exists postgis with schema extensions;
    create table public.places (
        id bigint generated always as identity primary key,
        name text not null,
        location extensions.geography(point, 4326) not null
    );
    create index places_location_idx on public.places using gist (location);
"""


def test_postgis_is_real_where_the_system_has_it(project: Path) -> None:
    from tests.conftest import require_extension

    require_extension("postgis", "postgresql-15-postgis-3")
    _project(project, 15, {"20250101000000_places.sql": POSTGIS})
    reset = run(project, INV, "db.reset", "--no-seed", timeout=600)
    assert_no_traceback(reset)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    url = _local_url(project)
    with connect(url) as conn:
        conn.execute(
            "insert into public.places (name, location) values "
            "('a', 'SRID=4326;POINT(0 0)'), ('b', 'SRID=4326;POINT(0 1)')"
        )
        meters = conn.execute(
            "select round(extensions.st_distance(p.location, q.location)) from public.places p, "
            "public.places q where p.name = 'a' and q.name = 'b'"
        ).fetchone()
        assert meters is not None and 110_000 < meters[0] < 112_000


def test_a_platform_extension_this_machine_lacks_is_one_clear_line(project: Path) -> None:
    _project(project, 15, {"20250101000000_search.sql": "create extension pgroonga;\n"})
    reset = run(project, INV, "db.reset", "--no-seed", timeout=600)
    assert_no_traceback(reset)
    assert reset.returncode != 0
    output = reset.stdout + reset.stderr
    assert '20250101000000_search.sql:1: extension "pgroonga" is on the Supabase platform' in output
    assert "apt-get install postgresql-15-pgdg-pgroonga" in output
    assert "brew install pgroonga" in output
