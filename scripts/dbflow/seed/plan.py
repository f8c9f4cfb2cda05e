"""Plan a seed over the foreign-key graph: order, counts, how each column gets its value.

Everything that can fail is found here, before a row is written: a cycle of NOT NULL
foreign keys (named), a CHECK the generators cannot satisfy (named, with how to override
the column), a type with no generator. Without ``strict``, such a table is left empty with
the reason, and so are the tables that need its rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dbflow.catalog.model import AUTH_USERS, Catalog, Table, TableKey
from dbflow.errors import SeedPlanError
from dbflow.seed.aliases import Value
from dbflow.seed.checks import TableRules, table_rules
from dbflow.seed.columns import pin_fixture_ids, plan_columns
from dbflow.seed.model import NOT_SEEDED, SeedPlan, TablePlan
from dbflow.seed.names import resolve_counts, resolve_fixed
from dbflow.seed.order import seed_order
from dbflow.seed.parents import (
    enumerate_small_keys,
    plan_foreign_keys,
    random_parent,
    share_overlapping_keys,
)
from dbflow.seed.shape import fk_limit, row_count
from dbflow.seed.values import (
    row_digest,
)


def build_plan(
    catalog: Catalog,
    *,
    seed: int,
    realistic: bool,
    counts: Mapping[str, int],
    users: int,
    orgs: int,
    default_rows: int,
    fixed: Mapping[str, str],
    edge_rows: int = 0,
    fixture_ids: list[Value] | None = None,
    existing: Mapping[TableKey, list[dict[str, Value]]] | None = None,
    outside: Mapping[TableKey, list[dict[str, Value]]] | None = None,
    strict: bool = False,
) -> SeedPlan:
    """Order the tables, choose counts, and give every column a way to get its value.

    A table that cannot be filled is left empty with the reason (``TablePlan.skipped``), and
    so are the tables whose required foreign keys need its rows; ``strict`` makes any such
    table an error instead. ``existing`` holds rows already in a table (a migration's, a seed
    file's), which children may point at like generated ones; ``outside`` the rows of tables
    foreign keys point at that dbflow does not seed (``storage.buckets`` a migration filled)."""
    tables = {key: table for key, table in catalog.tables.items() if key[0] not in NOT_SEEDED}
    order, cycle_breaks, unordered = seed_order(tables, strict=strict)
    counts = resolve_counts(counts, tables)
    fixed = resolve_fixed(fixed, tables)
    plans: dict[TableKey, TablePlan] = {
        key: TablePlan(Table(key), 0, [], TableRules(), extra_rows=list(rows), outside=True)
        for key, rows in (outside or {}).items()
        if key not in tables
    }
    ask = _Ask(seed, realistic, counts, users, orgs, default_rows, fixed, edge_rows, fixture_ids)
    problems: list[str] = []
    for key in order:
        found = [unordered[key]] if key in unordered else []
        deferred = {fk.name for table_key, fk in cycle_breaks if table_key == key}
        plan = _plan_table(catalog, tables[key], ask, plans, deferred, found)
        plan.extra_rows = list((existing or {}).get(key, ()))
        plan_foreign_keys(plan, plans, deferred)
        enumerate_small_keys(plan, plans)
        if found and plan.planned:
            if strict:
                problems.extend(found)
            else:
                plan.skip("; ".join(_without_hint(problem) for problem in found))
        plan.planned = plan.count
    if problems:
        raise unseedable(problems)
    for key, fk in cycle_breaks:  # the parent is planned only now that every table is
        child = plans[key]
        child.fk_choosers[fk.name] = random_parent(
            plans[fk.target], fk.columns[0], child.table, True
        )
    ordered = [plans[key] for key in order]
    seed_plan = SeedPlan(seed, realistic, ordered, plans, cycle_breaks)
    for plan in ordered:
        share_overlapping_keys(seed_plan, plan)
    if fixture_ids is not None and AUTH_USERS in plans:
        pin_fixture_ids(plans[AUTH_USERS], fixture_ids)
    return seed_plan


@dataclass(frozen=True)
class _Ask:
    """What the seed was asked for, the same for every table."""

    seed: int
    realistic: bool
    counts: Mapping[str, int]
    users: int
    orgs: int
    default_rows: int
    fixed: Mapping[str, str]
    edge_rows: int
    fixture_ids: list[Value] | None


def _plan_table(
    catalog: Catalog,
    table: Table,
    ask: _Ask,
    plans: dict[TableKey, TablePlan],
    deferred: set[str],
    found: list[str],
) -> TablePlan:
    """One table's count, the branches of its CHECKs and its columns' producers; what stops
    it from being filled goes into ``found``. ``planned`` holds the asked count for now."""
    key = table.key
    count = row_count(table, ask.counts, ask.users, ask.orgs, ask.default_rows, plans)
    prefix = f"{table.name}."
    overridden = {name[len(prefix) :] for name in ask.fixed if name.startswith(prefix)}
    rules = table_rules(table, overridden)
    if count:  # an empty table (--rows TABLE=0) needs no satisfiable CHECK
        found.extend(rules.problems)
    edges = ask.edge_rows if key != AUTH_USERS else 0
    limit = fk_limit(table, plans)
    if limit is not None and count + edges > limit:
        edges = min(edges, limit)
        count = limit - edges
    plan = TablePlan(table, count, [], rules, edge_rows=edges, planned=count)
    plan.live = list(range(len(rules.branches)))
    plan.branch_salt = int.from_bytes(row_digest(ask.seed, table.name, -1)[:2], "big")
    for source, trigger in catalog.feeding_triggers(key):
        plan.notes.append(
            f"rows also arrive through trigger {trigger.name} on {source.name}: "
            "they are completed, not inserted twice"
        )
    if key == AUTH_USERS and ask.fixture_ids is not None:
        plan.reserved = min(len(ask.fixture_ids), count)
    plans[key] = plan
    plan_columns(plan, ask.seed, ask.realistic, ask.fixed, deferred, found)
    return plan


def _without_hint(problem: str) -> str:
    """A planning problem without its ``--fixed`` advice (the skip line gives the hint)."""
    return re.split(r"; (?:override a column|give it a value)", problem, maxsplit=1)[0]


def unseedable(problems: list[str]) -> SeedPlanError:
    """The one error for a schema that cannot be seeded as asked (found before writing)."""
    return SeedPlanError(
        "the schema cannot be seeded as asked; nothing was written",
        detail="\n".join(problems),
        hint="use --fixed TABLE.COLUMN=VALUE for a column dbflow cannot fill, or --rows "
        "TABLE=0 to leave a table empty",
    )
