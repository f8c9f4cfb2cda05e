"""`dbflow db.*` / `inv db.*` as a user runs them, in a throwaway project directory."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dbflow.connection import connect
from tests.cli_helpers import DBFLOW, INV, posted_json, project_dir, run


@pytest.fixture
def project() -> Iterator[Path]:
    with project_dir() as root:
        yield root


def _run(
    cwd: Path, *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(cwd, *command, env=env)


def test_start_status_env_stop(project: Path) -> None:
    started = _run(project, DBFLOW, "db.start")
    assert started.returncode == 0, started.stderr
    assert "started PostgreSQL" in started.stdout
    assert "installed the Supabase bootstrap" in started.stdout
    assert (project / ".dbflow" / "engines" / "system-15" / "pgdata" / "PG_VERSION").is_file()

    again = _run(project, INV, "db.start")
    assert again.returncode == 0, again.stderr
    assert "is already up" in again.stdout

    status = _run(project, INV, "db.status")
    assert status.returncode == 0, status.stderr
    assert "bootstrap   installed (version 3, permissive mode)" in status.stdout
    assert "postgres:***@127.0.0.1" in status.stdout
    assert "postgres:postgres@" not in status.stdout
    standins = next(line for line in status.stdout.splitlines() if line.startswith("stand-ins"))
    for name in (
        "pg_cron",
        "pg_graphql",
        "pg_net",
        "pgjwt",
        "supabase_vault",
        "pgmq",
        "http",
        "pg_jsonschema",
        "pg_hashids",
        "pgsodium",
        "pg_tle",
        "wrappers",
    ):
        assert name in standins
    assert str(project / ".dbflow" / "engines" / "system-15" / "pgdata") in status.stdout

    env_line = _run(project, INV, "db.status", "--env")
    assert env_line.returncode == 0
    assert env_line.stdout.startswith("DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:")

    stopped = _run(project, INV, "db.stop")
    assert "stopped the local PostgreSQL" in stopped.stdout
    after = _run(project, INV, "db.status")
    assert after.returncode == 1
    assert "not running" in after.stdout


def test_database_url_takes_precedence_and_is_redacted(project: Path) -> None:
    url = "postgresql://postgres:Sup3r-Secret-pw@127.0.0.1:1/postgres"
    result = _run(project, INV, "db.start", env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "cannot connect to postgresql://postgres:***@127.0.0.1:1/postgres" in result.stderr
    assert "Sup3r-Secret-pw" not in result.stdout + result.stderr
    assert not (project / ".dbflow").exists()


def test_malformed_database_url_is_one_clear_line(project: Path) -> None:
    result = _run(project, INV, "db.status", env={"DATABASE_URL": "mysql://u:pw-secret-1@h/db"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: DATABASE_URL is not a valid PostgreSQL URL (it must start with postgresql://): "
        "set it to postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
    ]


def test_inv_list_shows_every_task_with_help(project: Path) -> None:
    listed = _run(project, INV, "--list")
    for name in ("db.start", "db.stop", "db.status"):
        assert name in listed.stdout


def test_reset_new_up_list_as_a_user_runs_them(project: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[1] / "supabase", project / "supabase")
    cold = _run(project, INV, "db.reset")
    assert cold.returncode == 0, cold.stderr
    assert "reset done in" in cold.stdout and "(cold: templates rebuilt)" in cold.stdout
    warm = _run(project, INV, "db.reset", "--no-seed")
    assert "(warm: cloned the cached template)" in warm.stdout
    assert "seeded" not in warm.stdout

    created = _run(project, INV, "db.new", "add_notes", "--template", "table")
    assert created.returncode == 0, created.stderr
    relative = created.stdout.strip()
    assert relative.startswith("supabase/migrations/") and relative.endswith("_add_notes.sql")
    version = Path(relative).name.split("_", 1)[0]

    dry = _run(project, INV, "db.up", "--dry-run")
    assert f"{version}_add_notes.sql (transaction)" in dry.stdout
    assert "create table if not exists public.notes" in dry.stdout
    assert "nothing was changed" in dry.stdout

    applied = _run(project, INV, "db.up")
    assert applied.returncode == 0, applied.stderr
    assert "applied 1 migration(s)" in applied.stdout
    listed = _run(project, INV, "db.list", "--json")
    rows = json.loads(listed.stdout)
    assert [row["state"] for row in rows] == ["ok"] * 6
    assert rows[-1]["version"] == version and rows[-1]["applied"] is True
    table = _run(project, INV, "db.list")
    assert f"{version}  add_notes" in table.stdout

    refused = _run(project, INV, "db.up", "--target", "production")
    assert refused.returncode == 1
    assert "refusing to apply migrations to production" in refused.stderr
    assert "inv db.push --target production" in refused.stderr


def test_seed_tasks_as_a_user_runs_them(project: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parents[1] / "supabase", project / "supabase")
    shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", project / "seeds")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text() + 'test_seed_paths = ["seeds/test/*.sql"]\n'
    )
    reset = _run(project, INV, "db.reset")
    assert reset.returncode == 0, reset.stderr
    assert "then 280 generated rows" in reset.stdout
    dry = _run(project, INV, "db.seed-dev", "--dry-run", "--rows", "skills=7")
    assert "public.skills: 7 rows" in dry.stdout and "nothing was written" in dry.stdout
    _run(project, INV, "db.reset", "--no-seed")
    seeded = _run(project, INV, "db.seed-test")
    assert seeded.returncode == 0, seeded.stderr
    assert "auth.users" in seeded.stdout and "seeds/test/001_test_data.sql" in seeded.stdout
    bad = _run(project, INV, "db.seed-dev", "--rows", "nope=3")
    assert bad.returncode == 1
    assert "--rows nope=3: no table 'nope' to seed" in bad.stderr
    remote = _run(project, INV, "db.seed-dev", "--target", "production")
    assert remote.returncode == 1 and "refusing to seed production" in remote.stderr
    (project / "supabase" / "migrations" / "20250301000000_discounts.sql").write_text(
        "create table public.discounts (id bigint primary key, percent int not null,"
        " constraint small check (percent < 5), constraint large check (percent > 50));\n"
    )
    assert _run(project, INV, "db.up").returncode == 0
    left_empty = _run(project, INV, "db.seed-dev")
    assert left_empty.returncode == 0, left_empty.stderr
    assert "warning: public.discounts left empty: CHECK small" in left_empty.stderr
    assert "contradicts CHECK large" in left_empty.stderr
    assert "--fixed discounts.COLUMN=VALUE" in left_empty.stderr
    assert ", 1 warning" in left_empty.stdout
    contradiction = _run(project, INV, "db.seed-dev", "--strict")
    assert contradiction.returncode == 1 and "Traceback" not in contradiction.stderr
    assert "public.discounts: CHECK small" in contradiction.stderr
    assert "contradicts CHECK large" in contradiction.stderr
    assert "--fixed discounts.COLUMN=VALUE" in contradiction.stderr
    empty = _run(project, INV, "db.seed-dev", "--rows", "discounts=0", "--strict")
    assert empty.returncode == 0, empty.stderr
    assert "warning" not in empty.stderr


def test_push_and_diff_as_a_user_runs_them(project: Path, dbflow_databases: Any) -> None:
    shutil.copytree(Path(__file__).resolve().parents[1] / "supabase", project / "supabase")
    with dbflow_databases.clone(dbflow_databases.base_template) as staging:
        env = {"STAGING_DATABASE_URL": staging}
        plan = _run(
            project, INV, "db.push", "--target", "staging", "--dry-run", "--report", "plan.md",
            env=env,
        )  # fmt: skip
        assert plan.returncode == 0, plan.stderr
        planned = (project / "plan.md").read_text()
        assert "5 migration(s) would be applied" in planned
        assert "`20250101000100_profiles.sql`" in planned
        with posted_json() as (hook, received):
            pushed = _run(
                project, INV, "db.push", "--target", "staging", "--report", "deploy.md",
                env={**env, "DEPLOY_WEBHOOK_URL": hook},
            )  # fmt: skip
        assert pushed.returncode == 0, pushed.stderr
        assert "pushed 5 migration(s) to staging" in pushed.stdout
        deployed = (project / "deploy.md").read_text()
        assert deployed.startswith("### Pushed 5 migration(s) to staging")
        assert "postgres:postgres@" not in deployed
        assert received and received[0]["text"].startswith("Pushed 5 migration(s) to staging")
        assert len(received[0]["migrations"]) == 5
        assert "postgres:postgres@" not in pushed.stdout + pushed.stderr
        same = _run(project, INV, "db.diff", "--to", "staging", env=env)
        assert same.returncode == 0, same.stdout + same.stderr
        (project / "supabase" / "migrations" / "20250301000000_bad.sql").write_text(
            "create table public.t (id bigint primary key);\n"
            "comment on table public.t is 'x';\n"
            "alter table public.t enable row level security;\n"
            "insert into public.t values ('not a number');\n"
        )
        failed = _run(project, INV, "db.push", "--target", "staging", env=env)
        assert failed.returncode == 1
        assert "invalid input syntax for type bigint" in failed.stderr
        (project / "supabase" / "migrations" / "20250301000000_bad.sql").unlink()
        with connect(staging, autocommit=True) as conn:
            conn.execute("ALTER TABLE public.skills ADD COLUMN by_hand int")
        drift = _run(project, INV, "db.diff", "--to", "staging", "--json", env=env)
        assert drift.returncode == 1, drift.stderr
        names = {d["name"] for d in json.loads(drift.stdout)["differences"]}
        assert names == {"public.skills.by_hand"}
        production = _run(project, INV, "db.push", "--target", "production", env=env)
        assert production.returncode == 1
        assert "PRODUCTION_DATABASE_URL is not set" in production.stderr
