"""`inv db.drift` as the weekly workflow runs it: two databases standing in for staging and
production, a local HTTP server standing in for the Slack webhook."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from dbflow.connection import connect
from tests.cli_helpers import INV, REPO, assert_no_traceback, posted_json, project_dir, run


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with posted_json() as hook:
        yield hook


def test_the_weekly_drift_check(
    dbflow_databases: Any, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    with project_dir("dbflow-drift-") as project:
        shutil.copytree(REPO / "supabase", project / "supabase")
        with (
            dbflow_databases.clone(dbflow_databases.app_template) as staging,
            dbflow_databases.clone(dbflow_databases.app_template) as production,
        ):
            env = {
                "STAGING_DATABASE_URL": staging,
                "PRODUCTION_DATABASE_URL": production,
                "DRIFT_WEBHOOK_URL": url,
            }
            same = run(project, INV, "db.drift", "--report", "clean", env=env, timeout=600)
            assert_no_traceback(same)
            assert same.returncode == 0, same.stdout + same.stderr
            assert received == []
            assert sorted(path.name for path in (project / "clean").iterdir()) == [
                "production-vs-migrations.json",
                "staging-vs-migrations.json",
                "staging-vs-production.json",
            ]

            with connect(production, autocommit=True) as conn:  # a hotfix made by hand
                conn.execute("alter table public.profiles add column nickname text")
            drifted = run(project, INV, "db.drift", "--report", "drift", env=env, timeout=600)
            assert_no_traceback(drifted)
            assert drifted.returncode == 1, drifted.stdout + drifted.stderr
            report = json.loads((project / "drift" / "production-vs-migrations.json").read_text())
            assert (
                report["drift"] and report["differences"][0]["name"] == "public.profiles.nickname"
            )
            assert not json.loads((project / "drift" / "staging-vs-migrations.json").read_text())[
                "drift"
            ]
            assert len(received) == 1
            text = received[0]["text"]
            assert "production differs from migrations" in text
            assert "staging differs from production" in text

            alone = run(
                project, INV, "db.drift", "--report", "alone",
                env={"STAGING_DATABASE_URL": staging}, timeout=600,
            )  # fmt: skip
            assert alone.returncode == 0, alone.stdout + alone.stderr
            assert "skipped production against migrations: PRODUCTION_DATABASE_URL is not set" in (
                alone.stdout
            )
