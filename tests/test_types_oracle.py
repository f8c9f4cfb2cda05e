"""db.types against Supabase's own generator: postgres-meta (the one the Supabase CLI runs for
`supabase gen types typescript`), installed from npm at a pinned version and run on the same
database with the CLI's settings; both outputs are compared structurally with the TypeScript
compiler API (tests/typescript/compare_types.mjs): member order, quoting, separators and the
order of union members do not count, everything else does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dbflow.connection import connect
from dbflow.typegen import generate_types

POSTGRES_META_VERSION = "0.99.0"
# Every feature the generator has to get right: overloads (and the ones PostgREST cannot tell
# apart), composites, domains, arrays of enums, enums of another schema, views, materialized
# views, updatable views, relationships through views, RETURNS TABLE, SETOF, OUT and INOUT
# parameters, record, computed fields, unnamed arguments, variadic, identity and generated
# columns, and types postgres-meta leaves unknown.
KITCHEN_SINK = (Path(__file__).resolve().parent / "typescript" / "kitchen_sink.sql").read_text()
COMPARE = Path(__file__).resolve().parent / "typescript" / "compare_types.mjs"
NPM = shutil.which("npm")
NODE = shutil.which("node")


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


def test_the_example_app_types_as_postgres_meta_writes_them(
    postgres_meta: Path, db_url: str
) -> None:
    schemas = ["public", "graphql_public"]  # supabase/config.toml's [api] schemas
    with connect(db_url) as conn:
        ours = generate_types(conn, schemas)
    theirs = postgres_meta_types(postgres_meta, db_url, schemas)
    assert differences(postgres_meta, ours, theirs) == []


@pytest.mark.parametrize("schemas", [["public"], ["extra", "public"]], ids=["public", "two"])
def test_every_feature_as_postgres_meta_writes_it(
    postgres_meta: Path, bare_db_url: str, schemas: list[str]
) -> None:
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute(KITCHEN_SINK)
        ours = generate_types(conn, schemas)
    theirs = postgres_meta_types(postgres_meta, bare_db_url, schemas)
    assert differences(postgres_meta, ours, theirs) == []
