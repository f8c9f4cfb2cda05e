"""The README's test command on a plain machine: the tests that need an optional package
(pgTAP, plpgsql_check) skip with the package's name where the PostgreSQL installation lacks
it, instead of failing.

This machine has them all (`.ci/run` installs them), so the test builds an installation
without them: a mirror of the system PostgreSQL's layout whose extension folder and library
folder leave out pgTAP's and plpgsql_check's files, found first through a `pg_config` on
PATH, as a machine's own would be. The tests that use those packages then run against it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dbflow.engine.binaries import find_system
from dbflow.errors import DbflowError
from dbflow.testing.plugin import scratch_dir
from tests.cli_helpers import REPO

HIDDEN = ("pgtap", "plpgsql_check")
# The tests that use the packages: they must pass or skip naming the package.
USERS = (
    "tests/test_sql_tests.py",
    "tests/test_function_lint.py",
    "tests/test_gate.py::test_every_action_does_what_its_cell_says",
)


def _mirror(real: Path, mirror: Path, hidden: tuple[str, ...]) -> None:
    mirror.mkdir(parents=True, exist_ok=True)
    for entry in real.iterdir():
        if not entry.name.startswith(hidden):
            (mirror / entry.name).symlink_to(entry)


def _installation_without(root: Path, hidden: tuple[str, ...]) -> Path:
    """A PostgreSQL installation without ``hidden``'s files; returns a folder for PATH that
    holds its pg_config."""
    try:
        real = find_system()
    except DbflowError:
        pytest.skip("no system PostgreSQL to mirror")
    common = Path(os.path.commonpath([real.bin_dir, real.share_dir, real.pkglib_dir]))
    bin_dir = root / real.bin_dir.relative_to(common)
    share_dir = root / real.share_dir.relative_to(common)
    lib_dir = root / real.pkglib_dir.relative_to(common)
    _mirror(real.bin_dir, bin_dir, ("pg_config",))
    share_dir.mkdir(parents=True)
    for entry in real.share_dir.iterdir():
        if entry.name != "extension":
            (share_dir / entry.name).symlink_to(entry)
    _mirror(real.share_dir / "extension", share_dir / "extension", hidden)
    _mirror(real.pkglib_dir, lib_dir, hidden)
    script = (
        "#!/bin/sh\n"
        f'case "$1" in\n  --bindir) echo {bin_dir};;\n  --sharedir) echo {share_dir};;\n'
        f'  --pkglibdir) echo {lib_dir};;\n  *) exec {real.bin_dir / "pg_config"} "$@";;\nesac\n'
    )
    for folder in (bin_dir, root / "path"):
        folder.mkdir(exist_ok=True)
        (folder / "pg_config").write_text(script)
        (folder / "pg_config").chmod(0o755)
    return root / "path"


def test_tests_needing_pgtap_or_plpgsql_check_skip_without_them() -> None:
    root = scratch_dir("dbflow-plain-")  # the server account must reach the binaries
    try:
        _run_without(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_without(root: Path) -> None:
    path = _installation_without(root / "postgresql", HIDDEN)
    env = {**os.environ, "PATH": f"{path}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PG_BIN_DIR", None)
    probe = subprocess.run(
        [sys.executable, "-c", "from dbflow.engine.binaries import find_system as f; "
         "b = f(); print(b.has_extension('pgtap'), b.has_extension('plpgsql_check'))"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert probe.stdout.split() == ["False", "False"], probe.stdout + probe.stderr
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *USERS],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    summary = result.stdout[-4000:]
    assert result.returncode == 0, summary + result.stderr[-2000:]
    assert "failed" not in summary.splitlines()[-1], summary
    assert "apt-get install postgresql-15-pgtap" in summary, summary
    assert "apt-get install postgresql-15-plpgsql-check" in summary, summary
