"""Real projects: the migration folders of public Supabase projects, applied as a user would.

Each folder of ../shared/corpus (beside the repository; absent from a user's clone, where this
module skips) is put in a project and applied with `inv db.reset`; then `inv db.diff --from
migrations --to local` must find no drift, `inv db.types` must write types, `inv db.seed-dev`
must fill the schema with its default counts and no `--fixed`, and `inv db.seed-test` must
give the same rows twice. Two projects cannot apply anywhere: their migrations use tables that no
migration creates. For those the Supabase CLI (`supabase db push`) is run on the same files and
must stop at the same statement.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dbflow.config import load_settings
from dbflow.connection import connect, create_database, drop_database
from dbflow.places.local import local_engine, local_url
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run, supabase_push
from tests.conftest import differences, has_extension, postgres_meta_types, tsc

CORPUS = Path(os.environ.get("DBFLOW_CORPUS", REPO.parent / "shared" / "corpus"))
pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(),
    reason=f"no corpus of Supabase projects at {CORPUS} (set DBFLOW_CORPUS to one)",
)


@dataclass(frozen=True)
class Refusal:
    """A project that cannot apply on any Supabase database, and why."""

    file: str
    message: str
    why: str


CANNOT_APPLY = {
    "coinhub-uit/server": Refusal(
        "20250412123112_min-money.sql",
        'relation "ticket" does not exist',
        "its tables ticket and settings are created by the application's ORM, not by a migration",
    ),
    "different-ai/embedbase": Refusal(
        "20230417114703_current_plan_period_usage.sql",
        'relation "subscriptions" does not exist',
        "the view reads a subscriptions table that no migration creates",
    ),
}


# Tables whose trigger-made rows quote a value the schema draws from the clock (no seed can
# repeat it): contracts.tracking_code is md5(random()::text || clock_timestamp()::text), and
# triggers copy it into notification texts and activity logs.
CLOCK_COPIED = {
    "SanjoSolutions/next-js-supabase-saas-starter": (
        "public.notifications",
        "public.activity_logs",
    ),
}


# A supabase-js client typed with the project's generated types, compiled with tsc --strict.
CLIENT_USAGE = """
import { createClient } from "@supabase/supabase-js"
import type { Database, Tables } from "./database"

export const supabase = createClient<Database>("http://127.0.0.1:54321", "anon-key")
export type AnyRow = Tables<keyof Database["public"]["Tables"]>
"""


def _projects() -> list[str]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(newline="") as handle:
        return [row["repo"] for row in csv.DictReader(handle, delimiter="\t")]


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    """One project whose migrations each test replaces; its engine follows what they need."""
    with project_dir("dbflow-corpus-") as root:
        yield root


CORPUS_SQL_TEST = """\
begin;
select plan(2);
select has_schema('public', 'the migrated schema is there');
select ok(exists (select from auth.users), 'the test seed made its fixture users');
select * from finish();
rollback;
"""


@pytest.mark.parametrize("repo", _projects())
def test_a_real_project_applies_and_works(
    project: Path, repo: str, typescript: Path, postgres_meta: Path
) -> None:
    source = CORPUS / repo.replace("/", "__")
    folder = project / "supabase" / "migrations"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source / "migrations", folder)

    reset = run(project, INV, "db.reset", "--no-seed", timeout=900)
    assert_no_traceback(reset)
    refusal = CANNOT_APPLY.get(repo)
    if refusal is not None:
        assert reset.returncode == 1, reset.stdout
        assert f"{folder / refusal.file}:" in reset.stderr and refusal.message in reset.stderr, (
            reset.stderr
        )
        return
    assert reset.returncode == 0, reset.stderr[-3000:]

    drift = run(project, INV, "db.diff", "--from", "migrations", "--to", "local")
    assert_no_traceback(drift)
    assert drift.returncode == 0, drift.stdout[-3000:]

    types = run(project, INV, "db.types", "--output", str(project / "database.ts"))
    assert types.returncode == 0, types.stderr
    (typescript / "database.ts").write_text((project / "database.ts").read_text())
    compiled = tsc(typescript, CLIENT_USAGE)
    assert compiled.returncode == 0, compiled.stdout[-3000:]
    settings = load_settings(project, environ={})
    theirs = postgres_meta_types(
        postgres_meta, local_url(settings), sorted(settings.api_schemas)
    )  # the Supabase CLI's own generator on the same database
    found = differences(postgres_meta, (project / "database.ts").read_text(), theirs)
    assert found == [], found[:5]

    steps = str(min(5, len(list(folder.glob("*.sql")))))
    down = run(project, INV, "db.down", "--steps", steps, "--output", "down.sql", timeout=900)
    assert_no_traceback(down)
    text = (project / "down.sql").read_text()
    if down.returncode == 0:  # the last five migrations reversed, proven on a copy
        assert "-- Proven:" in text
    else:  # where a down cannot exist, the file says what stands in the way
        assert down.returncode == 1 and "-- NOT proven:" in text, down.stderr[-2000:]
        assert "Not expressed here" in text or "applying it failed at" in text

    lint = run(project, INV, "db.lint", "--format", "json", timeout=900)
    assert_no_traceback(lint)
    if lint.returncode == 2:  # an engine without plpgsql_check (the embedded one) says so
        assert "apt-get install postgresql-15-plpgsql-check" in lint.stderr, lint.stderr
    else:  # a real project's functions may have real errors: each must name where it is
        assert lint.returncode in (0, 1), lint.stderr[-2000:]
        for finding in json.loads(lint.stdout)["findings"]:
            if finding["file"] is None:  # made by a DO block or dynamic SQL, not a CREATE
                continue
            lines = len((project / finding["file"]).read_text().splitlines())
            assert 1 <= finding["line"] <= lines, finding

    last = sorted(folder.glob("*.sql"))[-1]  # the newest migration, on tables with rows
    traced = run(project, INV, "db.trace", "--file", str(last), "--rows", "2000",
                 "--format", "json", timeout=900)  # fmt: skip
    assert_no_traceback(traced)
    assert traced.returncode in (0, 1), traced.stderr[-2000:]  # 1: something flagged
    assert json.loads(traced.stdout)["traced"] == [f"supabase/migrations/{last.name}"]

    advice = run(project, INV, "db.advisors", "--format", "json", timeout=600)
    assert_no_traceback(advice)
    assert advice.returncode in (0, 1), advice.stderr[-2000:]  # ERROR findings: real ones
    assert json.loads(advice.stdout)["target"] == "local"

    if has_extension("pgtap"):  # the SQL tests run on a seeded copy of the project's schema
        tests = project / "supabase" / "tests"
        tests.mkdir(parents=True, exist_ok=True)
        (tests / "seeded_test.sql").write_text(CORPUS_SQL_TEST)
        tested = run(project, INV, "db.test", timeout=900)
        assert_no_traceback(tested)
        if tested.returncode == 2:  # an engine without pgTAP (the embedded one) says so
            assert "apt-get install postgresql-15-pgtap" in tested.stderr, tested.stderr
        else:
            assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-2000:]
            assert "1 file(s): 2 passed, 0 failed" in tested.stdout

    seeded = run(project, INV, "db.seed-dev", "--strict", timeout=900)  # every table filled
    assert_no_traceback(seeded)
    assert seeded.returncode == 0, seeded.stderr[-3000:]

    url = local_url(load_settings(project, environ={}))
    contents = []
    for _ in range(2):
        assert run(project, INV, "db.reset", "--no-seed", timeout=900).returncode == 0
        seeded = run(project, INV, "db.seed-test", "--strict", timeout=900)
        assert_no_traceback(seeded)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        contents.append(_table_digests(url))
    for table in CLOCK_COPIED.get(repo, ()):
        for content in contents:
            content.pop(table, None)
    assert contents[0] == contents[1], "seed-test gave different data on a second run"
    assert any(rows for rows, _ in contents[0].values()), "seed-test wrote no rows"


# A column whose default is random (a trigger's row takes it): no seed can repeat it.
_RANDOM_DEFAULT = "gen_random_uuid|uuid_generate_v4|random\\("


def _drawn_by_triggers(conn: Any, oid: int) -> set[str]:
    """Columns a trigger of the table sets from the clock or a random source (a tracking code
    from ``md5(random()::text || clock_timestamp()::text)``): the schema's own choice."""
    found: set[str] = set()
    for (source,) in conn.execute(
        "SELECT p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE t.tgrelid = %s AND NOT t.tgisinternal",
        (oid,),
    ):
        for column, value in re.findall(r"new\.(\w+)\s*:?=\s*([^;]*);", source, re.I):
            if re.search(r"random\(|clock_timestamp\(|gen_random_uuid\(", value, re.I):
                found.add(column.lower())
    return found


def _table_digests(url: str) -> dict[str, tuple[int, str]]:
    """Every table of the public schema and auth.users: its row count and a digest of its rows
    in a stable order, leaving out columns with a random default (rows a trigger makes take
    one; the seeder's own rows never do)."""
    digests = {}
    with connect(url) as conn:
        tables = conn.execute(
            "SELECT c.oid, format('%%I.%%I', n.nspname, c.relname), "
            " string_agg(format('%%I', a.attname), ', ' ORDER BY a.attnum) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
            "WHERE c.relkind IN ('r', 'p') AND (n.nspname = 'public' "
            " OR (n.nspname, c.relname) = ('auth', 'users')) "
            " AND coalesce(pg_get_expr(d.adbin, d.adrelid), '') !~ %s "
            "GROUP BY c.oid, n.nspname, c.relname ORDER BY 2",
            (_RANDOM_DEFAULT,),
        ).fetchall()
        for oid, table, listed in tables:
            drawn = _drawn_by_triggers(conn, oid)
            kept = [name for name in listed.split(", ") if name.strip('"') not in drawn]
            if not kept:
                continue
            columns = ", ".join(kept)
            digest = hashlib.sha256()
            rows = 0
            query = f"SELECT ({columns})::text AS r FROM {table} ORDER BY r"
            if "," not in columns:
                query = f"SELECT {columns}::text AS r FROM {table} ORDER BY r"
            for (text,) in conn.execute(query):
                digest.update((text or "").encode())
                rows += 1
            digests[table] = (rows, digest.hexdigest())
    return digests


# Projects a pull cannot adopt whole, and the statement the proof stops at (none so far).
CANNOT_ADOPT: dict[str, tuple[str, str]] = {}


@pytest.mark.parametrize("repo", [r for r in _projects() if r not in CANNOT_APPLY])
def test_a_real_project_is_adopted_by_a_pull(project: Path, repo: str) -> None:
    """The project's whole schema, as if made in the dashboard (no migration history), pulled
    into an empty migrations folder: one migration that rebuilds it exactly."""
    source = CORPUS / repo.replace("/", "__")
    folder = project / "supabase" / "migrations"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source / "migrations", folder)
    assert run(project, INV, "db.reset", "--no-seed", timeout=900).returncode == 0
    settings = load_settings(project, environ={})
    engine = local_engine(settings)
    kind = engine.root.name.split("-")[0]  # the engine the migrations needed
    config = project / "pyproject.toml"
    kept = config.read_text()
    admin = engine.admin_url("postgres")
    drop_database(admin, "adopted_source")
    create_database(admin, "adopted_source", template="postgres")
    try:
        with connect(engine.url("adopted_source"), autocommit=True) as conn:
            conn.execute("truncate supabase_migrations.schema_migrations")
        config.write_text(kept + f'engine = "{kind}"\n')  # the same engine without the files
        shutil.rmtree(folder)
        folder.mkdir()
        env = {"STAGING_DATABASE_URL": engine.url("adopted_source")}
        pulled = run(project, INV, "db.pull", "--target", "staging", "--yes", env=env,
                     timeout=900)  # fmt: skip
        assert_no_traceback(pulled)
        refused = CANNOT_ADOPT.get(repo)
        if refused is not None:
            assert pulled.returncode == 1 and refused[0] in pulled.stderr, pulled.stderr[-2000:]
            assert not list(folder.glob("*.sql"))  # nothing written
            return
        assert pulled.returncode == 0, pulled.stderr[-3000:]
        assert len(list(folder.glob("*_remote_schema.sql"))) == 1
        assert run(project, INV, "db.reset", "--no-seed", timeout=900).returncode == 0
        same = run(project, INV, "db.diff", "--from", "staging", "--to", "local", env=env)
        assert same.returncode == 0, same.stdout[-3000:]
    finally:
        config.write_text(kept)
        drop_database(admin, "adopted_source")


@pytest.mark.parametrize("repo", sorted(CANNOT_APPLY))
def test_the_supabase_cli_refuses_the_same_statement(
    project: Path, repo: str, supabase_cli: Path
) -> None:
    refusal = CANNOT_APPLY[repo]
    folder = project / "supabase" / "migrations"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(CORPUS / repo.replace("/", "__") / "migrations", folder)
    run(project, INV, "db.reset", "--no-seed", timeout=900)  # fails, having built the base
    engine = local_engine(load_settings(project, environ={}))
    admin = engine.admin_url("template1")
    with connect(admin, autocommit=True) as conn:
        base = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'dbflow\\_base\\_%' LIMIT 1"
        ).fetchone()
    assert base is not None, "db.reset builds the bootstrap template before the migrations"
    create_database(admin, "cli_oracle", template=base[0])
    try:
        pushed = supabase_push(supabase_cli, project, engine.url("cli_oracle"))
    finally:
        drop_database(admin, "cli_oracle")
    output = pushed.stdout + pushed.stderr
    assert pushed.returncode != 0
    assert f"Applying migration {refusal.file}" in output and refusal.message in output, output


def test_every_validator_finding_on_the_corpus_is_judged_and_precision_holds() -> None:
    """benchmarks/precision.py: each warning and error over the corpus has a judgement (TP, FP
    or NOISE, read from the code); under 5% are false and under 15% noise."""
    command = (sys.executable, "benchmarks/precision.py", "--corpus", str(CORPUS))
    result = run(REPO, *command, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    overall = next(line for line in result.stdout.splitlines() if line.startswith("all "))
    findings, _, false, noise = (int(part) for part in overall.split()[1:5])
    assert findings > 500, overall
    assert false / findings < 0.05 and noise / findings < 0.15, overall
