"""`inv db.reset` never fails because of generated data, and fills the shapes real schemas use.

Each test writes a migration with one shape that real projects use, runs `inv db.reset` as a
user does, and reads what the tables hold: filled, or left empty with a named reason while
the project's own seed file still runs.
"""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dbflow.connection import connect
from tests.cli_helpers import DBFLOW, INV, assert_no_traceback, project_dir, run


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    """One project (and engine) for the module; each test writes its own migrations."""
    with project_dir("dbflow-shapes-") as root:
        (root / "supabase" / "migrations").mkdir(parents=True)
        yield root


def reset(
    project: Path, migration: str, *flags: str, seed_sql: str = ""
) -> subprocess.CompletedProcess[str]:
    folder = project / "supabase" / "migrations"
    for old in folder.glob("*.sql"):
        old.unlink()
    (folder / "20240101000000_shape.sql").write_text(textwrap.dedent(migration))
    (project / "supabase" / "seed.sql").write_text(seed_sql)
    result = run(project, INV, "db.reset", *flags, timeout=300)
    assert_no_traceback(result)
    return result


def query(project: Path, sql: str) -> list[tuple[Any, ...]]:
    url = run(project, DBFLOW, "db.status", "--env").stdout.strip().split("=", 1)[1]
    with connect(url) as conn:
        return conn.execute(sql).fetchall()


def count(project: Path, table: str) -> int:
    return int(query(project, f"select count(*) from {table}")[0][0])


def test_a_table_no_row_can_satisfy_is_left_empty_with_its_dependants(project: Path) -> None:
    migration = """
        create function public.never(value text) returns boolean
            language sql immutable as $$ select false $$;
        create table public.impossible (id bigint primary key, v text not null
            check (public.never(v)));
        create table public.needs_it (id bigint primary key,
            impossible_id bigint not null references public.impossible);
        create table public.may_use_it (id bigint primary key,
            impossible_id bigint references public.impossible);
        create table public.notes (id bigint primary key, body text not null);
    """
    seed_sql = "insert into public.notes (id, body) values (1000, 'from seed.sql');"
    result = reset(project, migration, seed_sql=seed_sql)
    assert result.returncode == 0, result.stderr
    assert "3 warnings" not in result.stdout and "2 warnings" in result.stdout, result.stdout
    assert "public.impossible left empty: CHECK impossible_v_check" in result.stderr
    assert "public.needs_it left empty: needs rows from public.impossible" in result.stderr
    assert "--fixed impossible.COLUMN=VALUE" in result.stderr
    assert count(project, "public.impossible") == 0
    assert count(project, "public.needs_it") == 0
    assert query(project, "select count(*), count(impossible_id) from public.may_use_it") == [
        (20, 0)
    ]
    assert query(project, "select body from public.notes where id = 1000") == [("from seed.sql",)]
    assert count(project, "public.notes") == 21

    strict = reset(project, migration, "--strict", seed_sql=seed_sql)
    assert strict.returncode == 1, strict.stdout
    assert "public.impossible: CHECK impossible_v_check" in strict.stderr


def test_a_failing_seed_file_is_an_error_as_under_the_cli(project: Path) -> None:
    result = reset(
        project,
        "create table public.notes (id bigint primary key, body text not null);",
        seed_sql="insert into public.notes (id) values (1);",
    )
    assert result.returncode == 1
    assert "seed.sql:1:" in result.stderr and 'null value in column "body"' in result.stderr


def test_two_foreign_keys_to_one_table_that_must_differ(project: Path) -> None:
    result = reset(
        project,
        """
        create table public.profiles (id uuid primary key references auth.users);
        create table public.follows (
            follower uuid not null references public.profiles,
            followee uuid not null references public.profiles,
            primary key (follower, followee),
            check (follower <> followee));
        create table public.friendships (id bigint generated always as identity primary key,
            user_a uuid not null references public.profiles,
            user_b uuid not null references public.profiles,
            unique (user_a, user_b),
            check (user_a < user_b));
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert count(project, "public.follows") > 50
    assert count(project, "public.friendships") > 5
    assert query(project, "select count(*) from public.follows where follower = followee") == [(0,)]


def test_a_singleton_table_gets_its_one_row(project: Path) -> None:
    result = reset(
        project,
        """
        create table public.settings (id int primary key default 1 check (id = 1),
            theme text not null default 'light');
        create table public.flags (id int primary key check (id = 1), enabled boolean);
        insert into public.flags (id, enabled) values (1, true);
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert query(project, "select id from public.settings") == [(1,)]
    assert query(project, "select id, enabled from public.flags") == [(1, True)]


def test_small_key_spaces_a_migration_filled(project: Path) -> None:
    result = reset(
        project,
        """
        create table public.countries (code char(2) primary key, name text not null);
        insert into public.countries values ('US', 'United States'), ('FR', 'France');
        create type public.role_name as enum ('admin', 'editor', 'viewer');
        create table public.roles (id serial primary key, name public.role_name unique not null);
        insert into public.roles (name) values ('admin'), ('editor'), ('viewer');
        create table public.permissions (id serial primary key,
            name text unique not null check (name in ('read', 'write')));
        insert into public.permissions (name) values ('read'), ('write');
        create table public.role_permissions (
            role_id int not null references public.roles,
            permission_id int not null references public.permissions,
            unique (role_id, permission_id));
        insert into public.role_permissions values (1, 1), (2, 2);
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert count(project, "public.countries") == 22
    assert query(project, "select count(distinct code) from public.countries") == [(22,)]
    assert count(project, "public.roles") == 3
    assert count(project, "public.permissions") == 2
    assert count(project, "public.role_permissions") == 6  # every pair, two already there


def test_auth_users_a_migration_inserted(project: Path) -> None:
    result = reset(
        project,
        """
        create table public.profiles (id uuid primary key references auth.users on delete cascade,
            full_name text);
        create function public.handle_new_user() returns trigger language plpgsql
            security definer set search_path = '' as $$
        begin
            insert into public.profiles (id, full_name)
            values (new.id, new.raw_user_meta_data ->> 'full_name');
            return new;
        end $$;
        create trigger on_auth_user_created after insert on auth.users
            for each row execute function public.handle_new_user();
        insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
            email_confirmed_at, created_at, updated_at, raw_app_meta_data, raw_user_meta_data)
        values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
            'authenticated', 'admin@example.com',
            extensions.crypt('secret', extensions.gen_salt('bf')),
            now(), now(), now(), '{"provider": "email", "providers": ["email"]}',
            '{"full_name": "The Admin"}');
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert count(project, "auth.users") == 50
    assert query(project, "select count(*) from auth.users where email = 'admin@example.com'") == [
        (1,)
    ]
    assert count(project, "public.profiles") == 50


def test_a_json_schema_check(project: Path) -> None:
    schema = (
        '{"type": "object", "required": ["color", "size"], "additionalProperties": false,'
        ' "properties": {"color": {"enum": ["red", "blue"]},'
        ' "size": {"type": "integer", "minimum": 1, "maximum": 10},'
        ' "tags": {"type": "array", "minItems": 1, "uniqueItems": true,'
        ' "items": {"type": "string", "pattern": "^[a-z]{3,8}$"}},'
        ' "dimensions": {"type": "object", "required": ["w"],'
        ' "properties": {"w": {"type": "number", "exclusiveMinimum": 0}}}}}'
    )
    result = reset(
        project,
        f"""
        create extension if not exists pg_jsonschema with schema extensions;
        create table public.products (id bigint primary key,
            attributes jsonb not null
                check (extensions.jsonb_matches_schema('{schema}', attributes)));
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert count(project, "public.products") == 20


def test_an_exclusion_constraint(project: Path) -> None:
    result = reset(
        project,
        """
        create extension if not exists btree_gist with schema extensions;
        create table public.rooms (id bigint primary key);
        create table public.bookings (id bigint primary key,
            room_id bigint not null references public.rooms,
            during tstzrange not null,
            exclude using gist (room_id with =, during with &&));
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert count(project, "public.bookings") == 20


TYPES = """
    create extension if not exists citext with schema extensions;
    create extension if not exists ltree with schema extensions;
    create extension if not exists hstore with schema extensions;
    create table public.typed (id bigint primary key,
        t_tstzrange tstzrange not null, t_daterange daterange not null,
        t_int4range int4range not null, t_numrange numrange not null,
        t_tsrange tsrange not null, t_int8multirange int8multirange not null,
        t_tstzmultirange tstzmultirange not null,
        t_citext extensions.citext not null unique, t_ltree extensions.ltree not null,
        t_hstore extensions.hstore not null, t_money money not null check (t_money > 0::money),
        t_inet inet not null, t_cidr cidr not null, t_macaddr macaddr not null,
        t_varbit bit varying(12) not null, t_bit bit(4) not null, t_tsvector tsvector not null,
        t_interval interval not null check (t_interval between interval '1 minute'
                                                         and interval '2 hours'),
        t_point point not null, t_xml xml not null, t_inet_array inet[] not null);
"""


def test_every_column_type_of_real_schemas_is_filled(project: Path) -> None:
    result = reset(project, TYPES, "--strict")
    assert result.returncode == 0, result.stderr
    assert count(project, "public.typed") == 20


def test_vector_columns(project: Path) -> None:
    result = reset(
        project,
        """
        create extension if not exists vector with schema extensions;
        create table public.documents (id bigint primary key,
            embedding extensions.vector(384) not null,
            half extensions.halfvec(16) not null,
            sparse extensions.sparsevec(1000) not null);
        create index on public.documents using hnsw (embedding extensions.vector_cosine_ops);
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert query(
        project, "select count(*), min(extensions.vector_dims(embedding)) from documents"
    ) == [(20, 384)]


def test_postgis_columns(project: Path) -> None:
    available = query(project, "select 1 from pg_available_extensions where name = 'postgis'")
    if not available:
        pytest.skip(
            "postgis is not installed for this PostgreSQL (Debian: postgresql-15-postgis-3)"
        )
    result = reset(
        project,
        """
        create extension if not exists postgis with schema extensions;
        create table public.places (id bigint primary key,
            location extensions.geography(Point, 4326) not null,
            area extensions.geometry(MultiPolygon, 4326) not null,
            path extensions.geometry(LineStringZ) not null,
            anything extensions.geometry not null);
        """,
        "--strict",
    )
    assert result.returncode == 0, result.stderr
    assert count(project, "public.places") == 20


def test_a_database_error_during_seeding_is_shown_as_what_it_is(project: Path) -> None:
    result = reset(
        project,
        """
        create table public.audit (id bigint primary key, note text);
        create unique index audit_parity on public.audit ((id % 2));
        """,
    )
    assert result.returncode == 0, result.stderr
    assert "connection failed" not in result.stderr
    assert (
        "public.audit left empty: the database refused its rows: duplicate key value violates "
        'unique constraint "audit_parity"' in result.stderr
    )


def test_rows_of_tables_dbflow_does_not_seed_are_parents(project: Path) -> None:
    result = reset(
        project,
        """
        insert into storage.buckets (id, name, public) values ('avatars', 'avatars', true);
        create table public.uploads (id bigint primary key,
            bucket_id text not null references storage.buckets (id), path text not null);
        create table public.thumbnails (id bigint primary key,
            object_id uuid not null references storage.objects (id));
        """,
    )
    assert result.returncode == 0, result.stderr
    assert query(project, "select count(*), min(bucket_id) from public.uploads") == [
        (20, "avatars")
    ]
    assert (
        "public.thumbnails left empty: needs rows from storage.objects, which has none "
        "(dbflow does not seed it)" in result.stderr
    )
