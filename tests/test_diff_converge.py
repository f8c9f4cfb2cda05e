"""Each kind of drift, planted on either side, converged by `db.diff`'s own SQL: afterwards
dbflow finds no difference and neither does migra, an independent schema differ (installed
from PyPI into its own virtual environment)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dbflow.catalog.snapshot import take_snapshot
from dbflow.connection import connect
from dbflow.schema.diff.compare import DiffResult, compare_snapshots
from dbflow.schema.diff.migration import migration_sql

# (name, SQL that makes the drift, whether migra needs --with-privileges to see it)
# An enum value can be added or renamed by ALTER TYPE, never removed: a value only the
# target has is left to be written by hand (the type has to be rebuilt), as tested below.
DRIFTS = [
    ("column default", "alter table public.skills alter column name set default 'x'", False),
    ("column type", "alter table public.organizations alter column slug type varchar(200)", False),
    ("NOT NULL", "alter table public.organizations alter column slug drop not null", False),
    ("enum value added", "alter type public.membership_role add value 'guest'", False),
    (
        "enum value renamed",
        "alter type public.membership_role rename value 'member' to 'participant'",
        False,
    ),
    ("extension", "create extension if not exists pg_trgm with schema extensions", False),
    (
        "extension version",
        "create extension if not exists pg_trgm with schema extensions version '1.5'",
        False,
    ),
    ("table grant", "revoke select on public.skills from anon", True),
    (
        "table grant added",
        "grant select on public.skills to drift_reader",
        True,
    ),
    (
        "policy roles",
        'alter policy "profiles: users read their own profile" on public.profiles '
        "to authenticated, anon",
        False,
    ),
    (
        "trigger WHEN",
        "drop trigger profiles_set_updated_at on public.profiles; "
        "create trigger profiles_set_updated_at before update on public.profiles "
        "for each row when (old.* is distinct from new.*) "
        "execute function public.set_updated_at()",
        False,
    ),
    ("FORCE RLS", "alter table public.skills force row level security", False),
    (
        "materialized view",
        "create materialized view public.skill_count as select count(*) as n from public.skills",
        False,
    ),
    (
        "table",
        "create table public.notes (id bigserial primary key, n int generated always as identity,"
        " body text not null default '', words int generated always as (length(body)) stored,"
        " skill_id bigint references public.skills, constraint body_short check"
        " (length(body) < 500)); create index notes_skill on public.notes (skill_id);"
        " alter table public.notes enable row level security;"
        " create policy notes_read on public.notes for select to authenticated using (true);"
        " grant select on public.notes to authenticated;"
        " comment on table public.notes is 'notes'",
        True,
    ),
    (
        "schema",
        "create schema reports; grant usage on schema reports to authenticated; "
        "create table reports.daily (id int primary key, total int);"
        " comment on schema reports is 'reporting'",
        True,
    ),
    ("table comment", "comment on table public.skills is 'Skills people list'", False),
    ("column comment", "comment on column public.skills.name is 'shown in the UI'", False),
    ("function privilege", "revoke execute on function public.is_platform_admin() from anon", True),
    ("schema privilege", "grant create on schema public to anon", True),
    ("column privilege", "grant update (name) on public.skills to drift_reader", True),
    (
        "view",
        "create view public.skill_names with (security_invoker = true) as "
        "select id, name from public.skills",
        False,
    ),
]


@pytest.fixture(scope="session")
def migra(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """migra in a virtual environment of its own (it needs SQLAlchemy 1 and psycopg2)."""
    folder = tmp_path_factory.mktemp("migra")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    done = subprocess.run(
        [str(folder / "bin" / "pip"), "install", "-q", "migra", "psycopg2-binary",
         "sqlalchemy<2"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"migra could not be installed from PyPI: {done.stderr[-300:]}")
    return folder / "bin" / "migra"


def migra_statements(migra: Path, source: str, target: str, privileges: bool) -> str:
    """What migra would run on ``source`` to make it ``target`` (empty: no difference)."""
    flags = ["--unsafe", *(["--with-privileges"] if privileges else [])]
    done = subprocess.run(
        [str(migra), *flags, source, target], capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode in (0, 2), done.stderr[-2000:]
    return done.stdout.strip()


def _diff(expected: str, actual: str) -> DiffResult:
    snapshots = []
    for url in (expected, actual):
        with connect(url, autocommit=True) as conn:
            snapshots.append(take_snapshot(conn))
    return DiffResult("migrations", "production", compare_snapshots(*snapshots), *snapshots)


@pytest.fixture(scope="session", autouse=True)
def drift_reader(dbflow_databases: Any) -> None:
    """A role the privilege drifts grant to (roles belong to the cluster, not a database)."""
    with dbflow_databases.clone(dbflow_databases.app_template) as url, connect(url) as conn:
        conn.execute(
            "do $$ begin if not exists (select from pg_roles where rolname = 'drift_reader') "
            "then create role drift_reader nologin; end if; end $$"
        )
        conn.commit()


@pytest.fixture
def pair(dbflow_databases: Any) -> Iterator[tuple[str, str]]:
    with (
        dbflow_databases.clone(dbflow_databases.app_template) as first,
        dbflow_databases.clone(dbflow_databases.app_template) as second,
    ):
        yield first, second


@pytest.mark.parametrize("planted_on", ["target", "expected side"])
@pytest.mark.parametrize(("kind", "sql", "privileges"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_drift_is_converged_by_its_own_sql(
    migra: Path, pair: tuple[str, str], kind: str, sql: str, privileges: bool, planted_on: str
) -> None:
    expected, actual = pair
    with connect(actual if planted_on == "target" else expected, autocommit=True) as conn:
        conn.execute(sql)
    result = _diff(expected, actual)
    assert result.drifted, f"{kind}: not detected"
    migration = migration_sql(result)
    if kind == "enum value added" and planted_on == "target":
        assert [(d.kind, d.change) for d in migration.not_expressed] == [("enum", "changed")]
        return
    assert migration.not_expressed == [], migration.not_expressed
    with connect(actual, autocommit=True) as conn, conn.transaction():
        for statement in migration.statements:
            conn.execute(statement.encode())
    assert not _diff(expected, actual).drifted, migration.statements
    assert migra_statements(migra, actual, expected, privileges) == ""


def test_an_extension_is_updated_but_never_downgraded(migra: Path, pair: tuple[str, str]) -> None:
    expected, actual = pair
    for url, version in ((expected, ""), (actual, " version '1.5'")):
        with connect(url, autocommit=True) as conn:
            conn.execute(f"create extension pg_trgm with schema extensions{version}")
    downgrade = migration_sql(_diff(actual, expected))  # back to 1.5: no script exists
    assert [(d.kind, d.change) for d in downgrade.not_expressed] == [("extension", "changed")]
    with connect(expected) as conn:
        row = conn.execute(
            "select extversion from pg_extension where extname = 'pg_trgm'"
        ).fetchone()
    assert row is not None
    migration = migration_sql(_diff(expected, actual))
    assert migration.statements == [f"alter extension pg_trgm update to '{row[0]}'"]
    with connect(actual, autocommit=True) as conn, conn.transaction():
        for statement in migration.statements:
            conn.execute(statement.encode())
    assert not _diff(expected, actual).drifted
    assert migra_statements(migra, actual, expected, False) == ""


VIEWS_OVER_NAME = """
create view public.skill_names with (security_invoker = true) as
    select id, name from public.skills;
create view public.short_skill_names with (security_invoker = true) as
    select id, name from public.skill_names where length(name) < 10;
grant select on public.skill_names to drift_reader;
comment on view public.skill_names is 'Skill names for the picker';
"""


@pytest.mark.parametrize("planted_on", ["target", "expected side"])
def test_a_type_change_under_views_goes_around_them(
    migra: Path, pair: tuple[str, str], planted_on: str
) -> None:
    """ALTER COLUMN TYPE refuses while a view reads the column: the views over it (and the
    views over those) are dropped first and made again after, with their grants and comment."""
    expected, actual = pair
    for url in pair:
        with connect(url, autocommit=True) as conn:
            conn.execute(VIEWS_OVER_NAME.encode())
    changed = actual if planted_on == "target" else expected
    with connect(changed, autocommit=True) as conn:
        conn.execute(
            b"drop view public.short_skill_names, public.skill_names;"
            b"alter table public.skills alter column name type varchar(80);"
            + VIEWS_OVER_NAME.encode()
        )
    result = _diff(expected, actual)
    migration = migration_sql(result)
    assert migration.not_expressed == []
    order = [s.split(" as ")[0] for s in migration.statements]
    assert (
        order.index("drop view public.short_skill_names")
        < order.index("drop view public.skill_names")
        < next(i for i, s in enumerate(order) if " type " in s)
    )  # dependents first
    with connect(actual, autocommit=True) as conn, conn.transaction():
        for statement in migration.statements:
            conn.execute(statement.encode())
    assert not _diff(expected, actual).drifted, migration.statements
    assert migra_statements(migra, actual, expected, True) == ""
