"""`inv db.pull`: a project that grew in the dashboard moves to migrations. A database is
changed by hand (new tables, a type, a function and trigger, a view, policies, grants, a
comment, a dropped policy, rows of data); the pull writes one migration, records it as applied
there, and a reset from the migrations then equals that database."""

from __future__ import annotations

import shutil
from typing import Any

from dbflow.connection import connect
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run

BY_HAND = """
create type public.ticket_state as enum ('open', 'waiting', 'closed');
create table public.tickets (
    id bigint generated always as identity primary key,
    organization_id uuid not null references public.organizations (id) on delete cascade,
    title text not null check (length(title) between 3 and 200),
    state public.ticket_state not null default 'open',
    opened_at timestamptz not null default now()
);
create index tickets_organization_id_idx on public.tickets (organization_id);
alter table public.tickets enable row level security;
create policy "tickets: members read" on public.tickets for select to authenticated
    using (organization_id in (select m.organization_id from public.memberships m
                               where m.user_id = (select auth.uid())));
comment on table public.tickets is 'Support tickets, one per request';
create function public.close_ticket(ticket bigint) returns void
    language sql security invoker set search_path = ''
    as $$ update public.tickets set state = 'closed' where id = ticket $$;
revoke execute on function public.close_ticket(bigint) from anon;
create view public.open_tickets with (security_invoker = on) as
    select id, title from public.tickets where state = 'open';
grant select on public.open_tickets to authenticated;
create trigger tickets_touch before update on public.tickets
    for each row execute function public.set_updated_at();
alter table public.profiles add column nickname text;
drop policy "skills: authenticated users add" on public.skills;
insert into auth.users (id, email) values ('00000000-0000-0000-0000-0000000000a1', 'a@b.test');
insert into public.organizations (id, name, slug, created_by)
    values ('00000000-0000-0000-0000-00000000abcd', 'Secret Customer Ltd', 'secret-customer',
            '00000000-0000-0000-0000-0000000000a1');
insert into public.tickets (organization_id, title)
    values ('00000000-0000-0000-0000-00000000abcd', 'Private ticket text');
"""


def test_pull_adopts_a_database_changed_by_hand(dbflow_databases: Any) -> None:
    with (
        project_dir("dbflow-pull-") as project,
        dbflow_databases.clone(dbflow_databases.app_template) as staging,
    ):
        shutil.copytree(REPO / "supabase", project / "supabase")
        env = {"STAGING_DATABASE_URL": staging}
        with connect(staging, autocommit=True) as conn:
            conn.execute(BY_HAND.encode())

        def inv(*args: str) -> Any:
            result = run(project, INV, *args, env=env, timeout=900)
            assert_no_traceback(result)
            return result

        migrations = project / "supabase" / "migrations"
        before = sorted(migrations.iterdir())
        unconfirmed = inv("db.pull", "--target", "staging")
        assert unconfirmed.returncode == 1 and "needs a confirmation" in unconfirmed.stderr
        dry = inv("db.pull", "--target", "staging", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "create table public.tickets" in dry.stdout
        assert sorted(migrations.iterdir()) == before  # nothing written

        pulled = inv("db.pull", "--target", "staging", "--name", "adopt_dashboard", "--yes")
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        (written,) = sorted(set(migrations.iterdir()) - set(before))
        assert written.name.endswith("_adopt_dashboard.sql")
        sql = written.read_text()
        assert "Secret Customer" not in sql and "Private ticket" not in sql  # schema only
        assert "insert into" not in sql.lower() and "\ncopy " not in sql.lower()
        assert 'drop policy "skills: authenticated users add"' in sql  # stated at the top
        assert "REMOVES" in sql.split("\n\n", 1)[0]
        assert "recorded it as applied on staging" in pulled.stdout
        version = written.name.split("_", 1)[0]
        with connect(staging, autocommit=True) as conn:
            row = conn.execute(
                "select name from supabase_migrations.schema_migrations where version = %s",
                (version,),
            ).fetchone()
        assert row == ("adopt_dashboard",)

        # The migrations now build what staging has; nothing is pending there.
        assert inv("db.reset", "--no-seed").returncode == 0
        same = inv("db.diff", "--from", "staging", "--to", "local")
        assert same.returncode == 0, same.stdout
        assert inv("db.diff", "--from", "migrations", "--to", "staging").returncode == 0
        plan = inv("db.push", "--target", "staging", "--dry-run")
        assert plan.returncode == 0 and "nothing to apply" in plan.stdout, plan.stdout
        again = inv("db.pull", "--target", "staging")
        assert again.returncode == 0 and "nothing to pull" in again.stdout, again.stdout

        # A migration here that staging has not run: the pull refuses and writes nothing.
        (migrations / "20990101000000_later.sql").write_text("create table public.later ();\n")
        pending = inv("db.pull", "--target", "staging", "--yes")
        assert pending.returncode == 1
        assert "not applied on staging: 20990101000000_later.sql" in pending.stderr
        assert "inv db.push --target staging" in pending.stderr


def test_pull_refuses_a_history_it_has_no_files_for(dbflow_databases: Any) -> None:
    with (
        project_dir("dbflow-pull-") as project,
        dbflow_databases.clone(dbflow_databases.app_template) as staging,
    ):
        shutil.copytree(REPO / "supabase", project / "supabase")
        with connect(staging, autocommit=True) as conn:
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, name) "
                "values ('20260101000000', 'made_elsewhere')"
            )
        result = run(
            project, INV, "db.pull", "--target", "staging", "--yes",
            env={"STAGING_DATABASE_URL": staging}, timeout=600,
        )  # fmt: skip
        assert_no_traceback(result)
        assert result.returncode == 1
        assert "history has 1 migration(s) with no file here: 20260101000000" in result.stderr
        assert not list((project / "supabase" / "migrations").glob("*remote_schema*"))


def test_an_interrupted_pull_is_finished_by_the_next(dbflow_databases: Any) -> None:
    """A pull stopped after recording its migration on the target but before the file was in
    place leaves the file waiting beside it: the next pull puts it in place and finds nothing
    more to pull. One stopped before recording leaves nothing the next pull keeps."""
    with (
        project_dir("dbflow-pull-") as project,
        dbflow_databases.clone(dbflow_databases.app_template) as staging,
    ):
        shutil.copytree(REPO / "supabase", project / "supabase")
        env = {"STAGING_DATABASE_URL": staging}
        migrations = project / "supabase" / "migrations"
        with connect(staging, autocommit=True) as conn:
            conn.execute("create schema private; create table private.hotfix (id int primary key)")
        stale = migrations / ".20990101000000_old_pull.sql.pulling"
        stale.write_text("create table public.never_recorded ();\n")
        first = run(project, INV, "db.pull", "--target", "staging", "--yes", env=env)
        assert first.returncode == 0, first.stderr
        assert not stale.exists()  # stopped before recording: nothing was pulled then
        (written,) = migrations.glob("*_remote_schema.sql")
        # As if the pull had stopped between recording and putting the file in place:
        waiting = migrations / f".{written.name}.pulling"
        written.replace(waiting)
        second = run(project, INV, "db.pull", "--target", "staging", "--yes", env=env)
        assert_no_traceback(second)
        assert second.returncode == 0, second.stderr
        assert written.exists() and not waiting.exists()
        assert "nothing to pull" in second.stdout + second.stderr
        listed = run(project, INV, "db.list", "--target", "staging", "--json", env=env)
        assert '"pending"' not in listed.stdout, listed.stdout  # recorded there
