"""`inv db.validate --fix`, `--unsafe-fixes` and `--diff`: the four locking hazards rewritten
into their safe forms, proven (the same schema, the rules no longer firing), never in a file
a deploy target applied; the JSON and SARIF reports carry the fixes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

BASE = """\
create table public.customers (id bigint primary key);
create table public.orders (id bigint primary key, customer_id bigint, note text, total int);
alter table public.customers enable row level security;
alter table public.orders enable row level security;
create index orders_customer_id_idx on public.orders (customer_id);
"""
# The four hazards with a mechanical safe form, each on a table that holds rows.
HAZARDS = """\
-- hazards on a table with rows
create index orders_total_idx on public.orders (total);
alter table public.orders add constraint orders_customer_fk
  foreign key (customer_id) references public.customers (id);
alter table public.orders add constraint orders_total_check check (total >= 0);
alter table public.orders alter column note set not null;
alter table public.orders add column token uuid default gen_random_uuid();
"""
LOCKING = {"LCK01", "LCK08", "LCK12", "LCK15"}


def _project(root: Path) -> Path:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20250101000000_base.sql").write_text(BASE)
    (folder / "20250102000000_hazards.sql").write_text(HAZARDS)
    return folder


def _findings(root: Path, fmt: str = "json") -> list[dict[str, object]]:
    result = run(root, INV, "db.validate", "--format", fmt)
    assert_no_traceback(result)
    return list(json.loads(result.stdout)["findings"])


def test_fix_rewrites_the_four_hazards_and_the_schema_stays_the_same() -> None:
    with project_dir("dbflow-fix-") as root:
        folder = _project(root)
        assert run(root, INV, "db.reset", "--no-seed").returncode == 0
        before = {f["rule"] for f in _findings(root) if f["severity"] != "info"}
        assert before >= LOCKING, before

        shown = run(root, INV, "db.validate", "--diff")
        assert_no_traceback(shown)
        assert shown.returncode == 1, shown.stdout + shown.stderr
        assert "+CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx" in shown.stdout
        assert "(add --unsafe-fixes)" in shown.stdout  # the backfill changes behaviour
        assert (folder / "20250102000000_hazards.sql").read_text() == HAZARDS  # nothing written
        assert len(list(folder.glob("*.sql"))) == 2

        safe = run(root, INV, "db.validate", "--fix")
        assert_no_traceback(safe)
        assert "proven: the fixed migrations build the same schema" in safe.stdout, safe.stdout
        left = {f["rule"] for f in _findings(root) if f["severity"] != "info"}
        assert left & LOCKING == {"LCK15"}, left  # the unsafe one waits for --unsafe-fixes

        unsafe = run(root, INV, "db.validate", "--fix", "--unsafe-fixes")
        assert_no_traceback(unsafe)
        assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
        left = {f["rule"] for f in _findings(root) if f["severity"] != "info"}
        assert not left & LOCKING, left
        names = sorted(path.name for path in folder.glob("*.sql"))
        assert "20250102000001_hazards_concurrently.sql" in names, names
        concurrently = (folder / "20250102000001_hazards_concurrently.sql").read_text()
        assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_total_idx" in concurrently

        # What the fixed migrations build is what the original ones built (the local database).
        same = run(root, INV, "db.diff", "--from", "migrations", "--to", "local")
        assert same.returncode == 0, same.stdout + same.stderr
        rebuilt = run(root, INV, "db.reset", "--no-seed")
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert run(root, INV, "db.validate", "--fix").stdout.startswith("nothing to fix\n")


def test_applied_files_are_never_rewritten() -> None:
    """A deploy target that ran the file (here: staging is the local database, which ran
    every migration) keeps it from being fixed."""
    with project_dir("dbflow-fix-applied-") as root:
        folder = _project(root)
        assert run(root, INV, "db.reset", "--no-seed").returncode == 0
        status = run(root, INV, "db.status", "--env")
        assert status.returncode == 0, status.stderr
        url = status.stdout.strip().split("=", 1)[1]
        (root / ".env").write_text(f"STAGING_DATABASE_URL={url}\n")
        refused = run(root, INV, "db.validate", "--fix", "--unsafe-fixes")
        assert_no_traceback(refused)
        assert "a deploy target has applied this migration" in refused.stdout, refused.stdout
        assert (folder / "20250102000000_hazards.sql").read_text() == HAZARDS
        (root / ".env").write_text("STAGING_DATABASE_URL=postgresql://nobody@127.0.0.1:1/none\n")
        unreachable = run(root, INV, "db.validate", "--fix")
        assert_no_traceback(unreachable)
        assert unreachable.returncode != 0
        assert "cannot read which migrations staging applied" in unreachable.stderr
        assert (folder / "20250102000000_hazards.sql").read_text() == HAZARDS


def test_a_fix_that_cannot_be_proven_is_not_written() -> None:
    with project_dir("dbflow-fix-unproven-") as root:
        folder = _project(root)
        (folder / "20250102000000_hazards.sql").write_text(
            "create index orders_total_idx on public.orders (total);\n"
            "alter table public.orders drop column total;\n"
        )
        result = run(root, INV, "db.validate", "--fix")
        assert_no_traceback(result)
        assert result.returncode == 1
        assert "not proven: the fixed migrations do not apply" in result.stdout, result.stdout
        assert "nothing was written" in result.stderr
        assert sorted(path.name for path in folder.glob("*.sql")) == [
            "20250101000000_base.sql",
            "20250102000000_hazards.sql",
        ]


def test_json_and_sarif_carry_the_fixes(tmp_path: Path) -> None:
    root = tmp_path / "project"
    _project(root)
    (root / "pyproject.toml").write_text("[tool.dbflow]\n")
    (root / "tasks.py").write_text("from dbflow.tasks import ns  # noqa: F401\n")
    findings = _findings(root)
    fixes = {f["rule"]: f.get("autofix") for f in findings if f["severity"] != "info"}
    assert fixes["LCK01"]["applicability"] == "safe"  # type: ignore[index]
    assert fixes["LCK15"]["applicability"] == "unsafe"  # type: ignore[index]
    index = fixes["LCK01"]
    assert isinstance(index, dict)
    assert index["replace"]["text"] == ""  # moved out of the file ...
    assert "CREATE INDEX CONCURRENTLY" in index["new_files"][0]["text"]  # ... into its own
    sarif = json.loads(run(root, INV, "db.validate", "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    fixed = [result for result in results if result.get("fixes")]
    assert {result["ruleId"] for result in fixed} >= LOCKING
    change = fixed[0]["fixes"][0]["artifactChanges"][0]
    assert change["replacements"][0]["deletedRegion"]["startLine"] >= 1
