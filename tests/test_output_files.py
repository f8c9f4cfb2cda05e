"""Output flags: a folder (or a path under a file) is refused in one line before any work,
and every file is written whole or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run


@pytest.fixture(scope="module")
def project(dbflow_databases: Any) -> Iterator[tuple[Path, dict[str, str]]]:
    with (
        project_dir("dbflow-outputs-", app=True) as root,
        dbflow_databases.clone(dbflow_databases.base_template) as staging,
    ):
        assert run(root, INV, "db.reset", "--no-seed").returncode == 0
        (root / "folder").mkdir()
        (root / "a-file").write_text("not a folder\n")
        yield root, {"STAGING_DATABASE_URL": staging}


FLAGS = [
    ("db.types", "--output"),
    ("db.diff", "--sql"),
    ("db.seed-dev", "--sql"),
    ("db.advisors", "--output"),
    ("db.dump", "--file"),
    ("db.down", "--output"),
    ("db.validate", "--write-baseline"),
    ("db.trace", "--output"),
    ("db.push", "--target", "staging", "--report"),
]


@pytest.mark.parametrize("command", FLAGS, ids=[" ".join(command) for command in FLAGS])
@pytest.mark.parametrize("where", ["folder", "a-file/out.txt"])
def test_an_output_that_cannot_be_a_file_is_refused_first(
    project: tuple[Path, dict[str, str]], command: tuple[str, ...], where: str
) -> None:
    root, env = project
    result = run(root, INV, *command, str(root / where), env=env, timeout=300)
    assert_no_traceback(result)
    assert result.returncode == 2, result.stdout[-1000:] + result.stderr[-1000:]
    assert command[-1] in result.stderr and str(root / where) in result.stderr
    if command[0] == "db.push":  # refused before anything was pushed
        listed = run(root, INV, "db.list", "--target", "staging", "--json", env=env)
        assert '"pending"' in listed.stdout and '"ok"' not in listed.stdout, listed.stdout


def test_a_killed_export_leaves_no_cut_file(project: tuple[Path, dict[str, str]]) -> None:
    root, _ = project
    target = root / "seed.sql"
    clean = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    process = subprocess.Popen(
        [INV, "db.seed-dev", "--users", "5", "--rows", "skills=400000", "--sql", str(target)],
        cwd=root,
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not list(root.glob(".seed.sql.*.partial")):
        assert time.monotonic() < deadline and process.poll() is None, "no partial file seen"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not target.exists()
    for partial in root.glob(".seed.sql.*.partial"):
        partial.unlink()
    finished = run(root, INV, "db.seed-dev", "--users", "5", "--sql", str(target))
    assert finished.returncode == 0, finished.stderr
    assert target.read_text().rstrip().endswith(";")
