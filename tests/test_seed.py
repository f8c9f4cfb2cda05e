"""The seeder on a real database: deterministic, constraint-aware, all or nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbflow.config import Settings, load_settings
from dbflow.connection import connect
from dbflow.errors import DbflowError, SeedPlanError
from dbflow.seed.export import write_sql
from dbflow.seed.fixtures import ADMIN, MEMBER, ORG_A, ORG_B, OUTSIDER, PASSWORD
from dbflow.seed.run import SeedOptions, plan_lines, plan_seed, seed_url, seed_within
from dbflow.testing import as_anon, as_service_role, as_user

Conn = psycopg.Connection[Any]
APP_TABLES = (
    "auth.users",
    "auth.identities",
    "public.profiles",
    "public.organizations",
    "public.memberships",
    "public.skills",
    "public.user_career_profiles",
)


def seed(url: str, settings: Settings, **options: Any) -> Any:
    with connect(url, autocommit=True) as conn:
        return seed_within(conn, settings, SeedOptions(**options), lambda plan, rows: None)


def table_hashes(url: str, tables: tuple[str, ...] = APP_TABLES) -> dict[str, str]:
    hashes = {}
    with connect(url) as conn:
        for table in tables:
            digest = hashlib.sha256()
            with conn.cursor().copy(
                f"COPY (SELECT * FROM {table} ORDER BY 1, 2) TO STDOUT"
            ) as copy:
                for block in copy:
                    digest.update(block)
            hashes[table] = digest.hexdigest()
    return hashes


@pytest.fixture
def empty_project(tmp_path: Path) -> Settings:
    """Settings of a project with no seed files (for schemas built by the test itself)."""
    (tmp_path / "pyproject.toml").write_text("[tool.dbflow]\n")
    return load_settings(tmp_path, environ={})


def test_seed_test_is_byte_identical_across_runs(
    dbflow_databases: Any, dbflow_settings: Settings
) -> None:
    hashes = []
    for _ in range(2):
        with dbflow_databases.clone(dbflow_databases.app_template) as url:
            seed(url, dbflow_settings, mode="test")
            hashes.append(table_hashes(url))
    assert hashes[0] == hashes[1]


def test_a_count_changes_only_its_own_table(
    dbflow_databases: Any, dbflow_settings: Settings
) -> None:
    results = []
    for counts in ({}, {"skills": 40}):
        with dbflow_databases.clone(dbflow_databases.app_template) as url:
            seed(url, dbflow_settings, mode="dev", rows=counts)
            results.append(table_hashes(url))
    changed = {table for table in APP_TABLES if results[0][table] != results[1][table]}
    assert changed == {"public.skills"}


def test_dev_data_is_realistic_and_complete(db_url: str, dbflow_settings: Settings) -> None:
    result = seed(db_url, dbflow_settings, mode="dev")
    counts = {table.name: table.rows for table in result.tables}
    assert counts["auth.users"] == 50 and counts["public.organizations"] == 10
    with connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM public.profiles").fetchone() == (50,)
        assert conn.execute("SELECT count(*) FROM auth.identities").fetchone() == (50,)
        emails = conn.execute("SELECT email FROM auth.users ORDER BY created_at LIMIT 4").fetchall()
        assert [row[0] for row in emails[:3]] == [ADMIN.email, MEMBER.email, OUTSIDER.email]
        assert emails[3][0].endswith("@example.com")
        profile = conn.execute(
            "SELECT p.email = u.email, p.full_name IS NOT NULL FROM public.profiles p "
            "JOIN auth.users u ON u.id = p.id WHERE u.email NOT LIKE '%%@example.com' "
            "OR true LIMIT 1"
        ).fetchone()
        assert profile == (True, True)
        tokens = conn.execute(
            "SELECT bool_and(confirmation_token = '' AND recovery_token = '' "
            "AND email_change_token_new = '' AND email_change = '' "
            "AND email_confirmed_at IS NOT NULL AND confirmed_at IS NOT NULL "
            "AND extensions.crypt(%s, encrypted_password) = encrypted_password) FROM auth.users",
            (PASSWORD,),
        ).fetchone()
        assert tokens == (True,)
        career = conn.execute(
            "SELECT bool_and(salary_min <= salary_max "
            "AND work_mode IN ('remote','hybrid','onsite') "
            "AND jsonb_typeof(preferred_locations) = 'array') FROM public.user_career_profiles"
        ).fetchone()
        assert career == (True,)
        slugs = conn.execute("SELECT slug FROM public.organizations LIMIT 1").fetchone()
        assert slugs is not None and slugs[0].replace("-", "").isalnum()


def test_rls_with_seeded_fixtures(db_url: str, dbflow_settings: Settings) -> None:
    seed(db_url, dbflow_settings, mode="test")
    orgs = "SELECT id FROM public.organizations WHERE id IN (%s, %s) ORDER BY id"
    with connect(db_url, autocommit=True) as conn:
        with as_user(conn, MEMBER.id) as acting:
            assert [r[0] for r in acting.execute(orgs, (ORG_A, ORG_B))] == [ORG_A]
            profiles = [r[0] for r in acting.execute("SELECT id FROM public.profiles")]
            assert profiles == [MEMBER.id]
            updated = acting.execute(
                "UPDATE public.user_career_profiles SET headline = 'mine' WHERE true"
            ).rowcount
            assert updated == 1
        with as_user(conn, OUTSIDER.id) as acting:
            assert [r[0] for r in acting.execute(orgs, (ORG_A, ORG_B))] == [ORG_B]
            changed = acting.execute(
                "UPDATE public.user_career_profiles SET headline = 'x' WHERE user_id = %s",
                (MEMBER.id,),
            ).rowcount
            assert changed == 0
        with as_user(conn, ADMIN.id) as acting:
            assert [r[0] for r in acting.execute(orgs, (ORG_A, ORG_B))] == [ORG_A, ORG_B]
            everyone = acting.execute("SELECT count(*) FROM public.profiles").fetchone()
            assert everyone is not None and everyone[0] > 3
        with as_anon(conn) as acting:
            assert acting.execute("SELECT count(*) FROM public.profiles").fetchone() == (0,)
            skills = acting.execute("SELECT count(*) FROM public.skills").fetchone()
            assert skills is not None and skills[0] > 0
        with as_service_role(conn) as acting:
            total = acting.execute("SELECT count(*) FROM public.profiles").fetchone()
            assert total is not None and total[0] >= 5


def test_edge_case_rows_in_seed_test(db_url: str, dbflow_settings: Settings) -> None:
    seed(db_url, dbflow_settings, mode="test")
    with connect(db_url) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM public.organizations")}
        assert "M" * 120 in names  # the CHECK's upper bound
        assert "a" in names  # its lower bound
        assert any("😀" in name for name in names)
        modes = {r[0] for r in conn.execute("SELECT work_mode FROM public.user_career_profiles")}
        assert {"remote", "onsite"} <= modes  # first and last allowed values
        nulls = conn.execute(
            "SELECT count(*) FROM public.user_career_profiles WHERE bio IS NULL"
        ).fetchone()
        assert nulls is not None and nulls[0] >= 1


def _build(url: str, ddl: str) -> None:
    with connect(url, autocommit=True) as conn:
        conn.execute(ddl)


def _count(url: str, table: str) -> int:
    with connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else -1


def test_unsatisfiable_check_is_named_before_writing(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create table public.odd (id bigint primary key, n int not null "
        "constraint odd_n_check check ((n * 2) % 3 = 1));",
    )
    with pytest.raises(SeedPlanError) as error:
        seed(bare_db_url, empty_project, mode="dev", strict=True)
    assert "public.odd: CHECK odd_n_check" in str(error.value)
    assert "--fixed odd.COLUMN=VALUE" in str(error.value)
    assert _count(bare_db_url, "auth.users") == 0
    seed(bare_db_url, empty_project, mode="dev", fixed={"odd.n": "2"})
    assert _count(bare_db_url, "public.odd") == 20


def test_not_null_cycle_fails_and_nullable_cycle_is_broken(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create table public.a (id bigint primary key, b_id bigint not null);"
        "create table public.b (id bigint primary key, a_id bigint not null references public.a);"
        "alter table public.a add foreign key (b_id) references public.b;",
    )
    with pytest.raises(SeedPlanError, match=r"cycle of NOT NULL columns: public\.\w -> public"):
        seed(bare_db_url, empty_project, mode="dev", strict=True)
    _build(bare_db_url, "alter table public.a alter column b_id drop not null;")
    seed(bare_db_url, empty_project, mode="dev")
    with connect(bare_db_url) as conn:
        filled = conn.execute("SELECT count(*), count(b_id) FROM public.a").fetchone()
    assert filled is not None and filled[0] == 20 and filled[1] >= 15


def test_tables_without_primary_key_and_with_composite_and_partial_unique_keys(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create table public.log (message text not null, at timestamptz not null);"
        "create table public.pairs (x int not null, y int not null, flag boolean, code text,"
        " unique (x, y));"
        "create unique index pairs_code_active on public.pairs (code) where flag;"
        "create table public.tree (id bigint primary key,"
        " parent_id bigint references public.tree);",
    )
    seed(bare_db_url, empty_project, mode="dev", rows={"pairs": 200, "log": 5})
    assert _count(bare_db_url, "public.log") == 5
    assert _count(bare_db_url, "public.pairs") == 200
    with connect(bare_db_url) as conn:
        roots = conn.execute("SELECT count(*) FROM public.tree WHERE parent_id IS NULL").fetchone()
    assert roots == (1,)


def test_unknown_type_is_named_with_an_override_hint(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create table public.shapes (id bigint primary key, p pg_node_tree not null);",
    )
    with pytest.raises(SeedPlanError) as error:
        seed(bare_db_url, empty_project, mode="dev", strict=True)
    assert "public.shapes.p: no generator for type pg_node_tree: the server's internal" in str(
        error.value
    )
    assert "--fixed shapes.p=VALUE" in str(error.value)
    result = seed(bare_db_url, empty_project, mode="dev")
    (skipped,) = result.skipped
    assert skipped.skipped.startswith("p: no generator for type pg_node_tree")


def test_failure_in_the_last_table_writes_nothing(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create table public.first (id bigint primary key);"
        "create table public.zlast (id bigint primary key,"
        " first_id bigint references public.first);"
        "create unique index zlast_parity on public.zlast ((id % 2));",
    )
    with pytest.raises(DbflowError) as error:
        seed(bare_db_url, empty_project, mode="dev", strict=True)
    assert "seeding public.zlast failed: duplicate key value violates unique constraint" in str(
        error.value
    )
    assert "nothing was written" in str(error.value)
    assert _count(bare_db_url, "public.first") == 0
    assert _count(bare_db_url, "auth.users") == 0


def test_a_trigger_that_refuses_generated_rows_is_paused_and_said(
    bare_db_url: str, empty_project: Settings
) -> None:
    _build(
        bare_db_url,
        "create table public.slots (id bigint primary key, free int not null);"
        "create function public.refuse() returns trigger language plpgsql as "
        "$$ begin raise exception 'Required slots are not available'; end $$;"
        "create trigger refuse before insert on public.slots "
        "for each row execute function public.refuse();",
    )
    result = seed(bare_db_url, empty_project, mode="dev")
    loaded = next(table for table in result.tables if table.name == "public.slots")
    assert (loaded.rows, loaded.mode) == (20, "copy, triggers paused")
    notes = result.plan.by_key[("public", "slots")].notes
    assert any("Required slots are not available" in note for note in notes)
    with connect(bare_db_url) as conn:
        enabled = conn.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'refuse'"
        ).fetchone()
    assert enabled == ("O",)  # the trigger is on again afterwards


def test_remote_and_production_targets_are_refused(empty_project: Settings, tmp_path: Path) -> None:
    settings = load_settings(
        empty_project.project_root,
        environ={
            "STAGING_DATABASE_URL": "postgresql://u:secret-pw-1@db.example.test/postgres",
            "PRODUCTION_DATABASE_URL": "postgresql://u:secret-pw-2@prod.example.test/postgres",
        },
    )
    with pytest.raises(DbflowError, match="refusing to seed production"):
        seed_url(settings, SeedOptions(target="production", allow_remote=True))
    with pytest.raises(DbflowError) as error:
        seed_url(settings, SeedOptions(target="staging"))
    assert "refusing to seed staging without --allow-remote" in str(error.value)
    assert "secret-pw-1" not in str(error.value)


def test_zero_and_a_million_rows(bare_db_url: str, empty_project: Settings) -> None:
    _build(
        bare_db_url,
        "create table public.big (id bigint generated always as identity primary key,"
        " title text not null, price numeric(10,2), created_at timestamptz not null);"
        "create table public.none_here (id bigint primary key);",
    )
    result = seed(
        bare_db_url, empty_project, mode="dev", users=3, rows={"big": 1_000_000, "none_here": 0}
    )
    assert {t.name: t.rows for t in result.tables}["public.big"] == 1_000_000
    assert _count(bare_db_url, "public.none_here") == 0
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO public.big (title, created_at) VALUES ('next', now())")
        assert conn.execute("SELECT max(id) FROM public.big").fetchone() == (1_000_001,)


def test_dry_run_and_sql_export(db_url: str, dbflow_settings: Settings, tmp_path: Path) -> None:
    with connect(db_url, autocommit=True) as conn:
        plan = plan_seed(conn, SeedOptions(mode="dev"))
        lines = plan_lines(plan, [], dbflow_settings.project_root)
        assert "public.organizations: 10 rows" in lines
        assert any("salary_range_is_ordered satisfied by construction" in line for line in lines)
        assert conn.execute("SELECT count(*) FROM auth.users").fetchone() == (0,)
        out = tmp_path / "seed.sql"
        written = write_sql(conn, plan, out)
    assert written > 100 and out.read_text().count("insert into") >= 6
    with connect(db_url, autocommit=True) as conn:
        conn.execute(out.read_text())
        assert conn.execute("SELECT count(*) FROM auth.users").fetchone() == (50,)


def test_seeding_twice_merges_and_continues(db_url: str, dbflow_settings: Settings) -> None:
    seed(db_url, dbflow_settings, mode="dev")
    seed(db_url, dbflow_settings, mode="dev")
    with connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM auth.users").fetchone() == (50,)  # same ids
        skills = conn.execute("SELECT count(*), count(DISTINCT name) FROM public.skills").fetchone()
    assert skills == (40, 40)  # numbered rows continue after the first run's 20


def test_arrays_of_varchar_and_char_load(bare_db_url: str, empty_project: Settings) -> None:
    _build(
        bare_db_url,
        "create table public.labels (id bigint primary key, names varchar(20)[] not null, "
        "codes character(3)[], tags text[])",
    )
    seed(bare_db_url, empty_project, mode="dev", users=3, rows={"labels": 5})
    with connect(bare_db_url) as conn:
        rows = conn.execute("SELECT names, codes FROM public.labels").fetchall()
    assert len(rows) == 5
    assert all(all(len(name) <= 20 for name in names) for names, _ in rows)


def test_seed_file_rows_are_parents_and_never_collide(bare_db_url: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.dbflow]\n")
    (tmp_path / "seeds" / "dev").mkdir(parents=True)
    (tmp_path / "seeds" / "dev" / "001_teams.sql").write_text(
        "insert into public.teams (id, slug, name) values"
        " ('00000000-0000-4000-8000-0000000000aa', 'hand-written', 'Hand Written');\n"
    )
    _build(
        bare_db_url,
        "create table public.teams (id uuid primary key, slug text not null unique,"
        " name text not null);"
        "create table public.projects (id uuid primary key,"
        " team_id uuid not null references public.teams, title text not null);",
    )
    settings = load_settings(tmp_path, environ={})
    seed(bare_db_url, settings, mode="dev", rows={"teams": 3, "projects": 200})
    with connect(bare_db_url) as conn:
        picked = conn.execute(
            "SELECT count(*) FROM public.projects "
            "WHERE team_id = '00000000-0000-4000-8000-0000000000aa'"
        ).fetchone()
        teams = conn.execute("SELECT count(*), count(DISTINCT slug) FROM public.teams").fetchone()
    assert picked is not None and picked[0] > 10  # one parent in four is the hand-written one
    assert teams == (4, 4)


def test_twenty_users_are_twenty_coherent_people(
    dbflow_databases: Any, dbflow_settings: Settings
) -> None:
    with dbflow_databases.clone(dbflow_databases.app_template) as url:
        seed(url, dbflow_settings, mode="dev", users=20)
        with connect(url) as conn:
            people = conn.execute(
                "SELECT u.email, u.raw_user_meta_data ->> 'full_name', "
                " u.raw_user_meta_data ->> 'avatar_url', p.full_name, p.email, p.avatar_url, "
                " i.identity_data ->> 'email' "
                "FROM auth.users u JOIN public.profiles p ON p.id = u.id "
                "JOIN auth.identities i ON i.user_id = u.id ORDER BY u.created_at"
            ).fetchall()
            careers = conn.execute(
                "SELECT max(years_experience), min(salary_min) % 1000, "
                " bool_and(salary_min <= salary_max) FROM public.user_career_profiles"
            ).fetchone()
    assert len(people) == 20
    for email, meta_name, meta_avatar, full_name, profile_email, avatar, identity in people:
        assert email == profile_email == identity
        assert meta_name == full_name and meta_avatar == avatar
        first, last = full_name.lower().split(" ", 1)
        assert email in ("admin@example.com", "member@example.com", "outsider@example.com") or (
            email.startswith(f"{first}.{last.replace(' ', '')}".replace("'", ""))
        ), (email, full_name)
    assert careers is not None
    assert careers[0] <= 25 and careers[1] == 0 and careers[2]  # years, whole thousands, ordered


def test_a_big_table_is_the_same_from_every_core(
    bare_db_url: str, empty_project: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dbflow.seed.load as load
    import dbflow.seed.parallel as parallel

    _build(
        bare_db_url,
        "create table public.events (id bigint primary key, email text not null,"
        " kind text not null check (kind in ('a', 'b')), amount numeric(8, 2),"
        " at timestamptz not null, payload jsonb);",
    )
    used: list[int] = []

    def counted(plan: Any, binary: bool) -> int:
        workers = parallel.worker_count(plan, binary)
        used.append(workers)
        return workers

    monkeypatch.setattr(load, "worker_count", counted)
    digests = []
    for threshold in (10_000, 10**9):  # forked workers, then one process
        monkeypatch.setattr(parallel, "PARALLEL_FROM", threshold)
        seed(bare_db_url, empty_project, mode="dev", users=3, rows={"events": 60_000})
        digests.append(table_hashes(bare_db_url, ("public.events",)))
        _build(bare_db_url, "truncate public.events; delete from auth.users;")
    assert digests[0] == digests[1]
    assert used[-1] == 0
    assert max(used) >= 2 or len(os.sched_getaffinity(0)) < 2  # forked workers on 2+ cores


def test_an_append_only_table_is_seeded_twice(bare_db_url: str, empty_project: Settings) -> None:
    _build(
        bare_db_url,
        "create table public.ledger (id bigint primary key, note text not null,"
        " at timestamptz not null default now());"
        "create function public.stamp() returns trigger language plpgsql as "
        "$$ begin new.at = now(); return new; end $$;"
        "create trigger stamp before insert on public.ledger "
        "for each row execute function public.stamp();"
        "create rule ledger_no_update as on update to public.ledger do instead nothing;"
        "create rule ledger_no_delete as on delete to public.ledger do instead nothing;",
    )
    seed(bare_db_url, empty_project, mode="dev")
    seed(bare_db_url, empty_project, mode="dev")
    with connect(bare_db_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE at = '2025-01-01T00:00:00Z') "
            "FROM public.ledger"
        ).fetchone()
    assert row == (40, 40)  # both runs' rows, their trigger-made clock pinned to the epoch
