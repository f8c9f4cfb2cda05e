"""`inv db.advisors`: every lint on a schema built to trigger it and on one built not to (each
on its own clone of the bootstrap), then the command as users run it: text, JSON and SARIF,
exit 1 on errors, read-only against staging, the example app."""

from __future__ import annotations

import json
import shutil
from typing import Any

import psycopg
import pytest

from dbflow.checks.advisors.lints import LINTS
from dbflow.checks.advisors.run import advise
from dbflow.connection import connect
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run

API = ("public", "pgmq_public")
_RLS_TABLE = "create table public.t (id uuid primary key, owner uuid);\n" \
    "alter table public.t enable row level security;\n"  # fmt: skip
_BULK = "create table public.t (id int primary key, val int);\n" \
    "create index t_val_idx on public.t (val);\n" \
    "insert into public.t select g, g % 100 from generate_series(1, 5000) g;\n"  # fmt: skip
_DEFINER = "create function public.f() returns int language sql security definer " \
    "set search_path = '' as 'select 1';\n"  # fmt: skip
_FOREIGN = "create extension file_fdw;\ncreate server files foreign data wrapper file_fdw;\n" \
    "create foreign table public.ft (x int) server files options (filename '/dev/null');\n" \
    "grant select on public.ft to anon, authenticated;\n"  # fmt: skip
_QUEUE = "create schema pgmq;\ngrant usage on schema pgmq to anon, authenticated;\n" \
    "create table pgmq.q_jobs (id int primary key);\n" \
    "grant select on pgmq.q_jobs to anon, authenticated;\n"  # fmt: skip

# lint -> (SQL that triggers it, SQL that does not, the object it names). SQL runs as the
# superuser (objects owned by postgres, as migrations make them); a line "-- workload" starts
# queries run afterwards on a connection of their own, for the statistics.
CASES: dict[str, tuple[str, str, str]] = {
    "unindexed_foreign_keys": (
        "create table public.p (id int primary key);\n"
        "create table public.c (id int primary key, p_id int references public.p);\n",
        "create table public.p (id int primary key);\n"
        "create table public.c (id int primary key, p_id int references public.p);\n"
        "create index on public.c (p_id);\n",
        "public.c",
    ),
    "auth_users_exposed": (
        "create view public.users_v as select id, email from auth.users;\n"
        "grant select on public.users_v to anon;\n",
        "create view public.users_v with (security_invoker = on) as "
        "select id, email from auth.users;\ngrant select on public.users_v to anon;\n",
        "public.users_v",
    ),
    "auth_rls_initplan": (
        _RLS_TABLE + "create policy own on public.t for select using (auth.uid() = owner);\n",
        _RLS_TABLE
        + "create policy own on public.t for select using ((select auth.uid()) = owner);\n",
        "public.t",
    ),
    "no_primary_key": (
        "create table public.t (x int);\n",
        "create table public.t (x int primary key);\n",
        "public.t",
    ),
    "unused_index": (
        _BULK + "-- workload\nselect count(*) from public.t;\n",
        _BULK
        + "-- workload\nset enable_seqscan = off;\nselect count(*) from public.t where val = 3;\n",
        "public.t_val_idx",
    ),
    "multiple_permissive_policies": (
        _RLS_TABLE + "create policy a on public.t for select to authenticated using (true);\n"
        "create policy b on public.t for select to authenticated using (owner is null);\n",
        _RLS_TABLE + "create policy a on public.t for select to authenticated using (true);\n"
        "create policy b on public.t for insert to authenticated with check (owner is null);\n",
        "public.t",
    ),
    "policy_exists_rls_disabled": (
        "create table public.t (id int primary key);\n"
        "create policy p on public.t for select using (true);\n",
        "create table public.t (id int primary key);\n"
        "create policy p on public.t for select using (true);\n"
        "alter table public.t enable row level security;\n",
        "public.t",
    ),
    "rls_enabled_no_policy": (
        _RLS_TABLE,
        _RLS_TABLE + "create policy p on public.t for select using (true);\n",
        "public.t",
    ),
    "duplicate_index": (
        "create table public.t (id int primary key, a int);\n"
        "create index t_a1 on public.t (a);\ncreate index t_a2 on public.t (a);\n",
        "create table public.t (id int primary key, a int);\n"
        "create index t_a1 on public.t (a);\ncreate index t_a2 on public.t (a) where a > 0;\n",
        "public.t",
    ),
    "security_definer_view": (
        "create table public.t (id int primary key);\n"
        "alter table public.t enable row level security;\n"
        "create view public.v as select id from public.t;\n",
        "create table public.t (id int primary key);\n"
        "alter table public.t enable row level security;\n"
        "create view public.v with (security_invoker = on) as select id from public.t;\n",
        "public.v",
    ),
    "function_search_path_mutable": (
        "create function public.f() returns int language sql as 'select 1';\n",
        "create function public.f() returns int language sql set search_path = '' as 'select 1';\n",
        "public.f()",
    ),
    "rls_disabled_in_public": (
        "create table public.t (id int primary key);\n",
        "create table public.t (id int primary key);\n"
        "alter table public.t enable row level security;\n",
        "public.t",
    ),
    "extension_in_public": (
        "create extension hstore schema public;\n",
        "create extension hstore schema extensions;\n",
        "hstore",
    ),
    "rls_references_user_metadata": (
        _RLS_TABLE + "create policy admins on public.t for select using "
        "(((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');\n",
        _RLS_TABLE + "create policy admins on public.t for select using "
        "(((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');\n",
        "public.t",
    ),
    "materialized_view_in_api": (
        "create materialized view public.mv as select 1 as x;\n"
        "grant select on public.mv to anon;\n",
        "create materialized view public.mv as select 1 as x;\n"
        "revoke all on public.mv from anon, authenticated;\n",
        "public.mv",
    ),
    "foreign_table_in_api": (
        _FOREIGN,
        _FOREIGN + "revoke all on public.ft from anon, authenticated;\n",
        "public.ft",
    ),
    "unsupported_reg_types": (
        "create table public.t (id int primary key, handler regproc);\n",
        "create table public.t (id int primary key, handler regclass);\n",
        "public.t.handler",
    ),
    "insecure_queue_exposed_in_api": (
        _QUEUE,
        _QUEUE + "alter table pgmq.q_jobs enable row level security;\n",
        "pgmq.q_jobs",
    ),
    "table_bloat": (
        _BULK + "-- workload\ndelete from public.t where id > 500;\n",
        _BULK + "-- workload\ndelete from public.t where id > 4990;\n",  # a few dead rows
        "public.t",
    ),
    "fkey_to_auth_unique": (
        "create table public.t (id int primary key, pid text, prov text,\n"
        "    foreign key (pid, prov) references auth.identities (provider_id, provider));\n",
        "create table public.t (id int primary key, uid uuid references auth.users (id));\n",
        "public.t",
    ),
    "extension_versions_outdated": (
        "create extension hstore schema extensions version '1.4';\n",
        "create extension hstore schema extensions;\n",
        "hstore",
    ),
    "sensitive_columns_exposed": (
        "create table public.t (id int primary key, password_hash text, api_key text);\n",
        "create table public.t (id int primary key, password_hash text, api_key text);\n"
        "alter table public.t enable row level security;\n",
        "public.t",
    ),
    "rls_policy_always_true": (
        _RLS_TABLE + "create policy anyone on public.t for insert with check (true);\n",
        _RLS_TABLE + "create policy anyone on public.t for select using (true);\n"
        "create policy backend on public.t for all to service_role using (true);\n",
        "public.t",
    ),
    "public_bucket_allows_listing": (
        "insert into storage.buckets (id, name, public) values ('pics', 'pics', true);\n"
        "create policy list on storage.objects for select using (bucket_id = 'pics');\n",
        "insert into storage.buckets (id, name, public) values ('pics', 'pics', false);\n"
        "create policy list on storage.objects for select using (bucket_id = 'pics');\n",
        "pics",
    ),
    "anon_security_definer_function_executable": (
        _DEFINER,
        _DEFINER + "revoke execute on function public.f() from public, anon;\n",
        "public.f()",
    ),
    "authenticated_security_definer_function_executable": (
        _DEFINER,
        _DEFINER + "revoke execute on function public.f() from public, anon, authenticated;\n",
        "public.f()",
    ),
}


def test_every_lint_has_its_fixtures() -> None:
    assert sorted(CASES) == sorted(lint.name for lint in LINTS)


def _build(dbflow_databases: Any, url: str, sql: str) -> None:
    name = url.rsplit("/", 1)[1]
    setup, _, workload = sql.partition("-- workload\n")
    admin = dbflow_databases.engine.admin_url(name)
    with connect(admin, autocommit=True) as conn:
        conn.execute("set role postgres")  # as migrations run
        for statement in setup.split(";\n"):
            if statement.strip():
                if "file_fdw" in statement or "create server" in statement:
                    conn.execute("reset role")
                    conn.execute(statement.encode())
                    conn.execute("grant usage on foreign server files to postgres"
                                 if "create server" in statement else "select 1")  # fmt: skip
                    conn.execute("set role postgres")
                else:
                    conn.execute(statement.encode())
    if workload:
        with psycopg.connect(admin, autocommit=True) as conn:  # closing flushes its statistics
            for statement in workload.split(";\n"):
                if statement.strip():
                    conn.execute(statement.encode())


@pytest.mark.parametrize("lint", sorted(CASES))
def test_a_lint_fires_on_its_fixture_and_not_on_the_fixed_one(
    dbflow_databases: Any, lint: str
) -> None:
    bad, good, target = CASES[lint]
    for sql, expected in ((bad, True), (good, False)):
        with dbflow_databases.clone(dbflow_databases.base_template) as url:
            _build(dbflow_databases, url, sql)
            with connect(url, autocommit=True) as conn:
                report = advise(conn, "test", API, only=(lint,))
            named = [finding.object for finding in report.findings]
            assert (target in named) is expected, (lint, expected, report.findings)


def test_the_command_on_the_example_app_and_a_table_left_open(dbflow_databases: Any) -> None:
    with project_dir("dbflow-advisors-", app=True) as project:
        assert run(project, INV, "db.reset", "--no-seed", timeout=600).returncode == 0
        clean = run(project, INV, "db.advisors")
        assert_no_traceback(clean)
        assert clean.returncode == 0, clean.stdout + clean.stderr  # warnings do not fail
        assert "local: 0 error(s)" in clean.stdout

        (project / "supabase" / "migrations" / "20250101000500_open.sql").write_text(
            "create table public.invoices (id int primary key, card_number text);\n"
        )
        assert run(project, INV, "db.up").returncode == 0
        errors = run(project, INV, "db.advisors", "--format", "json",
                     "--output", str(project / "advice.json"))  # fmt: skip
        assert errors.returncode == 1
        report = json.loads((project / "advice.json").read_text())
        found = {(f["lint"], f["object"]) for f in report["findings"]}
        assert ("rls_disabled_in_public", "public.invoices") in found
        assert ("sensitive_columns_exposed", "public.invoices") in found
        assert report["errors"] == 2

        sarif = json.loads(run(project, INV, "db.advisors", "--format", "sarif").stdout)
        results = sarif["runs"][0]["results"]
        assert {r["ruleId"] for r in results if r["level"] == "error"} == {
            "rls_disabled_in_public",
            "sensitive_columns_exposed",
        }
        only = run(project, INV, "db.advisors", "--only", "no_primary_key")
        assert only.returncode == 0 and "local: 0 error(s), 0 warning(s), 0 info" in only.stdout
        unknown = run(project, INV, "db.advisors", "--only", "nonsense")
        assert unknown.returncode == 1 and "unknown lint nonsense" in unknown.stderr
        bad = run(project, INV, "db.advisors", "--format", "xml")
        assert bad.returncode == 2


def test_staging_and_production_are_read_only(dbflow_databases: Any) -> None:
    with (
        project_dir("dbflow-advisors-") as project,
        dbflow_databases.clone(dbflow_databases.app_template) as staging,
    ):
        shutil.copytree(REPO / "supabase", project / "supabase")
        with connect(staging, autocommit=True) as conn:
            conn.execute("alter table public.skills disable row level security")
        env = {"STAGING_DATABASE_URL": staging, "PRODUCTION_DATABASE_URL": staging}
        for target in ("staging", "production"):
            result = run(project, INV, "db.advisors", "--target", target, env=env)
            assert_no_traceback(result)
            assert result.returncode == 1
            assert "ERROR rls_disabled_in_public: public.skills" in result.stdout
            assert "ERROR policy_exists_rls_disabled: public.skills" in result.stdout
            assert f"{target}: 2 error(s)" in result.stdout
