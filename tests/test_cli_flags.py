"""Every task through the invoke program, with every flag the README's command table lists,
given a realistic value: no traceback, and the exit status a user would expect."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest

from dbflow.connection import connect
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run

FIRST_VERSION = sorted(REPO.glob("supabase/migrations/*.sql"))[0].name.split("_", 1)[0]


def documented_flags() -> dict[str, set[str]]:
    """task -> the flags the README's command table lists for it."""
    flags: dict[str, set[str]] = {}
    for line in (REPO / "README.md").read_text().splitlines():
        match = re.match(r"\| `(?:inv|dbflow) (db\.[a-z-]+)[^`]*` \|", line)
        if match is None:
            continue
        cells = line.split(" | ")
        found = set(re.findall(r"--[a-z][a-z-]*", cells[0] + " " + cells[-1]))
        same_as = re.search(r"as `(db\.[a-z-]+)`", cells[-1])
        if same_as:
            found |= flags[same_as.group(1)]
        flags[match.group(1)] = found
    return flags


@pytest.fixture
def project(dbflow_databases: Any) -> Iterator[tuple[Path, dict[str, str]]]:
    with (
        project_dir("dbflow-flags-", app=True) as root,
        dbflow_databases.clone(dbflow_databases.base_template) as staging,
        dbflow_databases.clone(dbflow_databases.base_template) as production,
    ):
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run(["git", "add", "."], cwd=root, check=True)
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-qm", "x"],
            cwd=root,
            check=True,
        )
        yield root, {"STAGING_DATABASE_URL": staging, "PRODUCTION_DATABASE_URL": production}


def test_every_documented_flag_works_from_the_command_line(
    project: tuple[Path, dict[str, str]],
) -> None:
    root, env = project
    used: dict[str, set[str]] = {}

    def inv(*args: str, codes: tuple[int, ...] = (0,), extra: dict[str, str] | None = None) -> str:
        result = run(root, INV, *args, env={**env, **(extra or {})})
        assert_no_traceback(result)
        assert result.returncode in codes, (args, result.stdout[-2000:], result.stderr[-2000:])
        used.setdefault(args[0], set()).update(a.split("=")[0] for a in args if a[:2] == "--")
        return result.stdout

    inv("db.start")
    assert inv("db.status", "--env").startswith("DATABASE_URL=postgresql://")
    inv("db.reset", "--strict")
    inv("db.reset", "--no-seed")
    inv("db.reset", "--no-seed", "--to", "20250101000100")
    inv("db.down", "--steps", "2", "--output", str(root / "down.sql"))
    inv("db.new", "add_notes", "--template", "table", "--table", "notes")
    time.sleep(1.1)  # versions are UTC timestamps to the second
    inv(
        "db.new",
        "add_notes_budget",
        "--template",
        "column",
        "--table",
        "notes",
        "--column",
        "budget",
    )
    assert "would be applied" in inv("db.up", "--dry-run")
    inv("db.up", "--allow-out-of-order", "--target", "local")
    inv("db.list", "--target", "local", "--json")
    inv("db.repair", FIRST_VERSION, "--status", "reverted", "--target", "local")
    inv("db.repair", FIRST_VERSION, "--status", "applied", "--target", "local")

    migration = next(root.glob("supabase/migrations/*_add_notes.sql"))
    inv(
        "db.validate",
        "--file",
        str(migration),
        "--format",
        "json",
        "--fail-on",
        "warning",
        codes=(0, 1),
    )
    inv("db.validate", "--format", "sarif", codes=(0, 1))
    inv("db.validate", "--format", "github", "--since", "HEAD", codes=(0, 1))
    inv("db.validate", "--write-baseline", str(root / "baseline.json"))
    inv("db.validate", "--baseline", str(root / "baseline.json"), "--format", "text")
    inv("db.validate", "--diff", "--unsafe-fixes", codes=(0, 1))  # 1: something to fix
    inv("db.validate", "--fix", "--file", str(migration), codes=(0, 1))
    inv("db.validate-docs")
    inv("db.lint", "--format", "json", codes=(0, 2))  # 2: an engine without plpgsql_check
    inv("db.advisors", "--target", "local", "--format", "sarif", "--only", "no_primary_key",
        "--output", str(root / "advice.sarif"), codes=(0, 1))  # fmt: skip
    inv("db.test", "--file", "supabase/tests/rls/profiles_test.sql", "--no-seed", codes=(0, 2))
    notes = str(next(root.glob("supabase/migrations/*_add_notes_budget.sql")))
    inv("db.trace", "--rows", "200", "--threshold-ms", "100", "--file", notes, "--format", "github",
        "--output", str(root / "trace.txt"), codes=(0, 1))  # fmt: skip
    inv("db.trace", "--since", "HEAD", "--format", "json", codes=(0, 1))

    inv("db.push", "--target", "staging", "--dry-run", "--report", str(root / "plan.md"))
    inv("db.push", "--target", "staging", "--dry-run", "--webhook", "http://127.0.0.1:9/hook")
    inv("db.push", "--target", "staging", "--allow-out-of-order")
    with connect(env["STAGING_DATABASE_URL"], autocommit=True) as conn:  # a day on staging
        conn.execute(
            "update supabase_migrations.dbflow_applied "
            "set applied_at = applied_at - interval '25 hours'"
        )
    approved = {"DBFLOW_APPROVED_TARGET": "production", "CI": "true"}
    inv("db.push", "--target", "production", "--yes", "--no-backup", extra=approved)
    inv("db.push", "--target", "production", "--yes", "--plaintext", extra=approved)
    with connect(env["STAGING_DATABASE_URL"], autocommit=True) as conn:  # a hotfix by hand
        conn.execute("create table public.hotfix (id int primary key)")
    assert "create table public.hotfix" in inv("db.pull", "--target", "staging", "--dry-run")
    inv("db.pull", "--target", "staging", "--name", "adopt_hotfix", "--yes")
    assert list(root.glob("supabase/migrations/*_adopt_hotfix.sql"))

    for task in ("db.seed-dev", "db.seed-test"):
        inv("db.reset", "--no-seed")  # the hand-written seed files insert fixed rows
        counts = ("--users", "5", "--orgs", "2", "--rows", "skills=7", "--seed", "7")
        fixed = ("--fixed", "notes.budget=to be decided")
        assert "nothing was written" in inv(task, *counts, "--dry-run")
        inv(task, *counts, *fixed, "--sql", str(root / f"{task}.sql"))
        inv(task, *counts, *fixed, "--strict")
    inv("db.seed-dev", "--users", "3", "--target", "staging", "--allow-remote")
    inv("db.seed-test", "--target", "staging", "--allow-remote", "--dry-run")
    inv("db.repair", FIRST_VERSION, "--status", "applied", "--target", "staging", "--yes")
    inv("db.test", "--target", "staging", "--yes", codes=(0, 2))  # the fixtures are seeded there

    schema = root / "schema.dump"
    inv("db.dump", "--target", "staging", "--schema-only", "--file", str(schema))
    inv("db.dump", "--target", "staging", "--data-only", "--file", str(root / "data.dump"))
    local = root / "local.dump"
    inv("db.dump", "--target", "local", "--file", str(local))
    inv("db.restore", str(local), "--target", "local")
    staging_archive = root / "staging.dump"
    inv("db.dump", "--target", "staging", "--file", str(staging_archive))
    inv("db.restore", str(staging_archive), "--target", "staging", "--yes")
    admin = pyrage.x25519.Identity.generate()
    (root / "admin.key").write_text(f"{admin}\n")
    sealed = root / "production.dump.age"
    inv("db.dump", "--target", "production", "--file", str(sealed),
        extra={"DBFLOW_BACKUP_RECIPIENTS": str(admin.to_public())})  # fmt: skip
    inv("db.restore", str(sealed), "--target", "production", "--identity",
        str(root / "admin.key"), "--yes",
        extra={**approved, "DBFLOW_BACKUP_RECIPIENTS": str(admin.to_public())})  # fmt: skip
    inv("db.dump", "--target", "production", "--plaintext", "--file", str(root / "plain.dump"))
    inv("db.restore", str(root / "plain.dump"), "--target", "production", "--plaintext", "--yes",
        extra=approved)  # fmt: skip

    inv("db.diff", "--from", "migrations", "--to", "staging", "--json", codes=(0, 1))
    inv(
        "db.diff",
        "--from",
        "staging",
        "--to",
        "local",
        "--sql",
        str(root / "fix.sql"),
        "--webhook",
        "http://127.0.0.1:9/hook",
        "--include-managed",
        codes=(0, 1),
    )
    inv("db.drift", "--report", str(root / "drift"), "--webhook", "http://127.0.0.1:9/hook",
        codes=(0, 1))  # fmt: skip
    inv("db.types", "--target", "local", "--output", str(root / "types.ts"), "--schema", "public")
    inv("db.types", "--output", str(root / "specific.ts"), "--specific")
    declared = root / "supabase" / "schemas"  # the migrations, declared as the end state
    declared.mkdir()
    for path in sorted((root / "supabase" / "migrations").glob("*.sql")):
        (declared / path.name).write_text(path.read_text())
    inv("db.new", "from_declared", "--from-schemas")
    inv("db.reset", "--from-schemas", "--no-seed")
    inv("db.init")
    inv("db.init", "--force", "--baseline")
    inv("db.stop")

    documented = documented_flags()
    assert set(documented) == {f"db.{name}" for name in _TASKS}, set(documented)
    for task, flags in documented.items():
        missing = flags - used.get(task, set())
        assert not missing, f"{task}: documented but never run with {sorted(missing)}"


_TASKS = (
    "init",
    "new",
    "up",
    "list",
    "repair",
    "pull",
    "validate",
    "validate-docs",
    "lint",
    "test",
    "advisors",
    "trace",
    "reset",
    "down",
    "seed-dev",
    "seed-test",
    "push",
    "dump",
    "restore",
    "diff",
    "drift",
    "types",
    "start",
    "stop",
    "status",
)
