"""Progress of long work: a live line on a terminal, nothing in CI or a pipe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import INV, project_dir, run, run_in_terminal


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    with project_dir("dbflow-progress-", app=True) as root:
        yield root


def test_validate_shows_each_file_on_a_terminal_and_nothing_in_a_pipe(project: Path) -> None:
    code, shown = run_in_terminal(project, INV, "db.validate")
    assert code == 0, shown
    assert re.search(r"validating [1-5]/5: supabase/migrations/\d+_\w+\.sql", shown)
    assert "0 error(s), 0 warning(s)" in shown
    piped = run(project, INV, "db.validate", env={"DBFLOW_DATA_DIR": str(project / "other")})
    assert piped.returncode == 0, piped.stderr
    assert "validating" not in piped.stdout + piped.stderr


def test_reset_and_seed_show_progress_on_a_terminal_and_stay_quiet_in_ci(project: Path) -> None:
    code, shown = run_in_terminal(project, INV, "db.reset")
    assert code == 0, shown
    assert "resetting the local database" in shown  # the live line, redrawn as work goes
    assert "built the migrations template" in shown and "\x1b[2K" in shown
    assert "reset done" in shown
    code, shown = run_in_terminal(project, INV, "db.seed-dev", "--users", "20")
    assert code == 0, shown
    assert re.search(r"public\.profiles +\S*━+\S* +\S*100%", shown)  # a bar per table
    quiet = run(project, INV, "db.seed-dev", "--users", "20", env={"CI": "true"})
    assert quiet.returncode == 0, quiet.stderr
    assert "\x1b[" not in quiet.stdout + quiet.stderr and "━" not in quiet.stdout
