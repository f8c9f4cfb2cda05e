"""The nox sessions the README lists, run through the nox program on this project."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dbflow.testing.plugin import free_port, scratch_dir
from tests.cli_helpers import DBFLOW, REPO, assert_no_traceback, run

NOX = str(Path(sys.executable).with_name("nox"))


def test_nox_lists_every_session_the_readme_documents() -> None:
    listed = run(REPO, NOX, "--list")
    assert listed.returncode == 0, listed.stderr
    sessions = {line.split()[1] for line in listed.stdout.splitlines() if line[:2] in ("* ", "- ")}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = {name for name in sessions if f"`nox -s {name}`" in readme}
    assert {"tests", "lint", "typecheck", "workflows", "validate", "reset", "bench"} <= sessions
    assert documented == sessions


def test_nox_validate_and_reset_run_the_workflow_on_this_project() -> None:
    work = scratch_dir("dbflow-nox-")
    env = {"DBFLOW_DATA_DIR": str(work / "data"), "DBFLOW_PORT": str(free_port())}
    try:
        envs = str(work / "envs")
        result = run(REPO, NOX, "--envdir", envs, "-s", "validate", "reset", env=env, timeout=900)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert_no_traceback(result)
        assert "0 error(s)" in output
        assert "reset done" in output
    finally:
        run(REPO, DBFLOW, "db.stop", env=env)
        shutil.rmtree(work, ignore_errors=True)


def test_nox_bench_names_the_benchmarks_when_asked_for_one_that_does_not_exist() -> None:
    work = scratch_dir("dbflow-nox-bench-")
    try:
        result = run(REPO, NOX, "--envdir", str(work), "-s", "bench", "--", "nope", timeout=900)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "no benchmark 'nope': choose from validate, reset, seed, template_clone" in output
        assert_no_traceback(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
