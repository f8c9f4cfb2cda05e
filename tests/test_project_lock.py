"""One command at a time changes the local database: a second `db.reset`, a `db.up` or a
`db.seed-dev` started during a reset waits for it, or stops with one line naming it."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run


@pytest.fixture
def project() -> Iterator[Path]:
    with project_dir("dbflow-lock-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_slow.sql").write_text(
            "create schema private;\ncreate table private.items (id bigint primary key);\n"
            "select pg_sleep(4);\n"
        )
        assert run(root, INV, "db.start").returncode == 0
        yield root


def _slow_reset(root: Path) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    process = subprocess.Popen(
        [INV, "db.reset"], cwd=root, env=clean, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lock = next(root.glob(".dbflow")) / "project.lock"
    deadline = time.monotonic() + 30
    while not (lock.exists() and "db.reset" in lock.read_text()):
        assert time.monotonic() < deadline and process.poll() is None, "the reset never started"
        time.sleep(0.05)
    return process


def test_a_second_reset_stops_with_one_line_when_the_wait_runs_out(project: Path) -> None:
    first = _slow_reset(project)
    second = run(project, INV, "db.reset", env={"DBFLOW_LOCK_WAIT_SECONDS": "0.5"})
    assert_no_traceback(second)
    assert second.returncode == 1
    assert "another dbflow command (db.reset (pid" in second.stderr, second.stderr
    assert "connection failed" not in second.stderr and "duplicate key" not in second.stderr
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""


@pytest.mark.parametrize(
    "command", [("db.reset",), ("db.up",), ("db.seed-dev",)], ids=["reset", "up", "seed"]
)
def test_a_command_during_a_reset_waits_for_it(project: Path, command: tuple[str, ...]) -> None:
    first = _slow_reset(project)
    second = run(project, INV, *command, timeout=180)
    assert_no_traceback(second)
    assert second.returncode == 0, second.stderr
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
