"""A comparison corpus against squawk: for each squawk default rule that matches one of ours,
a migration both should flag; and cases where dbflow deliberately differs (fewer false alarms
thanks to the history model). squawk comes from the squawk-cli wheel (a dev dependency)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.validate_helpers import rule_ids, run

GIVEN = (
    "create table public.orders (id bigint primary key, customer_id bigint, note varchar(20), "
    "total int not null);\n"
    "create table public.customers (id bigint primary key);\n"
)


@dataclass(frozen=True)
class Case:
    squawk_rule: str
    dbflow_rule: str
    sql: str
    squawk_flags: bool = True  # False: a case where squawk is known to stay silent
    dbflow_flags: bool = True  # False: dbflow deliberately does not flag it


CASES = [
    Case("adding-required-field", "CMP05", "alter table public.orders add column b int not null;"),
    Case("ban-drop-column", "DAT02", "alter table public.orders drop column note;"),
    Case("ban-drop-table", "DAT01", "drop table public.orders;"),
    Case("ban-drop-database", "DAT04", "drop database app;"),
    Case("ban-truncate-cascade", "DAT05", "truncate public.orders cascade;"),
    Case(
        "changing-column-type", "LCK14", "alter table public.orders alter column total type text;"
    ),
    Case(
        "constraint-missing-not-valid",
        "LCK08",
        "alter table public.orders add constraint total_positive check (total > 0);",
    ),
    Case(
        "adding-foreign-key-constraint",
        "LCK08",
        "alter table public.orders add constraint orders_customer_fk foreign key (customer_id) "
        "references public.customers (id);",
    ),
    Case(
        "disallowed-unique-constraint",
        "LCK10",
        "alter table public.orders add constraint note_unique unique (note);",
    ),
    Case("renaming-column", "CMP02", "alter table public.orders rename column note to comment;"),
    Case("renaming-table", "CMP01", "alter table public.orders rename to purchases;"),
    Case(
        "require-concurrent-index-creation",
        "LCK01",
        "create index orders_customer_idx on public.orders (customer_id);",
    ),
    Case("require-concurrent-index-deletion", "LCK02", "drop index public.orders_note_idx;"),
    Case("ban-char-field", "STY03", "create table public.c (id bigint primary key, code char(3));"),
    Case(
        "prefer-timestamp-tz",
        "STY04",
        "create table public.e (id bigint primary key, at timestamp);",
    ),
    Case("prefer-identity", "STY02", "create table public.s (id bigserial primary key);"),
    Case(
        "ban-create-domain-with-constraint",
        "LCK22",
        "create domain public.pos as int check (value > 0);",
    ),
    Case(
        "ban-drop-not-null", "CMP06", "alter table public.orders alter column total drop not null;"
    ),
    Case(
        "adding-field-with-default",
        "LCK15",
        "alter table public.orders add column token uuid default gen_random_uuid();",
    ),
    # Where dbflow is quieter on purpose: the table is created in the same file, so it is
    # empty and nothing waits on its locks.
    Case(
        "require-concurrent-index-creation",
        "LCK01",
        "create table public.fresh (id bigint primary key, a int);\n"
        "create index fresh_a_idx on public.fresh (a);",
        dbflow_flags=False,
    ),
    Case(
        "adding-required-field",
        "CMP05",
        "create table public.fresh2 (id bigint primary key);\n"
        "alter table public.fresh2 add column b int not null;",
        dbflow_flags=False,
    ),
    # Where dbflow sees what squawk does not: a policy that would be ignored (RLS never on).
    Case(
        "(none)",
        "SEC02",
        "create table public.notes (id bigint primary key, user_id uuid);\n"
        'create policy "own" on public.notes for select to authenticated '
        "using ((select auth.uid()) = user_id);",
        squawk_flags=False,
    ),
]

SQUAWK = shutil.which("squawk") or str(Path(sys.executable).with_name("squawk"))


def _squawk_rules(tmp_path: Path, sql: str) -> set[str]:
    path = tmp_path / "squawk_case.sql"
    path.write_text(sql + "\n")
    result = subprocess.run(
        [SQUAWK, "--reporter", "json", str(path)], capture_output=True, text=True, check=False
    )
    return {item["rule_name"] for item in json.loads(result.stdout or "[]")}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.dbflow_rule}-{c.squawk_rule}" for c in CASES])
def test_dbflow_side(tmp_path: Path, case: Case) -> None:
    given = GIVEN + "create index orders_note_idx on public.orders (note);\n"
    report = run(tmp_path, given, case.sql)
    flagged = case.dbflow_rule in rule_ids(report)
    assert flagged == case.dbflow_flags, [f.rule_id for f in report.findings]


@pytest.mark.skipif(not Path(SQUAWK).exists(), reason="squawk-cli is not installed")
def test_squawk_side_and_differences(tmp_path: Path) -> None:
    differences = []
    for case in CASES:
        flagged = case.squawk_rule in _squawk_rules(tmp_path, case.sql)
        assert flagged == case.squawk_flags, (case.squawk_rule, case.sql)
        if flagged != case.dbflow_flags:
            differences.append(f"{case.squawk_rule} vs {case.dbflow_rule}: {case.sql[:60]}")
    print("\nwhere dbflow and squawk differ on purpose:\n  " + "\n  ".join(differences))
    assert len(differences) == 3
