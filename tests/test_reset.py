"""`db.reset` and `db.new` on real clusters: cold, warm, seeds, refusals, external databases."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbflow.config import Settings, load_settings
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.migrations.new import new_migration
from dbflow.places.local import local_engine, local_url, stop_local
from dbflow.testing.plugin import free_port, scratch_dir
from dbflow.workflows.reset import reset_local
from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project() -> Iterator[Path]:
    """A copy of the example app's supabase/ folder with its own engine and port."""
    root = scratch_dir("dbflow-reset-")
    shutil.copytree(REPO / "supabase", root / "supabase")
    (root / "pyproject.toml").write_text(f"[tool.dbflow]\nport = {free_port()}\n")
    try:
        yield root
    finally:
        stop_local(load_settings(root, environ={}))
        shutil.rmtree(root, ignore_errors=True)


def _settings(root: Path, **env: str) -> Settings:
    return load_settings(root, environ=env)


def _scalar(settings: Settings, query: str) -> object:
    with connect(local_engine(settings).url()) as conn:
        row = conn.execute(query).fetchone()
    return row[0] if row else None


def test_cold_then_warm_reset_and_rebuild_after_a_new_migration(project: Path) -> None:
    settings = _settings(project)
    messages: list[str] = []
    cold = reset_local(settings, notify=messages.append)
    assert not cold.warm
    assert any(m.startswith("built the migrations template: 5 migration(s)") for m in messages)
    assert _scalar(settings, "SELECT count(*) FROM supabase_migrations.schema_migrations") == 5
    assert _scalar(settings, "SELECT to_regclass('public.profiles') IS NOT NULL") is True

    with connect(local_engine(settings).url(), autocommit=True) as conn:
        conn.execute("CREATE TABLE public.scratch (id int)")
    warm = reset_local(settings, notify=messages.append)
    assert warm.warm
    assert _scalar(settings, "SELECT to_regclass('public.scratch')") is None
    assert _scalar(settings, "SELECT current_setting('app.settings.jwt_exp', true)") == "3600"

    new_migration(settings.migrations_dir, "add_notes", template="table", table="notes")
    messages.clear()
    rebuilt = reset_local(settings, notify=messages.append)
    assert not rebuilt.warm
    assert not any(m.startswith("built the bootstrap template") for m in messages)
    assert _scalar(settings, "SELECT to_regclass('public.notes') IS NOT NULL") is True
    templates = _scalar(
        settings,
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'dbflow\\_tpl\\_%'",
    )
    assert templates == 1


def test_seeds_run_after_migrations_and_a_failing_seed_writes_nothing(project: Path) -> None:
    (project / "supabase" / "seed.sql").write_text(
        "insert into public.skills (name) values ('sql');\n"
    )
    (project / "seeds" / "dev").mkdir(parents=True)
    (project / "seeds" / "dev" / "001_more.sql").write_text(
        "insert into public.skills (name) values ('python');\n"
    )
    settings = _settings(project)
    result = reset_local(settings, notify=lambda _: None)
    assert [path.name for path in result.seed_files] == ["seed.sql", "001_more.sql"]
    names = str(_scalar(settings, "SELECT string_agg(name, ',' ORDER BY name) FROM public.skills"))
    assert {"python", "sql"} <= set(names.split(","))  # hand-written, then generated around them
    assert _scalar(settings, "SELECT count(*) FROM public.skills") == 22
    assert _scalar(settings, "SELECT count(*) FROM supabase_migrations.seed_files") == 2

    (project / "seeds" / "dev" / "002_bad.sql").write_text(
        "insert into public.skills (name) values ('go');\ninsert into public.nowhere values (1);\n"
    )
    with pytest.raises(DbflowError) as error:
        reset_local(settings, notify=lambda _: None)
    assert '002_bad.sql:2:13: relation "public.nowhere" does not exist' in str(error.value)
    assert "no seed data was written" in str(error.value)
    assert _scalar(settings, "SELECT count(*) FROM public.skills") == 0


def test_reset_refuses_a_database_url_that_is_not_local(project: Path) -> None:
    url = "postgresql://postgres:pw-Not-Printed-9@db.example.test:5432/postgres"
    with pytest.raises(DbflowError) as error:
        reset_local(_settings(project, DATABASE_URL=url), notify=lambda _: None)
    message = str(error.value)
    assert "refusing to reset postgresql://postgres:***@db.example.test:5432/postgres" in message
    assert "pw-Not-Printed-9" not in message


def test_reset_of_a_local_database_url_drops_user_objects_and_replays(db_url: str) -> None:
    with connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.junk (id int)")
        conn.execute("CREATE SCHEMA reports")
        conn.execute(
            "INSERT INTO auth.users (id, email) VALUES (gen_random_uuid(), 'x@example.test')"
        )
    settings = load_settings(REPO, environ={"DATABASE_URL": db_url})
    result = reset_local(settings, notify=lambda _: None)
    assert not result.warm
    with connect(db_url) as conn:
        assert conn.execute("SELECT to_regclass('public.junk')").fetchone() == (None,)
        assert conn.execute("SELECT to_regnamespace('reports')").fetchone() == (None,)
        # reseeded: the 50 generated users (x@example.test is gone), one profile each
        assert conn.execute("SELECT count(*) FROM auth.users").fetchone() == (50,)
        assert conn.execute(
            "SELECT count(*) FROM auth.users WHERE email = 'x@example.test'"
        ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM public.profiles").fetchone() == (50,)
        policies = conn.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = 'objects'"
        ).fetchone()
        assert policies == (4,)
        history = conn.execute(
            "SELECT count(*) FROM supabase_migrations.schema_migrations"
        ).fetchone()
        assert history == (5,)


def test_new_migration_names_and_versions(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    path = new_migration(folder, "create_projects", template="table", now=moment)
    assert path.name == "20260102030405_create_projects.sql"
    text = path.read_text()
    assert text.startswith("-- Migration: create_projects\n-- Purpose:")
    assert "-- Date: 2026-01-02 03:04 UTC" in text
    for expected in (
        "create table if not exists public.projects",
        "alter table public.projects enable row level security;",
        "create index if not exists projects_user_id_idx",
        "create trigger projects_set_updated_at",
        "comment on table public.projects",
    ):
        assert expected in text
    column = new_migration(
        folder,
        "add_projects_budget",
        template="column",
        table="projects",
        column="budget",
        now=moment + dt.timedelta(seconds=1),
    )
    assert "add column if not exists budget" in column.read_text()
    with pytest.raises(DbflowError, match="already exists"):
        new_migration(folder, "again", now=moment)
    with pytest.raises(DbflowError, match="would be older than the newest migration"):
        new_migration(folder, "older", now=moment - dt.timedelta(days=1))
    for bad in ("Add Projects", "add-projects", "1st", ""):
        with pytest.raises(DbflowError, match="is not a plain identifier"):
            new_migration(folder, bad, now=moment + dt.timedelta(days=1))


def _admin(project: Path) -> str:
    return local_engine(_settings(project)).admin_url("template1")


def _postmaster_pid(project: Path) -> int:
    return int((local_engine(_settings(project)).pgdata / "postmaster.pid").read_text().split()[0])


def test_a_missing_main_database_is_named_by_status_and_recreated_by_start(
    project: Path,
) -> None:
    (project / "tasks.py").write_text("from dbflow.tasks import ns  # noqa: F401\n")
    assert run(project, INV, "db.reset", "--no-seed").returncode == 0
    with connect(_admin(project), autocommit=True) as conn:
        conn.execute("DROP DATABASE postgres WITH (FORCE)")
    status = run(project, INV, "db.status")
    assert_no_traceback(status)
    assert status.returncode == 1
    assert "server running (pid" in status.stdout
    assert "its database postgres is missing" in status.stdout
    started = run(project, INV, "db.start")
    assert started.returncode == 0, started.stderr
    assert "recovered: the database postgres was missing: created it again" in started.stdout
    assert run(project, INV, "db.status").returncode == 0
    applied = run(project, INV, "db.up")
    assert applied.returncode == 0, applied.stderr
    assert "applied 5 migration(s)" in applied.stdout


def test_a_server_crash_during_the_clone_is_recovered_by_the_next_reset(project: Path) -> None:
    (project / "tasks.py").write_text("from dbflow.tasks import ns  # noqa: F401\n")
    (project / "supabase" / "migrations" / "20250601000000_bulk.sql").write_text(
        "create table public.bulk as select g as id, repeat('x', 800) as filler\n"
        "from generate_series(1, 300000) as g;\n"
    )  # a template large enough that its clone takes a while
    cold = run(project, INV, "db.reset", "--no-seed")
    assert cold.returncode == 0, cold.stderr
    for attempt in range(2):
        reset = subprocess.Popen(
            [INV, "db.reset", "--no-seed"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with connect(_admin(project), autocommit=True) as conn:
            backend = _wait_for_active_query(conn, "CREATE DATABASE%TEMPLATE%")
        # A backend killed mid-statement is a server crash: PostgreSQL ends every session and
        # recovers, in the middle of the clone.
        os.kill(backend if attempt == 0 else _postmaster_pid(project), signal.SIGKILL)
        stdout, stderr = reset.communicate(timeout=120)
        assert "Traceback" not in stdout + stderr, stderr
        assert reset.returncode == 1, (attempt, stdout, stderr)
        status = run(project, INV, "db.status")
        assert_no_traceback(status)
        again = run(project, INV, "db.reset", "--no-seed")
        assert again.returncode == 0, again.stderr
        assert run(project, INV, "db.status").returncode == 0
        listed = run(project, INV, "db.list", "--json")
        assert {row["state"] for row in json.loads(listed.stdout)} == {"ok"}
        with connect(_admin(project), autocommit=True) as conn:
            names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
        assert not [name for name in names if name.startswith("postgres_dbflow")], names


def _wait_for_active_query(conn: psycopg.Connection[Any], pattern: str) -> int:
    """The backend pid of the first session seen running a query like ``pattern``."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query ILIKE %s "
            "AND pid <> pg_backend_pid()",
            (pattern,),
        ).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.005)
    raise AssertionError(f"no query like {pattern!r} ran")


def test_reset_to_a_version_stops_there() -> None:
    """`inv db.reset --to VERSION`: the migrations up to that version, the later ones
    pending; an unknown version is named before anything is dropped."""
    with project_dir("dbflow-reset-to-", app=True) as project:
        assert run(project, INV, "db.reset", "--no-seed").returncode == 0
        stopped = run(project, INV, "db.reset", "--no-seed", "--to", "20250101000100")
        assert_no_traceback(stopped)
        assert stopped.returncode == 0, stopped.stderr
        listed = run(project, INV, "db.list")
        assert "20250101000300" in listed.stdout and "pending" in listed.stdout
        url = local_url(load_settings(project, environ={}))
        with connect(url) as conn:
            tables = {
                r[0]
                for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            }
        assert "profiles" in tables and "skills" not in tables
        unknown = run(project, INV, "db.reset", "--to", "20991231000000")
        assert unknown.returncode == 1 and "--to 20991231000000: no migration" in unknown.stderr
        with connect(url) as conn:  # nothing was dropped
            assert conn.execute("SELECT to_regclass('public.profiles') IS NOT NULL").fetchone() == (
                True,
            )
