"""Fixtures shared by test modules (the database fixtures come from dbflow's pytest plugin)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SUPABASE_CLI_VERSION = "2.117.0"


@pytest.fixture(scope="session")
def supabase_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Supabase CLI's binary from its npm package: the oracle for what the CLI applies."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the Supabase CLI oracle comes from npm")
    folder = tmp_path_factory.mktemp("supabase-cli")
    (folder / "package.json").write_text(json.dumps({"name": "cli-oracle", "private": True}))
    subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", f"supabase@{SUPABASE_CLI_VERSION}"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    binary = folder / "node_modules" / ".bin" / "supabase"
    assert binary.exists()
    return binary


@pytest.fixture(scope="session")
def typescript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with typescript and @supabase/supabase-js installed from npm."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "package.json").write_text(
        json.dumps({"name": "dbflow-types-check", "private": True})
    )
    subprocess.run(
        [
            str(shutil.which("npm")),
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "typescript@5",
            "@supabase/supabase-js@2",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder


def tsc(folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    (folder / "use.ts").write_text(source)
    return subprocess.run(
        [
            str(folder / "node_modules" / ".bin" / "tsc"),
            "--noEmit",
            "--strict",
            "--skipLibCheck",
            "--target",
            "es2020",
            "--module",
            "commonjs",
            "--moduleResolution",
            "node",
            "use.ts",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
