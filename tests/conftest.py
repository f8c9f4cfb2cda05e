"""Fixtures shared by test modules (the database fixtures come from dbflow's pytest plugin)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

SUPABASE_CLI_VERSION = "2.117.0"
POSTGRES_META_VERSION = "0.99.0"  # the generator `supabase gen types typescript` runs
COMPARE = Path(__file__).resolve().parent / "typescript" / "compare_types.mjs"
NPM = shutil.which("npm")
NODE = shutil.which("node")


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


@pytest.fixture(scope="session")
def postgres_meta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with @supabase/postgres-meta and typescript installed from npm."""
    if NPM is None or NODE is None:
        pytest.skip("npm and node are not installed: the postgres-meta oracle comes from npm")
    folder = tmp_path_factory.mktemp("postgres-meta")
    (folder / "package.json").write_text(json.dumps({"name": "types-oracle", "private": True}))
    subprocess.run(
        [
            NPM,
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            f"@supabase/postgres-meta@{POSTGRES_META_VERSION}",
            "typescript@5",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder


def postgres_meta_types(folder: Path, url: str, schemas: list[str]) -> str:
    """What `supabase gen types typescript --local` prints: postgres-meta's generator with the
    environment the CLI gives it (included schemas, one-to-one relationships detected)."""
    server = (
        folder / "node_modules" / "@supabase" / "postgres-meta" / "dist" / "server" / "server.js"
    )
    env = {
        **os.environ,
        "PG_META_DB_URL": url,
        "PG_META_GENERATE_TYPES": "typescript",
        "PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS": ",".join(schemas),
        "PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS": "true",
    }
    done = subprocess.run(
        [str(NODE), str(server)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "export type Database" in done.stdout, done.stdout[-2000:]
    return done.stdout


def differences(folder: Path, ours: str, theirs: str) -> list[dict[str, Any]]:
    (folder / "ours.ts").write_text(ours)
    (folder / "theirs.ts").write_text(theirs)
    done = subprocess.run(
        [str(NODE), str(COMPARE), "ours.ts", "theirs.ts"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def require_extension(name: str, package: str) -> None:
    """Skip, naming the Debian package, where the engine the tests start lacks ``name``."""
    from dbflow.engine.binaries import find_system
    from dbflow.errors import DbflowError

    try:
        found = find_system().has_extension(name)
    except DbflowError:
        found = False
    if not found:
        pytest.skip(f"{name} is not installed for this PostgreSQL: apt-get install {package}")
