"""A migration's own transaction control, applied by dbflow and by the Supabase CLI itself.

The CLI (npm supabase@2.117.0, `supabase db push --db-url`) is the oracle: every file it
applies must apply with dbflow, with the same schema, data and history. Where the CLI leaves a
failing file half-applied (a COMMIT in the middle), dbflow keeps nothing: that difference is
deliberate and asserted too.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from dbflow.connection import connect
from dbflow.migrations.plan import MigrationError
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.sql.canonical import canonical_statements
from tests.cli_helpers import supabase_push

CASES = {
    "block in the middle": """
        create table public.a (id int);
        begin;
        insert into public.a values (1);
        commit;
        create table public.b (id int);
    """,
    "whole file wrapped": """
        BEGIN;
        create table public.a (id int);
        insert into public.a values (1), (2);
        COMMIT;
    """,
    "block rolled back": """
        create table public.a (id int);
        begin;
        create table public.b (id int);
        insert into public.a values (1);
        rollback;
        insert into public.a values (2);
    """,
    "commit without begin": """
        create table public.a (id int);
        commit;
        create table public.b (id int);
    """,
    "two blocks, start transaction and end": """
        start transaction;
        create table public.a (id int);
        end;
        begin;
        create table public.b (id int);
        commit;
    """,
    "rollback without begin": """
        create table public.a (id int);
        rollback;
        create table public.b (id int);
    """,
    "enum value committed before its use": """
        create type public.r as enum ('x');
        create table public.a (id int, role public.r);
        begin;
        alter type public.r add value 'y';
        commit;
        begin;
        create index a_y_idx on public.a (id) where role = 'y';
        commit;
    """,
    "two blocks with a role switch": """
        create table public.a (id int);
        begin;
        select set_config('role', 'authenticated', true);
        insert into public.a values (1);
        end;
        begin;
        create table public.b (id int);
        insert into public.a values (case when current_setting('role') = 'none' then 2 else 3 end);
        commit;
    """,
    "settings made for a transaction end with it": """
        create table public.a (id int);
        create function public.n(text) returns int language sql
            as $$ select coalesce(nullif(current_setting($1, true), ''), '0')::int $$;
        begin;
        set local app.flag = '7';
        select set_config('request.jwt.claims', '{"sub": "x"}', true);
        insert into public.a values (current_setting('app.flag')::int);
        commit;
        insert into public.a values (length(current_setting('request.jwt.claims', true)));
        insert into public.a values (public.n('app.flag'));
        select set_config('app.other', '5', true);
        insert into public.a values (10 + public.n('app.other'));
        begin;
        do $$ begin perform set_config('app.inner', '9', true); end $$;
        commit;
        insert into public.a values (20 + public.n('app.inner'));
    """,
    "temporary tables that end with their transaction": """
        create table public.a (id int);
        create temp table kept (id int) on commit delete rows;
        begin;
        create temp table staging (id int) on commit drop;
        insert into staging values (1);
        insert into kept values (5);
        insert into public.a select id from staging union all select id from kept;
        commit;
        begin;
        create temp table staging (id int) on commit drop;
        insert into staging values (2);
        insert into public.a select id from staging union all select count(*) from kept;
        commit;
    """,
    "concurrent index between statements": """
        create table public.a (id int);
        insert into public.a values (1);
        create index concurrently a_id_idx on public.a (id);
        create table public.b (id int);
    """,
}


def _folder(root: Path, sql: str, name: str = "case") -> Path:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"20250101000000_{name}.sql").write_text(textwrap.dedent(sql).lstrip())
    return folder


def _cli_push(cli: Path, root: Path, url: str) -> subprocess.CompletedProcess[str]:
    return supabase_push(cli, root, url)


def _state(url: str) -> dict[str, Any]:
    """What a migration left: public tables with their rows, indexes, history."""
    with connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        rows = {
            table: conn.execute(f"SELECT array_agg(id ORDER BY id) FROM public.{table}").fetchone()
            for table in tables
        }
        indexes = [
            row[0]
            for row in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        exists = conn.execute("SELECT to_regclass('supabase_migrations.schema_migrations')")
        history = []
        if exists.fetchone() != (None,):
            history = [
                (version, canonical_statements(list(statements or [])))
                for version, statements in conn.execute(
                    "SELECT version, statements FROM supabase_migrations.schema_migrations"
                )
            ]
    return {"tables": rows, "indexes": indexes, "history": history}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_file_the_cli_applies_applies_the_same(
    case: str, supabase_cli: Path, dbflow_databases: Any, tmp_path: Path
) -> None:
    cli_root, ours_root = tmp_path / "cli", tmp_path / "ours"
    with (
        dbflow_databases.clone(dbflow_databases.base_template) as cli_url,
        dbflow_databases.clone(dbflow_databases.base_template) as our_url,
    ):
        _folder(cli_root, CASES[case])
        pushed = _cli_push(supabase_cli, cli_root, cli_url)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        messages: list[str] = []
        migrate(our_url, _folder(ours_root, CASES[case]), RunOptions(), messages.append)
        assert _state(our_url) == _state(cli_url)


def test_where_the_cli_keeps_half_a_failed_file_dbflow_keeps_nothing(
    supabase_cli: Path, dbflow_databases: Any, tmp_path: Path
) -> None:
    sql = """
        create table public.a (id int);
        begin;
        insert into public.a values (1);
        commit;
        insert into public.nowhere values (1);
    """
    with (
        dbflow_databases.clone(dbflow_databases.base_template) as cli_url,
        dbflow_databases.clone(dbflow_databases.base_template) as our_url,
    ):
        _folder(tmp_path / "cli", sql)
        assert _cli_push(supabase_cli, tmp_path / "cli", cli_url).returncode != 0
        with pytest.raises(MigrationError, match=r"20250101000000_case.sql:5:13"):
            migrate(our_url, _folder(tmp_path / "ours", sql), RunOptions())
        assert _state(cli_url)["tables"] == {"a": ([1],)}  # the CLI kept the first part
        assert _state(our_url) == {"tables": {}, "indexes": [], "history": []}


def test_a_block_never_committed_is_applied_where_the_cli_loses_it(
    supabase_cli: Path, dbflow_databases: Any, tmp_path: Path
) -> None:
    sql = """
        create table public.a (id int);
        begin;
        create table public.b (id int);
    """
    with (
        dbflow_databases.clone(dbflow_databases.base_template) as cli_url,
        dbflow_databases.clone(dbflow_databases.base_template) as our_url,
    ):
        _folder(tmp_path / "cli", sql)
        pushed = _cli_push(supabase_cli, tmp_path / "cli", cli_url)
        assert pushed.returncode == 0  # the CLI says it applied the file ...
        assert _state(cli_url)["tables"] == {"a": (None,)}  # ... but lost the open block
        assert _state(cli_url)["history"] == []  # and its history row
        migrate(our_url, _folder(tmp_path / "ours", sql), RunOptions())
        ours = _state(our_url)
        assert ours["tables"] == {"a": (None,), "b": (None,)}
        assert [version for version, _ in ours["history"]] == ["20250101000000"]


def test_a_failure_after_a_concurrent_index_keeps_what_the_cli_keeps(
    supabase_cli: Path, dbflow_databases: Any, tmp_path: Path
) -> None:
    sql = """
        create table public.a (id int);
        create index concurrently a_id_idx on public.a (id);
        insert into public.nowhere values (1);
    """
    with (
        dbflow_databases.clone(dbflow_databases.base_template) as cli_url,
        dbflow_databases.clone(dbflow_databases.base_template) as our_url,
    ):
        _folder(tmp_path / "cli", sql)
        assert _cli_push(supabase_cli, tmp_path / "cli", cli_url).returncode != 0
        with pytest.raises(MigrationError) as error:
            migrate(our_url, _folder(tmp_path / "ours", sql), RunOptions())
        assert "is not all-or-nothing: its first 2 statement(s) stayed applied" in str(error.value)
        ours, theirs = _state(our_url), _state(cli_url)
        assert ours["tables"] == theirs["tables"] == {"a": (None,)}
        assert ours["indexes"] == theirs["indexes"] == ["a_id_idx"]
        assert ours["history"] == []


def test_the_plan_says_which_files_are_not_all_or_nothing(bare_db_url: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path, CASES["concurrent index between statements"])
    result = migrate(bare_db_url, folder, RunOptions(dry_run=True))
    (plan,) = result.planned
    assert plan.mode == (
        "3 parts: transaction, CREATE INDEX CONCURRENTLY, transaction; not all-or-nothing"
    )
    assert any(
        note.startswith("not all-or-nothing: CREATE INDEX CONCURRENTLY commits")
        for note in plan.notes
    )
    messages: list[str] = []
    migrate(bare_db_url, folder, RunOptions(), messages.append)
    assert any("warning: 20250101000000_case.sql: not all-or-nothing" in m for m in messages)


def test_chained_and_two_phase_commands_are_refused(bare_db_url: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path, "create table public.a (id int);\ncommit and chain;\n")
    with pytest.raises(MigrationError, match="commit and chain cannot run in a migration"):
        migrate(bare_db_url, folder, RunOptions())


def test_a_concurrent_index_inside_a_block_is_refused(bare_db_url: str, tmp_path: Path) -> None:
    sql = "create table public.a (id int);\nbegin;\ncreate index concurrently i on public.a (id);\n"
    with pytest.raises(MigrationError, match=r"cannot run inside the BEGIN; \.\.\. COMMIT; block"):
        migrate(bare_db_url, _folder(tmp_path, sql), RunOptions())
