"""db.diff on real databases: drift found, reported, posted, and repaired by its own SQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dbflow.catalog.snapshot import take_snapshot
from dbflow.connection import connect
from dbflow.schema.diff.compare import DiffResult, compare_snapshots
from dbflow.schema.diff.migration import migration_sql
from dbflow.schema.diff.report import post_webhook, render_report
from tests.cli_helpers import posted_json


def _snapshot(url: str) -> Any:
    with connect(url, autocommit=True) as conn:
        return take_snapshot(conn)


def _diff(expected_url: str, actual_url: str) -> DiffResult:
    expected, actual = _snapshot(expected_url), _snapshot(actual_url)
    return DiffResult(
        "migrations", "production", compare_snapshots(expected, actual), expected, actual
    )


@pytest.fixture
def production(dbflow_databases: Any) -> Iterator[str]:
    with dbflow_databases.clone(dbflow_databases.app_template) as url:
        yield url


@pytest.fixture
def expected(dbflow_databases: Any) -> Iterator[str]:
    with dbflow_databases.clone(dbflow_databases.app_template) as url:
        yield url


def test_identical_databases_have_no_drift(expected: str, production: str) -> None:
    result = _diff(expected, production)
    assert not result.drifted
    assert render_report(result) == "no drift: production matches migrations"


def test_hand_made_changes_are_reported_and_the_sql_converges(
    expected: str, production: str
) -> None:
    with connect(production, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.skills ADD COLUMN added_by_hand int")
        conn.execute('DROP POLICY "profiles: admins read every profile" ON public.profiles')
        conn.execute("DROP INDEX public.memberships_user_id_idx")
        conn.execute("ALTER TABLE public.organizations DROP CONSTRAINT organizations_name_check")
        conn.execute(
            "CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql "
            "SET search_path = '' AS $$ begin return new; end $$"
        )
        conn.execute("ALTER TABLE public.skills DISABLE ROW LEVEL SECURITY")
        conn.execute("CREATE TABLE public.scratchpad (id int)")
    result = _diff(expected, production)
    found = {(d.kind, d.name, d.change) for d in result.differences}
    assert ("column", "public.skills.added_by_hand", "extra") in found
    assert ("policy", 'public.profiles."profiles: admins read every profile"', "missing") in found
    assert ("index", "public.memberships_user_id_idx", "missing") in found
    assert ("constraint", "public.organizations.organizations_name_check", "missing") in found
    assert ("function", "public.set_updated_at()", "changed") in found
    assert ("table", "public.skills", "changed") in found
    assert ("table", "public.scratchpad", "extra") in found
    report = render_report(result)
    assert "public.skills.added_by_hand: only in production" in report
    migration = migration_sql(result)
    assert migration.not_expressed == []
    assert "drop table public.scratchpad cascade" in migration.statements
    with connect(production, autocommit=True) as conn, conn.transaction():
        for statement in migration.statements:
            conn.execute(statement.encode())
    assert not _diff(expected, production).drifted


def test_webhook_posts_a_slack_compatible_summary(expected: str, production: str) -> None:
    with connect(production, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.skills ADD COLUMN drifted int")
    result = _diff(expected, production)
    with posted_json() as (hook, received):
        problem = post_webhook(hook, result)
    assert problem is None
    assert received[0]["text"] == "Schema drift: production differs from migrations (1 column)"
    assert received[0]["changes"] == ["column public.skills.drifted: extra"]
    unreachable = post_webhook("http://127.0.0.1:9/hook", result, timeout=2)
    assert unreachable is not None and "failed" in unreachable


def test_a_report_shows_where_a_long_definition_changed_and_no_none(
    expected: str, production: str
) -> None:
    body = "select " + " + ".join(str(n) for n in range(60))
    for url, last, rows in ((expected, "1", "true"), (production, "2", "false")):
        with connect(url, autocommit=True) as conn:
            conn.execute(
                "create function public.long_sum() returns int language sql "
                f"as $$ {body} + {last} $$"
            )
            conn.execute(
                f"create policy readers on public.skills for select to authenticated using ({rows})"
            )
    report = render_report(_diff(expected, production))
    lines = report.splitlines()
    mine = next(i for i, line in enumerate(lines) if "long_sum" in line)
    assert "+ 1" in lines[mine + 1] and "+ 2" in lines[mine + 2]  # the changed end shows
    policy = next(i for i, line in enumerate(lines) if "readers" in line)
    assert lines[policy + 1].endswith("using (true)") and "None" not in report
