"""Every push is on the record: `inv db.push` opens its row in the target's
``supabase_migrations.dbflow_pushes`` before the first migration and adds each one as it
applies, so a push that fails, is interrupted or is killed still says who applied what,
and a push that finds nothing left to apply writes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dbflow.connection import connect
from tests.cli_helpers import INV, assert_no_traceback, ctrl_c_reaches_it, project_dir, run

FILES = {  # tables in a schema the API does not expose: the validator passes them
    "20250101000000_first.sql": "create schema private;\n"
    "create table private.first (id bigint primary key);\n",
    "20250102000000_slow.sql": "select pg_sleep(__SLEEP__);\n"
    "create table private.second (id bigint primary key);\n",
    "20250103000000_third.sql": "create table private.third (id bigint primary key);\n",
}


@pytest.fixture
def project(dbflow_databases: Any) -> Iterator[tuple[Path, dict[str, str]]]:
    with (
        project_dir("dbflow-push-record-") as root,
        dbflow_databases.clone(dbflow_databases.base_template) as staging,
    ):
        (root / "supabase" / "migrations").mkdir(parents=True)
        yield root, {"STAGING_DATABASE_URL": staging}


def write(root: Path, sleep: float = 0, *, broken: bool = False) -> None:
    for name, text in FILES.items():
        text = text.replace("__SLEEP__", str(sleep))
        if broken and "slow" in name:
            text = "select 1 / 0;\n"  # fails when it runs, not when it is read
        (root / "supabase" / "migrations" / name).write_text(text)


def records(url: str) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        found = conn.execute(
            "SELECT to_regclass('supabase_migrations.dbflow_pushes') IS NOT NULL"
        ).fetchone()
        if not found or not found[0]:
            return []
        return conn.execute(
            "SELECT status, versions, planned, pushed_by <> '', error "
            "FROM supabase_migrations.dbflow_pushes ORDER BY id"
        ).fetchall()


def history(url: str) -> list[str]:
    with connect(url) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT version FROM supabase_migrations.schema_migrations ORDER BY 1"
            )
        ]


ALL = ["20250101000000", "20250102000000", "20250103000000"]


def test_a_completed_push_is_recorded(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    write(root)
    result = run(root, INV, "db.push", "--target", "staging", env=env)
    assert result.returncode == 0, result.stderr
    assert records(env["STAGING_DATABASE_URL"]) == [("completed", ALL, ALL, True, None)]
    again = run(root, INV, "db.push", "--target", "staging", env=env)
    assert again.returncode == 0, again.stderr
    assert len(records(env["STAGING_DATABASE_URL"])) == 1  # nothing to apply: no empty record


def test_a_failed_push_records_what_it_applied(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    write(root, broken=True)
    result = run(root, INV, "db.push", "--target", "staging", env=env)
    assert_no_traceback(result)
    assert result.returncode == 1
    ((status, versions, planned, by, error),) = records(env["STAGING_DATABASE_URL"])
    assert (status, versions, planned, by) == ("failed", ALL[:1], ALL, True)
    assert "20250102000000_slow.sql" in error
    assert history(env["STAGING_DATABASE_URL"]) == ALL[:1]


def _push_until_slow(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """A push started in the background, once it sleeps inside the second migration."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    process = subprocess.Popen(
        [INV, "db.push", "--target", "staging"],
        cwd=root,
        env={**clean, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_reaches_it,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with connect(env["STAGING_DATABASE_URL"], autocommit=True) as conn:
            sleeping = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'select pg_sleep%'"
            ).fetchone()
        if sleeping and sleeping[0]:
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the push never reached its second migration")


def test_a_killed_push_is_on_the_record(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    write(root, sleep=30)
    process = _push_until_slow(root, env)
    process.kill()  # SIGKILL: nothing runs after it
    process.wait(timeout=30)
    url = env["STAGING_DATABASE_URL"]
    deadline = time.monotonic() + 30
    while history(url) != ALL[:1] or _busy(url):
        assert time.monotonic() < deadline, "the killed push's session never ended"
        time.sleep(0.2)
    assert records(url) == [("running", ALL[:1], ALL, True, None)]


def test_an_interrupted_push_is_on_the_record(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    write(root, sleep=30)
    process = _push_until_slow(root, env)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    assert "Traceback" not in process.stderr.read() if process.stderr else True
    ((status, versions, planned, _, _),) = records(env["STAGING_DATABASE_URL"])
    assert (status, versions, planned) == ("interrupted", ALL[:1], ALL)
    assert history(env["STAGING_DATABASE_URL"]) == ALL[:1]


def test_two_pushes_at_once_write_one_record(project: tuple[Path, dict[str, str]]) -> None:
    root, env = project
    write(root, sleep=2)
    first = _push_until_slow(root, env)
    second = run(root, INV, "db.push", "--target", "staging", env=env, timeout=120)
    assert_no_traceback(second)
    assert first.wait(timeout=120) == 0
    assert second.returncode == 0, second.stderr
    assert records(env["STAGING_DATABASE_URL"]) == [("completed", ALL, ALL, True, None)]


def _busy(url: str) -> bool:
    with connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'select pg_sleep%'"
        ).fetchone()
    return bool(found and found[0])
