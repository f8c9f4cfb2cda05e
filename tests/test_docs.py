"""The wiki's examples run: SQL blocks apply and validate, RLS proofs pass, quoted errors occur."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbflow.connection import connect
from dbflow.migrations.discovery import discover
from dbflow.migrations.plan import MigrationError
from dbflow.migrations.repair import repair
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.testing import as_anon, as_service_role, as_user, create_auth_user, expect_denied
from dbflow.validate.config import ValidateConfig
from dbflow.validate.options import Options
from dbflow.validate.pipeline import validate_files

REPO = Path(__file__).resolve().parents[1]
WIKI = REPO / "docs" / "wiki"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)  # markdown fences, not SQL


def sections(name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, [(language, code), ...]) for each '## ' section of a wiki page."""
    text = (WIKI / name).read_text(encoding="utf-8")
    found = []
    for part in text.split("\n## ")[1:]:
        heading, _, body = part.partition("\n")
        found.append((heading.strip(), [(m.group(1), m.group(2)) for m in FENCE.finditer(body)]))
    return found


def assert_validates(tmp_path: Path, sql: str) -> None:
    """``sql`` as a new migration after the example app's history: no error findings."""
    history = [m.path for m in discover(REPO / "supabase" / "migrations").migrations]
    example = tmp_path / "20991231000000_docs_example.sql"
    example.write_text(sql + "\n", encoding="utf-8")
    report = validate_files(
        [*history, example], ValidateConfig(Options()), root=tmp_path, report_only={example}
    )
    errors = [f"{f.rule_id} {f.message}" for f in report.findings if f.severity == "error"]
    assert errors == [], errors


RLS = [(heading, blocks) for heading, blocks in sections("rls-patterns.md") if blocks]


@pytest.mark.parametrize(("heading", "blocks"), RLS, ids=[heading for heading, _ in RLS])
def test_rls_pattern(
    heading: str, blocks: list[tuple[str, str]], db_url: str, tmp_path: Path
) -> None:
    sql = "\n".join(code for language, code in blocks if language == "sql")
    python = "\n".join(code for language, code in blocks if language == "python")
    assert sql and python, f"{heading}: each pattern needs its SQL and its test"
    assert_validates(tmp_path, sql)
    with connect(db_url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute(sql.encode())
        namespace: dict[str, Any] = {
            "as_user": as_user,
            "as_anon": as_anon,
            "as_service_role": as_service_role,
            "create_auth_user": create_auth_user,
            "expect_denied": expect_denied,
        }
        exec(python, namespace)  # the documented test, as written
        namespace["check"](conn)


def test_schema_patterns(db_url: str, tmp_path: Path) -> None:
    blocks = [
        code for _, found in sections("schema-patterns.md") for lang, code in found if lang == "sql"
    ]
    assert len(blocks) >= 7
    with connect(db_url, autocommit=True) as conn:
        for number, sql in enumerate(blocks):
            folder = tmp_path / str(number)
            folder.mkdir()
            assert_validates(folder, sql)
            conn.execute(sql.encode())
        columns = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tasks'"
        ).fetchone()
    assert columns == (5,)


def quoted_messages(heading: str) -> list[str]:
    for title, blocks in sections("migration-troubleshooting.md"):
        if title == heading:
            return [code.strip() for language, code in blocks if language == "text"]
    raise AssertionError(f"no section {heading!r}")


def _error(conn: psycopg.Connection[Any], sql: str) -> str:
    with pytest.raises(psycopg.Error) as error, conn.transaction():
        conn.execute(sql)
    return error.value.diag.message_primary or ""


def test_troubleshooting_server_messages(db_url: str) -> None:
    with connect(db_url, autocommit=True) as conn:
        conn.execute(
            "create table public.notes (id int primary key); "
            "alter table public.notes enable row level security; "
            'create policy "notes: owners read" on public.notes for select using (true)'
        )
        assert (
            _error(
                conn, 'create policy "notes: owners read" on public.notes for select using (true)'
            )
            == quoted_messages("policy already exists")[0]
        )
        assert (
            _error(conn, "alter table public.orders add column x int")
            == quoted_messages("relation does not exist")[0]
        )
        conn.execute("create role reporting")
        assert (
            _error(conn, "set local role reporting; select auth.uid()")
            == quoted_messages("permission denied for schema auth")[0]
        )
        assert (
            _error(conn, "set local role reporting; alter table public.skills add column x int")
            == quoted_messages("must be owner of table")[0]
        )
        conn.execute("drop role reporting")
        assert (
            _error(conn, "create index concurrently skills_name_idx on public.skills (name)")
            == quoted_messages("CREATE INDEX CONCURRENTLY in a transaction")[0]
        )
        assert _lock_timeout_message(db_url) == quoted_messages("lock timeout")[0]


def _lock_timeout_message(url: str) -> str:
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with connect(url) as holder:
            holder.execute("lock table public.skills in access exclusive mode")
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(10)
    try:
        with connect(url, autocommit=True) as conn:
            return _error(conn, "set local lock_timeout = '100ms'; select * from public.skills")
    finally:
        release.set()
        thread.join()


def _project(tmp_path: Path, *files: tuple[str, str]) -> Path:
    folder = tmp_path / "supabase" / "migrations"
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files:
        (folder / name).write_text(sql)
    return folder


def _message(error: pytest.ExceptionInfo[MigrationError], root: Path) -> str:
    return error.value.message.replace(f"{root}/", "")


def test_troubleshooting_dbflow_messages(bare_db_url: str, tmp_path: Path) -> None:
    folder = _project(
        tmp_path, ("20250101000000_add_orders.sql", "create table public.orders (id int);")
    )
    migrate(bare_db_url, folder, RunOptions())
    (folder / "20250101000000_add_orders.sql").write_text("create table public.orders (id bigint);")
    with pytest.raises(MigrationError) as edited:
        migrate(bare_db_url, folder, RunOptions())
    assert _message(edited, tmp_path) == quoted_messages("edited applied migration")[0]

    (folder / "20250101000000_add_orders.sql").unlink()
    with pytest.raises(MigrationError) as missing:
        migrate(bare_db_url, folder, RunOptions())
    assert (
        _message(missing, tmp_path) == quoted_messages("history mismatch between environments")[0]
    )
    repair(bare_db_url, folder, "20250101000000", "reverted")

    (folder / "20250102000000_newer.sql").write_text("select 1;")
    migrate(bare_db_url, folder, RunOptions())
    (folder / "20250101000000_late.sql").write_text("select 2;")
    with pytest.raises(MigrationError) as late:
        migrate(bare_db_url, folder, RunOptions())
    assert _message(late, tmp_path) == quoted_messages("out of order")[0]

    (folder / "20250101000000_late.sql").unlink()
    (folder / "20250103000000_index.sql").write_text(
        "create table public.t (a int);\ncreate index concurrently t_a on public.t (a);\n"
    )
    warnings: list[str] = []
    migrate(bare_db_url, folder, RunOptions(), warnings.append)
    expected = quoted_messages("CREATE INDEX CONCURRENTLY in a transaction")[1]
    assert any(message.endswith(expected) for message in warnings), warnings


SEEDING = [(heading, blocks) for heading, blocks in sections("seeding.md") if blocks]


@pytest.mark.parametrize(("heading", "blocks"), SEEDING, ids=[heading for heading, _ in SEEDING])
def test_seeding_example(
    heading: str, blocks: list[tuple[str, str]], bare_db_url: str, tmp_path: Path
) -> None:
    """Each schema of the seeding page is seeded as written; where the page quotes a warning
    and an error, the seed leaves the table empty with that warning, and ``--strict`` stops
    with that error, writing nothing."""
    from dbflow.config import load_settings
    from dbflow.errors import SeedPlanError
    from dbflow.seed.run import SeedOptions, seed_within, skip_lines

    sql = "\n".join(code for language, code in blocks if language == "sql")
    quoted = [code.strip() for language, code in blocks if language == "text"]
    (tmp_path / "pyproject.toml").write_text("[tool.dbflow]\n")
    settings = load_settings(tmp_path, environ={})
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute(sql)
        if quoted:
            warning, refusal = quoted
            left = seed_within(conn, settings, SeedOptions(mode="dev"), lambda plan, rows: None)
            assert warning in skip_lines(left)
            for plan in left.skipped:
                found = conn.execute(f"SELECT count(*) FROM {plan.table.name}").fetchone()
                assert found == (0,), plan.table.name
            with pytest.raises(SeedPlanError) as error:
                seed_within(
                    conn, settings, SeedOptions(mode="dev", strict=True), lambda plan, rows: None
                )
            assert refusal in str(error.value)
            return
        result = seed_within(conn, settings, SeedOptions(mode="dev"), lambda plan, rows: None)
    assert all(table.rows > 0 for table in result.tables if table.name.startswith("public."))
