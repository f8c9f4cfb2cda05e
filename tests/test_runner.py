"""The migration runner on a real server: bad input never leaves half a migration behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest

from dbflow.connection import connect
from dbflow.migrations.lock import ADVISORY_LOCK_KEY
from dbflow.migrations.plan import MigrationError
from dbflow.migrations.repair import repair
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.migrations.status import migration_rows
from dbflow.sql.statements import SqlSyntaxError

V1, V2, V3 = "20250201000000", "20250201000100", "20250201000200"


def write(folder: Path, version: str, name: str, sql: str) -> Path:
    path = folder / f"{version}_{name}.sql"
    path.write_text(textwrap.dedent(sql).lstrip())
    return path


def applied_versions(url: str) -> list[str]:
    with connect(url) as conn:
        exists = conn.execute(
            "SELECT to_regclass('supabase_migrations.schema_migrations')"
        ).fetchone()
        if exists == (None,):
            return []
        return [
            row[0]
            for row in conn.execute(
                "SELECT version FROM supabase_migrations.schema_migrations ORDER BY 1"
            )
        ]


def table_exists(url: str, name: str) -> bool:
    with connect(url) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "migrations"
    path.mkdir()
    return path


def test_applies_in_order_with_supabase_compatible_history(bare_db_url: str, folder: Path) -> None:
    write(
        folder,
        V1,
        "a",
        "create table public.a (id int primary key);\ninsert into public.a values (1);",
    )
    write(folder, V2, "b", "create table public.b (id int references public.a (id));")
    result = migrate(bare_db_url, folder, RunOptions())
    assert [item.version for item in result.applied] == [V1, V2]
    with connect(bare_db_url) as conn:
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'supabase_migrations' AND table_name = 'schema_migrations' "
            "ORDER BY ordinal_position"
        ).fetchall()
        assert columns == [("version", "text"), ("statements", "ARRAY"), ("name", "text")]
        row = conn.execute(
            "SELECT name, statements FROM supabase_migrations.schema_migrations WHERE version = %s",
            (V1,),
        ).fetchone()
        assert row == (
            "a",
            ["create table public.a (id int primary key)", "insert into public.a values (1)"],
        )
    assert migrate(bare_db_url, folder, RunOptions()).applied == ()


def test_syntax_error_applies_nothing(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "ok", "create table public.ok (id int);")
    write(folder, V2, "broken", "create table public.x (id int);\n\ncreate tabel public.y ();\n")
    with pytest.raises(SqlSyntaxError) as error:
        migrate(bare_db_url, folder, RunOptions())
    assert f'{V2}_broken.sql:3:8: syntax error at or near "tabel"' in str(error.value)
    assert not table_exists(bare_db_url, "public.ok")
    assert applied_versions(bare_db_url) == []


def test_runtime_error_in_third_statement_rolls_back_that_file_only(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "first", "create table public.first (id int);")
    write(
        folder,
        V2,
        "second",
        """
        create table public.second_a (id int);
        create table public.second_b (id int);
        insert into public.second_a
            select id from public.nowhere;
        """,
    )
    with pytest.raises(MigrationError) as error:
        migrate(bare_db_url, folder, RunOptions())
    message = str(error.value)
    assert f'{V2}_second.sql:4:20: relation "public.nowhere" does not exist' in message
    assert f"nothing from {V2}_second.sql was kept" in message
    assert "1 earlier migration(s) of this run were applied and kept" in message
    assert table_exists(bare_db_url, "public.first")
    assert not table_exists(bare_db_url, "public.second_a")
    assert applied_versions(bare_db_url) == [V1]


def test_server_detail_and_hint_are_shown(bare_db_url: str, folder: Path) -> None:
    write(
        folder,
        V1,
        "dup",
        "create table public.u (id int unique);\ninsert into public.u values (1), (1);",
    )
    with pytest.raises(MigrationError) as error:
        migrate(bare_db_url, folder, RunOptions())
    assert error.value.detail is not None
    assert "Key (id)=(1) already exists." in error.value.detail


def test_kill_9_mid_migration_leaves_nothing_half_applied(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "slow", "create table public.slow (id int);\nselect pg_sleep(2);")
    _kill_runner_mid_statement(bare_db_url, folder)
    assert applied_versions(bare_db_url) == []
    messages: list[str] = []
    result = migrate(bare_db_url, folder, RunOptions(lock_wait_seconds=30), messages.append)
    assert [item.version for item in result.applied] == [V1]
    assert table_exists(bare_db_url, "public.slow")
    assert applied_versions(bare_db_url) == [V1]


def test_second_runner_waits_then_fails_cleanly(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "a", "create table public.a (id int);")
    with connect(bare_db_url, autocommit=True) as holder:
        holder.execute("SET application_name = 'other-runner'")
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        messages: list[str] = []
        started = time.monotonic()
        with pytest.raises(MigrationError) as error:
            migrate(bare_db_url, folder, RunOptions(lock_wait_seconds=0.6), messages.append)
        assert time.monotonic() - started >= 0.6
    assert "another migration runner still holds the lock after 0.6 s" in str(error.value)
    assert "other-runner" in str(error.value)
    assert any(message.startswith("waiting for another migration runner") for message in messages)
    assert applied_versions(bare_db_url) == []


def test_a_killed_runner_mid_statement_does_not_keep_the_lock(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "slow", "create table public.slow (id int);\nselect pg_sleep(60);")
    _kill_runner_mid_statement(bare_db_url, folder)
    # The server notices the vanished client during pg_sleep and ends the session.
    deadline = time.monotonic() + 10
    with connect(bare_db_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'dbflow %%'"
            ).fetchone()
            if row == (0,):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the dead runner's session was still running after 10 s")
    assert applied_versions(bare_db_url) == []


def test_a_runner_ends_the_session_of_a_lock_holder_whose_process_is_gone(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "a", "create table public.a (id int);")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer exists
    with connect(bare_db_url, autocommit=True) as holder:
        holder.execute(
            "SELECT set_config('application_name', %s, false)",
            (f"dbflow {socket.gethostname()}:{gone.pid}",),
        )
        holder.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        messages: list[str] = []
        started = time.monotonic()
        result = migrate(bare_db_url, folder, RunOptions(lock_wait_seconds=30), messages.append)
        assert time.monotonic() - started < 10
        with pytest.raises(psycopg.OperationalError):  # its session was ended
            holder.execute("SELECT 1")
    assert [item.version for item in result.applied] == [V1]
    assert any(f"dbflow {socket.gethostname()}:{gone.pid}) is gone" in m for m in messages)


def test_two_runners_at_once_apply_each_file_once(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "a", "create table public.a (id int);\nselect pg_sleep(0.5);")
    write(folder, V2, "b", "create table public.b (id int);")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(bare_db_url, folder, RunOptions(lock_wait_seconds=30))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert applied_versions(bare_db_url) == [V1, V2]


def test_edited_applied_migration_is_refused_with_a_diff(bare_db_url: str, folder: Path) -> None:
    path = write(folder, V1, "a", "create table public.a (id int);\n")
    migrate(bare_db_url, folder, RunOptions())
    path.write_text("-- a comment is harmless\ncreate table public.a (\n    id int\n);\n")
    assert migrate(bare_db_url, folder, RunOptions()).applied == ()
    path.write_text("create table public.a (id bigint);\n")
    write(folder, V2, "b", "create table public.b (id int);")
    with pytest.raises(MigrationError) as error:
        migrate(bare_db_url, folder, RunOptions())
    assert f"applied migration {path} was changed after it was applied" in str(error.value)
    detail = error.value.detail or ""
    assert "-create table public.a (id int);" in detail
    assert "+create table public.a (id bigint);" in detail
    assert applied_versions(bare_db_url) == [V1]
    rows = {row.version: row.state for row in migration_rows(bare_db_url, folder)}
    assert rows == {V1: "changed", V2: "pending"}


def test_migration_missing_locally_is_refused_until_repaired(
    bare_db_url: str, folder: Path
) -> None:
    path = write(folder, V1, "a", "create table public.a (id int);")
    migrate(bare_db_url, folder, RunOptions())
    path.unlink()
    write(folder, V2, "b", "create table public.b (id int);")
    with pytest.raises(MigrationError) as error:
        migrate(bare_db_url, folder, RunOptions())
    assert f"not in the migrations folder: {V1}" in str(error.value)
    assert f"inv db.repair {V1} --status reverted" in str(error.value)
    assert "reverted" in repair(bare_db_url, folder, V1, "reverted")
    assert [item.version for item in migrate(bare_db_url, folder, RunOptions()).applied] == [V2]


def test_repair_applied_records_without_running(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "a", "create table public.a (id int);")
    assert "marked" in repair(bare_db_url, folder, V1, "applied")
    assert applied_versions(bare_db_url) == [V1]
    assert not table_exists(bare_db_url, "public.a")
    assert migration_rows(bare_db_url, folder)[0].state == "ok"


def test_out_of_order_is_refused_unless_allowed(bare_db_url: str, folder: Path) -> None:
    write(folder, V2, "b", "create table public.b (id int);")
    migrate(bare_db_url, folder, RunOptions())
    write(folder, V1, "late", "create table public.late (id int);")
    with pytest.raises(MigrationError, match="older than the newest applied one"):
        migrate(bare_db_url, folder, RunOptions())
    result = migrate(bare_db_url, folder, RunOptions(allow_out_of_order=True))
    assert [item.version for item in result.applied] == [V1]


def test_other_sql_files_are_skipped_with_a_warning(bare_db_url: str, folder: Path) -> None:
    (folder / "notes.sql").write_text("drop table everything;")
    (folder / "README.md").write_text("not sql")
    write(folder, V1, "a", "create table public.a (id int);")
    messages: list[str] = []
    migrate(bare_db_url, folder, RunOptions(), messages.append)
    assert any("notes.sql does not match <version>_<name>.sql" in m for m in messages)
    assert not any("README.md" in m for m in messages)


def test_empty_file_is_recorded(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "empty", "-- nothing yet\n")
    result = migrate(bare_db_url, folder, RunOptions())
    assert [item.version for item in result.applied] == [V1]


def test_own_begin_commit_is_honoured_and_inner_commit_folded(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "wrapped", "begin;\ncreate table public.w (id int);\ncommit;\n")
    result = migrate(bare_db_url, folder, RunOptions())
    assert result.planned[0].notes == (
        "its own BEGIN/COMMIT is honoured: the file runs as one transaction",
    )
    write(
        folder,
        V2,
        "split",
        "create table public.s1 (id int);\ncommit;\ncreate table public.s2 (id int);\n",
    )
    result = migrate(bare_db_url, folder, RunOptions())
    assert result.planned[0].mode == "transaction"
    assert "run inside the file's transaction, as savepoints" in result.planned[0].notes[0]
    assert table_exists(bare_db_url, "public.s1") and table_exists(bare_db_url, "public.s2")


def test_concurrently_alone_runs_outside_a_transaction_and_mixed_runs_in_parts(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "t", "create table public.t (id int);")
    write(folder, V2, "t_idx", "create index concurrently t_id_idx on public.t (id);")
    result = migrate(bare_db_url, folder, RunOptions())
    assert result.planned[1].mode == "no transaction (CREATE INDEX CONCURRENTLY)"
    with connect(bare_db_url) as conn:
        valid = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_id_idx'::regclass"
        ).fetchone()
    assert valid == (True,)
    write(
        folder,
        V3,
        "mixed",
        "create table public.m (id int);\ncreate index concurrently m_idx on public.m (id);\n",
    )
    result = migrate(bare_db_url, folder, RunOptions())
    assert result.planned[0].mode == (
        "2 parts: transaction, CREATE INDEX CONCURRENTLY; not all-or-nothing"
    )
    assert _index_state(bare_db_url, "public.m_idx") is True
    assert applied_versions(bare_db_url) == [V1, V2, V3]


def _index_state(url: str, name: str) -> bool | None:
    with connect(url) as conn:
        row = conn.execute(
            "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", (name,)
        ).fetchone()
    return None if row is None else bool(row[0])


def test_an_index_built_before_its_history_row_is_recorded_not_rebuilt(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "t", "create table public.t (a int, b int);")
    migrate(bare_db_url, folder, RunOptions())
    write(folder, V2, "t_a_idx", "create index concurrently t_a_idx on t (a);")
    with connect(bare_db_url, autocommit=True) as conn:  # what the interrupted run left
        conn.execute("CREATE INDEX CONCURRENTLY t_a_idx ON public.t (a)")
    messages: list[str] = []
    result = migrate(bare_db_url, folder, RunOptions(), messages.append)
    assert [item.version for item in result.applied] == [V2]
    assert any("t_a_idx already exists, valid and as" in m for m in messages)
    assert [row.state for row in migration_rows(bare_db_url, folder)] == ["ok", "ok"]


def test_a_valid_index_with_another_definition_is_named_with_both(
    bare_db_url: str, folder: Path
) -> None:
    write(folder, V1, "t", "create table public.t (a int, b int);")
    migrate(bare_db_url, folder, RunOptions())
    write(folder, V2, "t_a_idx", "create index concurrently if not exists t_a_idx on t (a);")
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute("CREATE INDEX t_a_idx ON public.t (b)")
    with pytest.raises(MigrationError) as error:
        migrate(bare_db_url, folder, RunOptions())
    assert "index public.t_a_idx already exists with another definition" in str(error.value)
    assert "in the database: CREATE INDEX t_a_idx ON public.t USING btree (b)" in str(error.value)
    assert f"inv db.repair {V2} --status applied" in str(error.value)
    assert applied_versions(bare_db_url) == [V1]


@pytest.mark.parametrize("if_not_exists", ["", "if not exists "])
def test_an_invalid_index_left_by_a_failed_build_is_dropped_and_built_again(
    bare_db_url: str, folder: Path, if_not_exists: str
) -> None:
    write(folder, V1, "t", "create table public.t (a int);\ninsert into public.t values (1), (1);")
    migrate(bare_db_url, folder, RunOptions())
    write(
        folder, V2, "t_a_key", f"create unique index concurrently {if_not_exists}t_a_key on t (a);"
    )
    with pytest.raises(MigrationError) as error:
        migrate(bare_db_url, folder, RunOptions())
    assert "could not create unique index" in str(error.value)
    assert "it left the INVALID index public.t_a_key: the next inv db.up drops it" in str(
        error.value
    )
    assert _index_state(bare_db_url, "public.t_a_key") is False
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute("DELETE FROM public.t WHERE ctid <> (SELECT min(ctid) FROM public.t)")
    messages: list[str] = []
    migrate(bare_db_url, folder, RunOptions(), messages.append)
    assert any(
        "public.t_a_key is an INVALID index left by an interrupted build" in m for m in messages
    )
    assert _index_state(bare_db_url, "public.t_a_key") is True
    assert applied_versions(bare_db_url) == [V1, V2]


def test_dry_run_changes_nothing(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "a", "create table public.a (id int);")
    result = migrate(bare_db_url, folder, RunOptions(dry_run=True))
    assert result.dry_run and [plan.mode for plan in result.planned] == ["transaction"]
    assert not table_exists(bare_db_url, "public.a")
    assert not table_exists(bare_db_url, "supabase_migrations.schema_migrations")


def test_timeouts_default_and_directive_override(bare_db_url: str, folder: Path) -> None:
    check = """
        do $$ begin
            if current_setting('lock_timeout') <> '{lock}'
               or current_setting('statement_timeout') <> '{stmt}' then
                raise exception 'got % and %',
                    current_setting('lock_timeout'), current_setting('statement_timeout');
            end if;
        end $$;
    """
    write(folder, V1, "defaults", check.format(lock="3s", stmt="1min"))
    write(
        folder,
        V2,
        "override",
        "-- dbflow: lock_timeout=250ms\n" + check.format(lock="250ms", stmt="1min"),
    )
    options = RunOptions(lock_timeout="3s", statement_timeout="1min")
    assert len(migrate(bare_db_url, folder, options).applied) == 2


def test_history_written_by_the_supabase_cli_is_understood(bare_db_url: str, folder: Path) -> None:
    write(folder, V1, "a", "create table public.a (id int);")
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute(
            "CREATE SCHEMA supabase_migrations; CREATE TABLE supabase_migrations.schema_migrations "
            "(version text NOT NULL PRIMARY KEY, statements text[], name text);"
            "CREATE TABLE public.a (id int);"
        )
        conn.execute(
            "INSERT INTO supabase_migrations.schema_migrations VALUES (%s, %s, 'a')",
            (V1, ["create table public.a (id int);"]),
        )
    rows = migration_rows(bare_db_url, folder)
    assert [(row.version, row.state) for row in rows] == [(V1, "ok")]
    assert migrate(bare_db_url, folder, RunOptions()).applied == ()


def _kill_runner_mid_statement(url: str, folder: Path) -> None:
    """Start a runner in another process and kill -9 it during the file's second statement."""
    code = (
        "import sys; from pathlib import Path; "
        "from dbflow.migrations.runner import RunOptions, migrate; "
        "migrate(sys.argv[1], Path(sys.argv[2]), RunOptions())"
    )
    runner = subprocess.Popen([sys.executable, "-c", code, url, str(folder)])
    _wait_for_table_in_flight(url)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()


def _wait_for_table_in_flight(url: str) -> None:
    """Until the runner's first statement ran (its transaction is open, pg_sleep going)."""
    deadline = time.monotonic() + 15
    with connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'dbflow %%' "
                "AND query LIKE 'select pg_sleep%%'"
            ).fetchone()
            if busy and busy[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the runner never reached its second statement")
