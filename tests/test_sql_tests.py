"""`inv db.test`: the pgTAP tests in supabase/tests, on a fresh seeded copy per file locally and
inside a rolled-back transaction on staging. The example app's RLS tests pass; a policy made
too permissive fails them, by name; staging is left as it was; production is refused."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from dbflow.connection import connect
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run
from tests.conftest import require_extension


@pytest.fixture(autouse=True)
def _pgtap() -> None:
    require_extension("pgtap", "postgresql-15-pgtap")


def test_the_example_apps_rls_tests_pass_and_catch_a_permissive_policy() -> None:
    with project_dir("dbflow-sqltest-", app=True) as project:
        passed = run(project, INV, "db.test", timeout=600)
        assert_no_traceback(passed)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "3 file(s): 24 passed, 0 failed" in passed.stdout

        one = run(project, INV, "db.test", "--file", "supabase/tests/rls/profiles_test.sql",
                  "--no-seed", timeout=600)  # fmt: skip
        assert one.returncode == 0 and "1 file(s): 7 passed, 0 failed" in one.stdout, one.stdout

        (project / "supabase" / "migrations" / "20250101000500_loosen.sql").write_text(
            'drop policy "organizations: authenticated users create their own" '
            "on public.organizations;\n"
            'create policy "organizations: anyone creates" on public.organizations '
            "for insert to authenticated with check (true);\n"
        )
        failed = run(project, INV, "db.test", timeout=600)
        assert_no_traceback(failed)
        assert failed.returncode == 1
        assert (
            "not ok 6 - denied: a user cannot create an organization in another user's name"
            in failed.stdout
        )
        assert "supabase/tests/rls/organizations_test.sql: 8 passed, 1 failed (FAILED)" in (
            failed.stdout
        )
        assert "23 passed, 1 failed" in failed.stdout


def test_broken_test_files_are_named_by_file_and_line() -> None:
    with project_dir("dbflow-sqltest-", app=True) as project:
        folder = project / "supabase" / "tests"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "error_test.sql").write_text(
            "begin;\nselect plan(2);\nselect ok(true, 'first');\n"
            "select * from public.no_such_table;\nselect ok(true, 'second');\nrollback;\n"
        )
        (folder / "short_test.sql").write_text("select plan(3);\nselect ok(true, 'only one');\n")
        (folder / "syntax_test.sql").write_text("select plan(1);\nselec ok(true);\n")
        result = run(project, INV, "db.test", "--no-seed", timeout=600)
        assert_no_traceback(result)
        assert result.returncode == 1
        out = result.stdout
        assert (
            'error: supabase/tests/error_test.sql:4: relation "public.no_such_table" does ' in out
        )
        assert "planned 3 test(s), ran 1" in out
        assert 'error: supabase/tests/syntax_test.sql:2:1: syntax error at or near "selec"' in out
        missing = run(project, INV, "db.test", "--file", "supabase/tests/nothing.sql")
        assert missing.returncode == 1 and "no such test file" in missing.stderr


def test_staging_runs_rolled_back_and_production_is_refused(dbflow_databases: Any) -> None:
    with (
        project_dir("dbflow-sqltest-") as project,
        dbflow_databases.clone(dbflow_databases.app_template) as staging,
    ):
        shutil.copytree(REPO / "supabase", project / "supabase")
        env = {"STAGING_DATABASE_URL": staging, "PRODUCTION_DATABASE_URL": staging}
        result = run(project, INV, "db.test", "--target", "staging", env=env, timeout=600)
        assert_no_traceback(result)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "3 file(s) on staging (rolled back): 24 passed, 0 failed" in result.stdout
        with connect(staging, autocommit=True) as conn:  # nothing the tests made is left
            assert conn.execute("select count(*) from auth.users").fetchone() == (0,)
            assert (
                conn.execute("select 1 from pg_extension where extname = 'pgtap'").fetchone()
                is None
            )
            conn.execute('drop policy "skills: authenticated users add" on public.skills')
        drifted = run(project, INV, "db.test", "--target", "staging", env=env, timeout=600)
        assert drifted.returncode == 1
        assert "not ok 3 - allowed: a user adds a skill as themselves" in drifted.stdout

        refused = run(project, INV, "db.test", "--target", "production", env=env)
        assert refused.returncode == 1
        assert "refusing to run the SQL tests on production" in refused.stderr
