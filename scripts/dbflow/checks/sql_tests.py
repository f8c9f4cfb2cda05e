"""``inv db.test``: the pgTAP tests in ``supabase/tests/**/*.sql``, as ``supabase test db`` runs
them, summarised as ``N passed, N failed``.

Locally every file gets a fresh database: a clone of the migrations template with the test
seed (``db.seed-test``: the named fixtures) loaded once into a template of its own. Against
staging the files run on the one database, each inside a transaction that is always rolled
back; the gate refuses production.

A file runs statement by statement in one transaction (its own BEGIN, COMMIT and ROLLBACK are
left out: the runner owns the transaction), with pgTAP created first when the database lacks
it. The rows each statement returns are its TAP output: ``ok N``, ``not ok N``, the plan
``1..N`` and ``#`` diagnostics. A statement that fails ends its file as failed, named by file
and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError, ToolMissing
from dbflow.places.gate import Confirm, clear
from dbflow.places.local import local_engine
from dbflow.places.scratch import clone, migrated_copy
from dbflow.progress import Notify, quiet
from dbflow.seed.run import SeedOptions, seed_within
from dbflow.sql.parse import split_statements

PACKAGE = "postgresql-15-pgtap"
_OK = re.compile(r"^(not )?ok\b\s*(\d*)\s*(.*)$")
_PLAN = re.compile(r"^1\.\.(\d+)")
_OWN_TRANSACTION = {
    "TRANS_STMT_BEGIN", "TRANS_STMT_START", "TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"
}  # fmt: skip


@dataclass
class FileResult:
    path: str
    passed: int = 0
    failed: int = 0
    planned: int | None = None
    failures: list[str] = field(default_factory=list)  # the "not ok" lines and diagnostics
    error: str | None = None  # a statement that failed: file:line: message

    @property
    def ran(self) -> int:
        return self.passed + self.failed

    @property
    def ok(self) -> bool:
        planned_ok = self.planned is None or self.planned == self.ran
        return self.failed == 0 and self.error is None and planned_ok and self.ran > 0


@dataclass
class TestRun:
    target: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(result.passed for result in self.files)

    @property
    def failed(self) -> int:
        return sum(result.failed for result in self.files)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.files)


def test_files(settings: Settings, given: list[str]) -> list[Path]:
    if given:
        paths = [
            Path(item) if Path(item).is_absolute() else settings.project_root / item
            for item in given
        ]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise DbflowError(f"no such test file: {', '.join(missing)}")
        return paths
    return sorted((settings.project_root / "supabase" / "tests").glob("**/*.sql"))


def run_tests(
    settings: Settings,
    target: str = "local",
    files: list[str] | None = None,
    *,
    seed: bool = True,
    yes: bool = False,
    confirm: Confirm | None = None,
    notify: Notify = quiet,
) -> TestRun:
    paths = test_files(settings, files or [])
    if not paths:
        raise DbflowError(
            "no pgTAP tests: supabase/tests/**/*.sql is empty",
            hint="write one (docs/wiki/testing.md shows the shape), or name files with --file",
        )
    clearance = clear(settings, "test", target, yes=yes, confirm=confirm)
    run = TestRun(target)
    if clearance.place == "local" and target == "local":
        with _seeded_template(settings, seed, notify) as template:
            engine = local_engine(settings)
            for path in paths:
                with (
                    clone(engine, template, "dbflow_test_file") as url,
                    connect(url, autocommit=True) as conn,
                ):
                    run.files.append(run_file(conn, path, settings.project_root))
                notify(f"{path.name}: done")
        return run
    with connect(clearance.url, autocommit=True) as conn:
        for path in paths:
            run.files.append(run_file(conn, path, settings.project_root))
            notify(f"{path.name}: done (rolled back)")
    return run


@contextmanager
def _seeded_template(settings: Settings, seed: bool, notify: Notify) -> Iterator[str]:
    """A template database: the migrations, and the test seed unless ``seed`` is false."""
    name = "dbflow_test_template"
    with migrated_copy(settings, name, notify) as url:
        if seed:
            with connect(url, autocommit=True) as conn:
                seed_within(conn, settings, SeedOptions(mode="test"), lambda plan, rows: None)
        yield name


def run_file(conn: Conn, path: Path, root: Path) -> FileResult:
    """Run one test file in a transaction that is rolled back, and read its TAP output."""
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    result = FileResult(shown)
    try:
        statements = split_statements(path.read_text(encoding="utf-8"), shown)
    except DbflowError as exc:
        result.error = exc.message
        return result
    tap: list[str] = []
    try:
        with conn.transaction(force_rollback=True):
            _ensure_pgtap(conn)
            for statement in statements:
                if (
                    statement.kind == "TransactionStmt"
                    and statement.node.get("kind") in _OWN_TRANSACTION
                ):
                    continue
                try:
                    cursor = conn.execute(statement.text.encode())
                except psycopg.Error as exc:
                    message = exc.diag.message_primary or str(exc).strip()
                    result.error = f"{shown}:{statement.line}: {message}"
                    break
                while True:
                    if cursor.description is not None:
                        tap.extend(
                            str(row[0]) for row in cursor.fetchall() if row and row[0] is not None
                        )
                    if not cursor.nextset():
                        break
    except psycopg.Error as exc:  # the rollback itself failed: the connection is gone
        result.error = result.error or f"{shown}: {exc}"
    _read_tap(result, tap)
    return result


def _ensure_pgtap(conn: Conn) -> None:
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pgtap'").fetchone():
        return
    if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap'").fetchone():
        raise PgtapMissing(
            f"this database (PostgreSQL {conn.info.server_version // 10000}) has no pgTAP: "
            "the tests were not run",
            hint=f"install it for the system PostgreSQL (Debian: apt-get install {PACKAGE}); for "
            "the embedded engine, unpack its source (apt-get source pgtap) in a folder named by "
            "DBFLOW_EXTENSION_SOURCES and dbflow builds it; hosted Supabase has it",
        )
    schema = (
        "extensions"
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'extensions'").fetchone()
        else "public"
    )
    conn.execute(f"CREATE EXTENSION pgtap WITH SCHEMA {schema}")


class PgtapMissing(ToolMissing):
    """The database cannot create pgTAP."""


def _read_tap(result: FileResult, lines: list[str]) -> None:
    failing = False
    for text in (line for block in lines for line in block.splitlines()):
        plan = _PLAN.match(text)
        if plan:
            result.planned = int(plan.group(1))
            continue
        matched = _OK.match(text)
        if matched:
            todo = "# TODO" in matched.group(3)
            failing = bool(matched.group(1)) and not todo
            if failing:
                result.failed += 1
                result.failures.append(text)
            else:
                result.passed += 1
        elif text.startswith("#") and failing:
            result.failures.append(text)


def render_run(run: TestRun) -> list[str]:
    lines = []
    for result in run.files:
        state = "ok" if result.ok else "FAILED"
        lines.append(f"{result.path}: {result.passed} passed, {result.failed} failed ({state})")
        lines += [f"    {line}" for line in result.failures]
        if result.error:
            lines.append(f"    error: {result.error}")
        if result.planned is not None and result.planned != result.ran and result.error is None:
            lines.append(f"    planned {result.planned} test(s), ran {result.ran}")
        if result.ran == 0 and result.error is None:
            lines.append("    no TAP output: does the file select pgTAP's functions?")
    where = "" if run.target == "local" else f" on {run.target} (rolled back)"
    lines.append(
        f"{len(run.files)} file(s){where}: {run.passed} passed, {run.failed} failed"
        + ("" if run.ok else " — FAILED")
    )
    return lines
