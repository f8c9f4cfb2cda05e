"""`inv db.trace`: known cases measured as PostgreSQL's documentation describes them, and each
locking rule of the validator next to what the trace measured for the statement it flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

BASE = """\
create table public.items (
    id bigint generated always as identity primary key,
    name text not null,
    price int not null default 1,
    note text
);
create table public.orders (
    id bigint generated always as identity primary key,
    item_id bigint not null,
    qty int not null default 1
);
create index items_name_idx on public.items (name);
create materialized view public.item_names as select id, name from public.items;
create domain public.positive as int;
create table public.stock (id int primary key, amount public.positive);
create extension if not exists citext;
create table public.labels (
    id int primary key, code varchar(20), title varchar(20), body text, seen timestamp
);
create index labels_body_idx on public.labels (body);
"""
ROWS = "3000"


def _project(root: Path, samples: dict[str, str]) -> list[Path]:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20250101000000_base.sql").write_text(BASE)
    paths = []
    for number, (name, sql) in enumerate(samples.items(), start=1):
        path = folder / f"2025010200{number:04d}_{name}.sql"
        path.write_text(sql + "\n")
        paths.append(path)
    return paths


def _trace(root: Path, *args: str) -> dict[str, Any]:
    result = run(root, INV, "db.trace", "--rows", ROWS, "--format", "json", *args, timeout=900)
    assert_no_traceback(result)
    assert result.returncode in (0, 1), result.stderr
    return dict(json.loads(result.stdout))


def _by_file(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(s["file"]).name.split("_", 1)[1][:-4]: s for s in report["statements"]}


def _locks(statement: dict[str, Any], relation: str) -> set[str]:
    return {lock["mode"] for lock in statement["locks"] if lock["relation"] == relation}


# What PostgreSQL's documentation says each statement does (ALTER TABLE, CREATE INDEX and the
# lock-mode table of "Explicit Locking").
DOCUMENTED = {
    "volatile_default": "alter table public.items add column seen_at timestamptz "
    "default clock_timestamp()",
    "constant_default": "alter table public.items add column flag boolean not null default false",
    "set_not_null": "alter table public.items alter column note set not null",
    "create_index": "create index items_price_idx on public.items (price)",
    "check_not_valid": "alter table public.items add constraint price_positive "
    "check (price > 0) not valid",
    "validate_check": "alter table public.items validate constraint price_positive",
    "type_change": "alter table public.items alter column price type bigint",
}


def test_known_cases_measure_as_postgresql_documents() -> None:
    with project_dir("dbflow-trace-") as root:
        _project(root, {"fill": "update public.items set note = 'n'", **DOCUMENTED})
        assert run(root, INV, "db.reset", "--no-seed", "--to", "20250101000000").returncode == 0
        report = _trace(root)
        found = _by_file(report)
        assert report["seeded"]["public.items"] == int(ROWS)
        rows = int(ROWS)

        volatile = found["volatile_default"]  # a volatile default: every row gets a value
        assert "AccessExclusiveLock" in _locks(volatile, "public.items")
        assert "public.items" in volatile["rewritten"]
        assert any("rewrote public.items" in flag for flag in volatile["flags"])

        constant = found["constant_default"]  # PostgreSQL 11+: stored in the catalog only
        assert constant["rewritten"] == [] and constant["scanned"] == {}

        not_null = found["set_not_null"]  # scans to prove it, under ACCESS EXCLUSIVE
        assert "AccessExclusiveLock" in _locks(not_null, "public.items")
        assert not_null["scanned"]["public.items"] == rows and not_null["rewritten"] == []

        index = found["create_index"]  # SHARE: writes wait, reads go on
        assert _locks(index, "public.items") == {"ShareLock"}
        assert index["strongest"] == "ShareLock"

        not_valid = found["check_not_valid"]  # no scan of existing rows
        assert not_valid["scanned"] == {} and "AccessExclusiveLock" in _locks(
            not_valid, "public.items"
        )
        validate = found["validate_check"]  # SHARE UPDATE EXCLUSIVE while it scans
        assert _locks(validate, "public.items") == {"ShareUpdateExclusiveLock"}
        assert validate["scanned"]["public.items"] == rows

        retyped = found["type_change"]  # int to bigint is not binary-compatible
        assert "public.items" in retyped["rewritten"]
        assert "public.items_name_idx" in retyped["rewritten"]


# Each locking rule of the validator: the statement it flags, what the rule says happens, and
# what the trace must measure for the rule to be right. (mode on the relation, rewrite, scan)
RULE_CLAIMS: dict[str, tuple[str, str, tuple[str, str, bool, bool]]] = {
    "LCK01": ("create index items_price_idx on public.items (price)",
              "CREATE INDEX takes a SHARE lock: writes wait while it builds",
              ("public.items", "ShareLock", False, True)),
    "LCK02": ("drop index public.items_price_idx",
              "DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table",
              ("public.items", "AccessExclusiveLock", False, False)),
    "LCK03": ("reindex index public.items_name_idx",
              "a plain REINDEX locks out writes to the table for the whole rebuild",
              ("public.items", "ShareLock", False, True)),
    "LCK06": ("refresh materialized view public.item_names",
              "a plain refresh takes an ACCESS EXCLUSIVE lock on the view until it is rebuilt",
              ("public.item_names", "AccessExclusiveLock", True, True)),
    "LCK07": ("cluster public.items using items_pkey",
              "CLUSTER rewrites the whole table under an ACCESS EXCLUSIVE lock",
              ("public.items", "AccessExclusiveLock", True, True)),
    "LCK08": ("alter table public.items add constraint price_small check (price < 1000000)",
              "without NOT VALID every existing row is checked while writes are blocked",
              ("public.items", "AccessExclusiveLock", False, True)),
    "LCK10": ("alter table public.items add constraint items_id_name_key unique (id, name)",
              "the index behind the constraint is built while writes are blocked",
              ("public.items", "AccessExclusiveLock", False, True)),
    "LCK12": ("alter table public.items alter column note set not null",
              "SET NOT NULL takes ACCESS EXCLUSIVE and checks every row",
              ("public.items", "AccessExclusiveLock", False, True)),
    "LCK14": ("alter table public.items alter column price type bigint",
              "ALTER COLUMN ... TYPE rewrites every row while blocking reads and writes",
              ("public.items", "AccessExclusiveLock", True, True)),
    "LCK15": ("alter table public.items add column seen_at timestamptz default clock_timestamp()",
              "a volatile default rewrites the table under an ACCESS EXCLUSIVE lock",
              ("public.items", "AccessExclusiveLock", True, True)),
    "LCK16": ("alter table public.items add column seq bigint generated always as identity",
              "an identity column rewrites the whole table",
              ("public.items", "AccessExclusiveLock", True, True)),
    "LCK22": ("alter domain public.positive add constraint positive_check check (value > 0)",
              "a CHECK on a domain is checked against every column of that type",
              ("public.stock", "ShareLock", False, True)),
}  # fmt: skip


# Type changes the validator leaves quiet (or gives as info) because PostgreSQL rewrites
# nothing: the trace must find no rewrite of the table.
NO_REWRITE: dict[str, str] = {
    "varchar_to_text": "alter table public.labels alter column code type text",
    "longer_varchar": "alter table public.labels alter column title type varchar(200)",
    "text_to_citext": "alter table public.labels alter column body type citext",
    "to_timestamptz": "alter table public.labels alter column seen type timestamptz",
    "using_a_cast": "alter table public.labels alter column code type text using code::text",
}


def test_the_validators_locking_rules_agree_with_the_trace() -> None:
    samples = {rule.lower(): sql + ";" for rule, (sql, _, _) in RULE_CLAIMS.items()}
    quiet = {name: sql + ";" for name, sql in NO_REWRITE.items()}
    with project_dir("dbflow-trace-") as root:
        paths = _project(root, {"fill": "update public.items set note = 'n';", **samples, **quiet})
        assert run(root, INV, "db.reset", "--no-seed", "--to", "20250101000000").returncode == 0
        validated = run(root, INV, "db.validate", "--format", "json",
                        *[arg for path in paths[1:] for arg in ("--file", str(path))])  # fmt: skip
        assert_no_traceback(validated)
        findings = json.loads(validated.stdout)["findings"]
        flagged = {(Path(f["file"]).name.split("_", 1)[1][:-4], f["rule"])
                   for f in findings}  # fmt: skip
        found = _by_file(_trace(root))
        table = ["rule   | the rule says | the trace measured"]
        wrong = []
        for rule, (_, claim, (relation, mode, rewrite, scan)) in RULE_CLAIMS.items():
            measured = found[rule.lower()]
            modes = _locks(measured, relation)
            rewrote = relation in measured["rewritten"]
            scanned = bool(measured["scanned"])
            table.append(
                f"{rule} | {claim} | {', '.join(sorted(modes)) or 'no lock'} on {relation}"
                f"{', rewrote it' if rewrote else ''}{', scanned rows' if scanned else ''}"
            )
            if (rule.lower(), rule) not in flagged:
                wrong.append(f"{rule}: the validator did not flag its own sample")
            if mode not in modes or rewrote != rewrite or scanned != scan:
                wrong.append(f"{rule}: claimed {mode}/rewrite={rewrite}/scan={scan}")
        for name in NO_REWRITE:
            measured = found[name]
            rewrote = "public.labels" in measured["rewritten"]
            said = [f for f in findings if f["rule"] == "LCK14" and name in f["file"]]
            severity = {f["severity"] for f in said}
            table.append(f"{name} | no rewrite, LCK14 {sorted(severity) or 'quiet'} | "
                         f"{'rewrote it' if rewrote else 'no rewrite'}")  # fmt: skip
            if rewrote:
                wrong.append(f"{name}: the trace rewrote public.labels")
            if severity - {"info"}:
                wrong.append(f"{name}: LCK14 warns of a rewrite that does not happen")
        print("\n".join(table))
        assert wrong == [], "\n".join(wrong + table)


def test_the_command_as_users_run_it() -> None:
    with project_dir("dbflow-trace-") as root:
        paths = _project(root, {"index": "create index items_price_idx on public.items (price);"})
        assert run(root, INV, "db.reset", "--no-seed").returncode == 0
        nothing = run(root, INV, "db.trace")
        assert nothing.returncode == 0 and "nothing to trace" in nothing.stdout, nothing.stdout

        out = root / "trace.txt"
        text = run(root, INV, "db.trace", "--file", str(paths[0]), "--rows", "500",
                   "--threshold-ms", "10000", "--output", str(out))  # fmt: skip
        assert_no_traceback(text)
        assert text.returncode == 0, text.stdout + text.stderr  # SHARE only: nothing flagged
        assert "Share on public.items" in out.read_text()
        assert "public.items 500" in text.stdout

        github = run(root, INV, "db.trace", "--file", str(paths[0]), "--rows", "500",
                     "--threshold-ms", "0", "--format", "github")  # fmt: skip
        assert github.returncode == 0  # no ACCESS EXCLUSIVE, no rewrite
        bad = run(root, INV, "db.trace", "--rows", "many")
        assert bad.returncode == 2 and "--rows" in bad.stderr


def test_every_migration_of_the_example_app_traces() -> None:
    """One file at a time, on tables filled with rows: auth.users and storage.objects are
    the platform's (their locks are reported, the seeder fills auth.users only)."""
    with project_dir("dbflow-trace-", app=True) as root:
        for path in sorted((root / "supabase" / "migrations").glob("*.sql")):
            report = _trace(root, "--file", str(path))
            assert report["traced"] == [f"supabase/migrations/{path.name}"]
            assert report["statements"], path.name
        profiles = str(next(root.glob("supabase/migrations/*_profiles.sql")))
        statements = _trace(root, "--file", profiles)["statements"]
        trigger = next(s for s in statements if "on_auth_user_created" in s["sql"])
        assert _locks(trigger, "auth.users") == {"ShareRowExclusiveLock"}  # as CREATE TRIGGER


def test_tables_whose_names_need_quotes_are_traced() -> None:
    """A table named "Users" (mixed case) is seeded and traced like any other."""
    with project_dir("dbflow-trace-quoted-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_users.sql").write_text(
            'create table public."Users" (id bigint primary key, "Full Name" text);\n'
            'alter table public."Users" enable row level security;\n'
        )
        assert run(root, INV, "db.reset", "--no-seed").returncode == 0
        (folder / "20250102000000_index.sql").write_text(
            'alter table public."Users" add column email text;\n'
        )
        traced = run(root, INV, "db.trace", "--rows", "2000", "--format", "json")
        assert_no_traceback(traced)
        assert traced.returncode in (0, 1), traced.stderr
        assert '"public.\\"Users\\"": 2000' in traced.stdout, traced.stdout[:2000]
        seeded = run(root, INV, "db.seed-dev", "--rows", 'public."Users"=7', "--fixed",
                     '"Users"."Full Name"=Ada')  # fmt: skip
        assert seeded.returncode == 0, seeded.stderr
