"""Plan a seed over the foreign-key graph: order, counts, how each column gets its value.

Everything that can fail is found here, before a row is written: a cycle of NOT NULL
foreign keys (named), a CHECK the generators cannot satisfy (named, with how to override
the column), a type with no generator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbflow.catalog.model import AUTH_USERS, Catalog, Column, ForeignKey, Table, TableKey
from dbflow.errors import DbflowError, SeedPlanError
from dbflow.seed.checks import ColumnOrder, ColumnRule, TableRules, check_columns, table_rules
from dbflow.seed.order import seed_order
from dbflow.seed.shape import fk_limit, join_keys, one_to_one, row_count, unique_column_sets
from dbflow.seed.values import (
    Producer,
    UnknownType,
    coerce_fixed,
    column_hash,
    row_digest,
    row_uuid,
    scalar_producer,
)

_MISSING = object()
_KEY_CACHE_LIMIT = 500_000  # parent keys kept per column; past that they are recomputed


@dataclass
class ColumnPlan:
    column: Column
    position: int
    producer: Producer | None = None
    foreign_key: ForeignKey | None = None
    fk_index: int = 0  # which column of the foreign key this is
    fixed: Any = None
    has_fixed: bool = False
    unique: bool = False
    deferred: bool = False  # NULL first, filled after every table (cycle break)
    numbered: bool = False  # a unique integer key: row + 1 (rows are numbered after existing ones)


@dataclass
class TablePlan:
    table: Table
    count: int
    columns: list[ColumnPlan]
    rules: TableRules
    fk_choosers: dict[str, Any] = field(default_factory=dict)
    edge_rows: int = 0
    reserved: int = 0  # leading rows that are named fixtures: never picked at random
    row_offset: int = 0  # numbered tables that already have rows: generated rows come after
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> TableKey:
        return self.table.key

    @property
    def total(self) -> int:
        return self.count + self.edge_rows


@dataclass
class SeedPlan:
    seed: int
    realistic: bool
    tables: list[TablePlan]
    by_key: dict[TableKey, TablePlan]
    cycle_breaks: list[tuple[TableKey, ForeignKey]]

    key_cache: dict[tuple[TableKey, str], dict[int, Any]] = field(default_factory=dict)

    def key_value(self, key: TableKey, row: int, column: str) -> Any:
        """The value generated row ``row`` of table ``key`` has in ``column`` (memoised, since
        children look their parents up again and again)."""
        cache = self.key_cache.setdefault((key, column), {})
        value = cache.get(row, _MISSING)
        if value is _MISSING:
            plan = self.by_key[key]
            column_plan = next(c for c in plan.columns if c.column.name == column)
            value = row_value(self, plan, row, column_plan)
            if len(cache) < _KEY_CACHE_LIMIT:
                cache[row] = value
        return value


def row_value(seed_plan: SeedPlan, plan: TablePlan, row: int, column_plan: ColumnPlan) -> Any:
    if column_plan.has_fixed:
        return column_plan.fixed
    digest = row_digest(seed_plan.seed, plan.table.name, row + plan.row_offset)
    h = column_hash(digest, column_plan.position)
    if column_plan.foreign_key is not None:
        chooser = plan.fk_choosers[column_plan.foreign_key.name]
        parent_row = chooser(row, digest)
        if parent_row is None:
            return None
        target = column_plan.foreign_key.target_columns[column_plan.fk_index]
        return seed_plan.key_value(column_plan.foreign_key.target, parent_row, target)
    assert column_plan.producer is not None
    return column_plan.producer(row + plan.row_offset, h)


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
    fixture_ids: list[Any] | None = None,
) -> SeedPlan:
    """Order the tables, choose counts, and give every column a way to get its value."""
    tables = {key: table for key, table in catalog.tables.items()}
    order, cycle_breaks = seed_order(tables)
    _check_counts(counts, tables)
    _check_fixed(fixed, tables)
    plans: dict[TableKey, TablePlan] = {}
    problems: list[str] = []
    for key in order:
        table = tables[key]
        count = row_count(table, counts, users, orgs, default_rows, plans)
        rules = table_rules(
            table.checks,
            {column.name: column.domain_checks for column in table.columns if column.domain_checks},
        )
        overridden = {
            name.rsplit(".", 1)[-1]
            for name in fixed
            if name.rsplit(".", 1)[0] in (key[1], f"{key[0]}.{key[1]}")
        }
        for check in rules.unsupported:
            if check_columns(check) <= overridden:
                continue  # every column it reads has a value given by the user
            problems.append(
                f"{table.name}: CHECK {check.name} ({check.definition}) is not a shape dbflow can "
                f"satisfy; override a column it uses with --fixed {key[1]}.COLUMN=VALUE"
            )
        deferred = {fk.name for table_key, fk in cycle_breaks if table_key == key}
        edges = edge_rows if key != AUTH_USERS else 0
        limit = fk_limit(table, plans)
        if limit is not None and count + edges > limit:
            edges = min(edges, limit)
            count = limit - edges
        plan = TablePlan(table, count, [], rules, edge_rows=edges)
        for source, trigger in catalog.feeding_triggers(key):
            plan.notes.append(
                f"rows also arrive through trigger {trigger.name} on {source.name}: "
                "they are completed, not inserted twice"
            )
        if key == AUTH_USERS and fixture_ids is not None:
            plan.reserved = min(len(fixture_ids), count)
        plans[key] = plan
        _plan_columns(plan, seed, realistic, fixed, deferred, problems)
        _plan_foreign_keys(plan, plans, deferred)
    if problems:
        raise SeedPlanError(
            "the schema cannot be seeded as asked; nothing was written",
            detail="\n".join(problems),
            hint="use --fixed TABLE.COLUMN=VALUE for a column dbflow cannot fill, or --rows "
            "TABLE=0 to leave a table empty",
        )
    for key, fk in cycle_breaks:  # the parent is planned only now that every table is
        child = plans[key]
        child.fk_choosers[fk.name] = _random_parent(
            plans[fk.target], fk.columns[0], child.table, True
        )
    ordered = [plans[key] for key in order]
    seed_plan = SeedPlan(seed, realistic, ordered, plans, cycle_breaks)
    if fixture_ids is not None and AUTH_USERS in plans:
        _pin_fixture_ids(plans[AUTH_USERS], fixture_ids)
    return seed_plan


def _check_counts(counts: Mapping[str, int], tables: dict[TableKey, Table]) -> None:
    names = {key[1] for key in tables} | {f"{key[0]}.{key[1]}" for key in tables}
    for name, count in counts.items():
        if name not in names:
            raise SeedPlanError(f"--rows {name}={count}: no table {name!r} to seed")
        if count < 0:
            raise SeedPlanError(f"--rows {name}={count}: a count cannot be negative")


def _check_fixed(fixed: Mapping[str, str], tables: dict[TableKey, Table]) -> None:
    """Every --fixed TABLE.COLUMN names a table to seed and one of its columns."""
    for name, value in fixed.items():
        table_name, dot, column_name = name.rpartition(".")
        matches = [
            table for key, table in tables.items() if table_name in (key[1], f"{key[0]}.{key[1]}")
        ]
        if not dot or not table_name:
            raise SeedPlanError(f"--fixed {name}={value}: name a column as TABLE.COLUMN")
        if not matches:
            raise SeedPlanError(f"--fixed {name}={value}: no table {table_name!r} to seed")
        if not any(column.name == column_name for column in matches[0].columns):
            known = ", ".join(column.name for column in matches[0].columns)
            raise SeedPlanError(
                f"--fixed {name}={value}: table {matches[0].name} has no column {column_name!r}",
                hint=f"its columns: {known}",
            )


def _plan_columns(
    plan: TablePlan,
    seed: int,
    realistic: bool,
    fixed: Mapping[str, str],
    deferred: set[str],
    problems: list[str],
) -> None:
    table = plan.table
    fk_columns = {
        column: (fk, index) for fk in table.foreign_keys for index, column in enumerate(fk.columns)
    }
    unique_single = {columns[0] for columns in unique_column_sets(table) if len(columns) == 1}
    for position, column in enumerate(table.columns):
        if column.generated:
            continue
        column_plan = ColumnPlan(column, position, unique=column.name in unique_single)
        override = fixed.get(
            f"{table.key[1]}.{column.name}", fixed.get(f"{table.name}.{column.name}")
        )
        if override is not None:
            try:
                column_plan.fixed, column_plan.has_fixed = coerce_fixed(column, override), True
            except ValueError:
                problems.append(
                    f"{table.name}.{column.name}: --fixed value {override!r} is not a "
                    f"{column.type_name}"
                )
                continue
        elif column.name in fk_columns:
            fk, index = fk_columns[column.name]
            column_plan.foreign_key, column_plan.fk_index = fk, index
            column_plan.deferred = fk.name in deferred
        elif column.name in table.primary_key and column.base_type == "uuid":
            name = table.name
            column_plan.producer = lambda row, h, name=name: row_uuid(seed, name, row)
        elif (
            (column_plan.unique or column.name in table.primary_key)
            and column.base_type
            in (
                "int2",
                "int4",
                "int8",
            )
            and column.name not in plan.rules.columns
        ):
            column_plan.numbered = True
            column_plan.producer = lambda row, h: row + 1
        else:
            rule = plan.rules.columns.get(column.name, ColumnRule())
            try:
                column_plan.producer = scalar_producer(
                    column,
                    rule,
                    unique=column_plan.unique or column.name in table.primary_key,
                    table=table.key[1],
                    realistic=realistic,
                    seed=seed,
                )
            except UnknownType as exc:
                if column.not_null and not column.has_default:
                    problems.append(
                        f"{table.name}.{column.name}: {exc.message}; give it a value with "
                        f"--fixed {table.key[1]}.{column.name}=VALUE"
                    )
                    continue
                plan.notes.append(f"{column.name} left to its default ({exc.message})")
                continue
            except DbflowError as exc:
                problems.append(f"{table.name}.{column.name}: {exc.message}")
                continue
        plan.columns.append(column_plan)
    _apply_orders(plan, seed, problems)


def _apply_orders(plan: TablePlan, seed: int, problems: list[str]) -> None:
    """``a <= b`` between columns: draw both; the smaller goes to one, the larger to the other."""
    by_name = {column_plan.column.name: column_plan for column_plan in plan.columns}
    orders = list(plan.rules.orders)
    created, updated = by_name.get("created_at"), by_name.get("updated_at")
    if created and updated and created.producer and updated.producer:
        orders.append(ColumnOrder("created_at", "<=", "updated_at"))  # realism, not a CHECK
    for order in orders:
        left, right = by_name.get(order.left), by_name.get(order.right)
        if left is None or right is None or left.producer is None or right.producer is None:
            problems.append(
                f"{plan.table.name}: cannot order {order.left} {order.op} {order.right}"
            )
            continue
        if order.op not in ("<", "<=", ">", ">="):
            problems.append(
                f"{plan.table.name}: cannot satisfy {order.left} {order.op} {order.right}"
            )
            continue
        _derive(plan.table.name, seed, left, right, order.op)


def _derive(table: str, seed: int, left: ColumnPlan, right: ColumnPlan, op: str) -> None:
    draw_left, draw_right = left.producer, right.producer
    assert draw_left is not None and draw_right is not None
    left_position, right_position = left.position, right.position
    left_is_smaller = op in ("<", "<=")
    strict = op in ("<", ">")

    def pair(row: int) -> tuple[Any, Any]:
        digest = row_digest(seed, table, row)
        a = draw_left(row, column_hash(digest, left_position))
        b = draw_right(row, column_hash(digest, right_position))
        if a is None or b is None:
            return a, b
        low, high = (a, b) if a <= b else (b, a)
        if strict and low == high:
            high = high + 1
        return (low, high) if left_is_smaller else (high, low)

    left.producer = lambda row, h: pair(row)[0]
    right.producer = lambda row, h: pair(row)[1]


def _plan_foreign_keys(
    plan: TablePlan, plans: dict[TableKey, TablePlan], deferred: set[str]
) -> None:
    table = plan.table
    one = one_to_one(table)
    join = join_keys(table)
    for fk in table.foreign_keys:
        nullable = all(not table.column(column).not_null for column in fk.columns)
        if fk.target == table.key:
            plan.fk_choosers[fk.name] = _self_reference(nullable)
            continue
        if fk.name in deferred:
            continue  # chosen once every table is planned (see build_plan)
        parent = plans.get(fk.target)
        if parent is None or parent.total == 0:
            if not nullable:
                plan.count = plan.edge_rows = 0
                plan.notes.append(f"no rows: {fk.target[0]}.{fk.target[1]} is not seeded")
            plan.fk_choosers[fk.name] = lambda row, digest: None
            continue
        if one is not None and fk.name == one.name:
            plan.reserved = parent.reserved
            plan.fk_choosers[fk.name] = lambda row, digest: row
        elif fk in join:
            radix = 1
            for earlier in join[: join.index(fk)]:
                radix *= plans[earlier.target].total - plans[earlier.target].reserved
            size, first = parent.total - parent.reserved, parent.reserved
            plan.fk_choosers[fk.name] = lambda row, digest, radix=radix, size=size, first=first: (
                first + (row // radix) % size if size > 0 else None
            )
        else:
            plan.fk_choosers[fk.name] = _random_parent(parent, fk.columns[0], table, nullable)


def _random_parent(parent: TablePlan, column: str, table: Table, nullable: bool) -> Any:
    position = next(i for i, c in enumerate(table.columns) if c.name == column)
    first = parent.reserved if parent.total > parent.reserved else 0
    span = parent.total - first

    def choose(row: int, digest: bytes) -> int | None:
        h = column_hash(digest, position)
        if nullable and h % 20 == 0:
            return None
        return first + h % span

    return choose


def _self_reference(nullable: bool) -> Any:
    def choose(row: int, digest: bytes) -> int | None:
        if row == 0:
            return None if nullable else 0
        return int.from_bytes(digest[-4:], "big") % row

    return choose


def _pin_fixture_ids(plan: TablePlan, fixture_ids: list[Any]) -> None:
    for column_plan in plan.columns:
        if column_plan.column.name == "id" and column_plan.producer is not None:
            generated = column_plan.producer

            def pinned(row: int, h: int, generated: Producer = generated) -> Any:
                return fixture_ids[row] if row < len(fixture_ids) else generated(row, h)

            column_plan.producer = pinned
