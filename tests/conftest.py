"""Fixtures shared by test modules (the database fixtures come from dbflow's pytest plugin),
and the ``db`` marker.

Where the tests are, by what they test (tests/README.md has the whole map):

- the validator: test_validate.py, test_validate_rules.py (every rule's examples and
  cases), test_validate_vs_squawk.py, test_applied_edits.py
- the seeder: test_seed.py, test_seed_checks.py, test_seed_shapes.py (through inv db.reset),
  test_seed_types.py (every type), test_seed_property.py (random schemas), test_seed_solver.py
  (the CHECK solver, no database)
- the engine and bootstrap: test_engine.py, test_engine_choice.py, test_embedded_engine.py,
  test_bootstrap.py, test_platform_image.py, test_platform_version.py, test_standins.py,
  test_source_builds.py, test_supabase_compat.py, test_transaction_control.py
- the runner and workflows: test_runner.py, test_reset.py, test_deploy.py, test_push_record.py,
  test_gate.py, test_pull.py, test_down.py, test_drift.py, test_project_lock.py
- the schema: test_diff.py, test_diff_converge.py, test_types.py, test_types_oracle.py
- the checks: test_advisors.py, test_function_lint.py, test_sql_tests.py, test_trace.py
- the command line and files: test_tasks.py, test_cli_flags.py, test_bad_input.py,
  test_output_files.py, test_secrets.py, test_config.py, test_docs.py, test_nox.py,
  test_progress.py, test_onboarding.py
- real projects: test_corpus.py; the layers: test_architecture.py

Tests that start a database or a program (``inv``, npm's tools) carry the ``db`` marker,
given here from the fixtures they use and the helpers they import, never by hand:
``pytest -m "not db"`` runs the others (the validator's rules, the solver, settings, the
layers) in seconds, with no PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import types
from pathlib import Path
from typing import Any

import pytest

# Fixtures that start PostgreSQL or a program, directly or through another fixture.
_STARTS_SOMETHING = {
    "dbflow_engine", "dbflow_databases", "db_url", "bare_db_url", "db", "supabase_cli",
    "typescript", "postgres_meta", "embedded_url", "embedded_18",
}  # fmt: skip
# What a test module uses that runs a program: the command-line helpers, subprocess.
_RUNNERS = {"tests.cli_helpers", "subprocess"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: starts a database or a program (given by conftest)")


def _uses(module: object) -> set[str]:
    """The modules a test module imports, or imports names from."""
    found = set()
    for value in vars(module).values():
        if isinstance(value, types.ModuleType):
            found.add(value.__name__)
        else:
            found.add(getattr(value, "__module__", None) or "")
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        runs = module is not None and bool(_uses(module) & _RUNNERS)
        if runs or set(getattr(item, "fixturenames", ())) & _STARTS_SOMETHING:
            item.add_marker(pytest.mark.db)


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


def has_extension(name: str) -> bool:
    """Whether the system PostgreSQL the tests start has the extension ``name`` installed."""
    from dbflow.engine.binaries import find_system
    from dbflow.errors import DbflowError

    try:
        return find_system().has_extension(name)
    except DbflowError:
        return False


def require_extension(name: str, package: str) -> None:
    """Skip, naming the Debian package, where the engine the tests start lacks ``name``."""
    if not has_extension(name):
        pytest.skip(f"{name} is not installed for this PostgreSQL: apt-get install {package}")
