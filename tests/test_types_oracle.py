"""db.types against Supabase's own generator: postgres-meta (the one the Supabase CLI runs for
`supabase gen types typescript`), installed from npm at a pinned version and run on the same
database with the CLI's settings; both outputs are compared structurally with the TypeScript
compiler API (tests/typescript/compare_types.mjs): member order, quoting, separators and the
order of union members do not count, everything else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbflow.connection import connect
from dbflow.schema.typegen import generate_types
from tests.conftest import differences, postgres_meta_types, tsc

# Every feature the generator has to get right: overloads (and the ones PostgREST cannot tell
# apart), composites, domains, arrays of enums, enums of another schema, views, materialized
# views, updatable views, relationships through views, RETURNS TABLE, SETOF, OUT and INOUT
# parameters, record, computed fields, unnamed arguments, variadic, identity and generated
# columns, and types postgres-meta leaves unknown.
KITCHEN_SINK = (Path(__file__).resolve().parent / "typescript" / "kitchen_sink.sql").read_text()


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


ODD_NAMES = (
    "create type public.\"Status Kind\" as enum ('on', 'off');\n"
    'create table public."Mixed Case" ("Id" bigint primary key, "Col Name" text,\n'
    '    "we\'ird" int, status public."Status Kind");\n'
    'create table public."we\'ird ""tbl""" (id bigint primary key,\n'
    '    mixed_id bigint references public."Mixed Case" ("Id"));\n'
    'create view public."View Of" as select "Id", "Col Name" from public."Mixed Case";\n'
    'create function public."do Thing"("the arg" int) returns int language sql\n'
    "    as $$ select 1 $$;\n"
)


def test_names_that_need_quotes(postgres_meta: Path, bare_db_url: str, typescript: Path) -> None:
    """Tables, columns, enums, views and functions whose names are not plain identifiers are
    quoted, so the file compiles, and match postgres-meta's output."""
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute(ODD_NAMES)
        ours = generate_types(conn, ["public"])
    assert '"Mixed Case": {' in ours and '"we\'ird \\"tbl\\"": {' in ours
    (typescript / "database.ts").write_text(ours)
    compiled = tsc(typescript, "import type { Database } from './database'\nexport {}\n")
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    theirs = postgres_meta_types(postgres_meta, bare_db_url, ["public"])
    assert differences(postgres_meta, ours, theirs) == []
