"""What a seed plan is: a plan per table (its count, its columns' producers, how each
foreign key picks its parent row, the rows it keeps) and the values of any row, computed
when asked, as pure functions of (seed, table, row, column)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dbflow.catalog.model import Column, ForeignKey, Table, TableKey
from dbflow.seed.aliases import Value
from dbflow.seed.checks import ColumnOrder, ColumnRule, TableRules
from dbflow.seed.people import person
from dbflow.seed.values import (
    Producer,
    column_hash,
    row_digest,
)

_MISSING = object()


Chooser = Callable[[int, bytes], int | None]  # (row number, row digest) -> a parent's row


# Schemas whose rows are runtime traffic, not data to invent: pgmq's queue tables (a message
# would be handed to the app's workers).
NOT_SEEDED = ("pgmq",)


_KEY_CACHE_LIMIT = 500_000  # parent keys kept per column; past that they are recomputed


@dataclass
class ColumnPlan:
    column: Column
    position: int
    producer: Producer | None = None
    foreign_key: ForeignKey | None = None
    fk_index: int = 0  # which column of the foreign key this is
    fixed: Value = None
    has_fixed: bool = False
    unique: bool = False
    deferred: bool = False  # NULL first, filled after every table (cycle break)
    numbered: bool = False  # a unique integer key: row + 1 (rows are numbered after existing ones)
    distinct: bool = False  # no two rows get one value (numbered, a uuid key, one row per parent)
    person: tuple[ForeignKey | None, str] | None = None  # (the user it is about, field)


@dataclass
class TablePlan:
    table: Table
    count: int
    columns: list[ColumnPlan]
    rules: TableRules
    fk_choosers: dict[str, Value] = field(default_factory=dict)
    edge_rows: int = 0
    reserved: int = 0  # leading rows that are named fixtures: never picked at random
    row_offset: int = 0  # numbered tables that already have rows: generated rows come after
    notes: list[str] = field(default_factory=list)
    live: list[int] = field(default_factory=lambda: [0])  # branches of the CHECKs still in use
    branch_salt: int = 0
    branch_producers: list[dict[str, Producer]] = field(default_factory=list)
    # rows already there before the generated ones (a migration's, a seed file's): parents too
    extra_rows: list[dict[str, Value]] = field(default_factory=list)
    seed_file_keys: set[tuple[Value, ...]] = field(default_factory=set)  # their primary keys
    skipped: str | None = None  # why the table is left empty (a warning), when it is
    # The generated rows kept, by the row number they were built from (None: all of them);
    # rows a unique key, an exclusion constraint or a missing parent refuses are left out.
    source_rows: list[int] | None = None
    planned: int = -1  # ``count`` as planned, before rows were left out (edge rows follow it)
    refused: int = 0  # rows the database refused one by one (the planner missed a rule)
    # CHECK orders between foreign-key columns (``follower <> followee``): parents are
    # chosen apart for ``<>``; every such order is checked row by row before loading
    parent_orders: list[ColumnOrder] = field(default_factory=list)
    # column sets whose combinations rows walk one by one (a join table's pair of parents,
    # ``unique (user_id, provider)`` over a short list): distinct while the parents keep
    # their planned rows
    walked: list[frozenset[str]] = field(default_factory=list)
    shrunk: bool = False  # fewer rows than planned (left out, or left empty)
    outside: bool = False  # a table dbflow does not seed (storage.buckets): only its rows there

    @property
    def key(self) -> TableKey:
        return self.table.key

    @property
    def total(self) -> int:
        return self.count + self.edge_rows

    @property
    def available(self) -> int:
        """Rows children can point at: the generated ones and those already there."""
        return self.total + len(self.extra_rows)

    def source(self, row: int) -> int:
        """The row number generated row ``row`` was built from."""
        return row if self.source_rows is None else self.source_rows[row]

    def skip(self, reason: str) -> None:
        """Leave the table without generated rows, saying why."""
        self.count = self.edge_rows = 0
        self.source_rows = None
        self.shrunk = True
        name = self.table.name
        reason = "; ".join(
            part.removeprefix(f"{name}: ").removeprefix(f"{name}.") for part in reason.split("; ")
        )
        if self.skipped is None:
            self.skipped = reason


@dataclass
class SeedPlan:
    seed: int
    realistic: bool
    tables: list[TablePlan]
    by_key: dict[TableKey, TablePlan]
    cycle_breaks: list[tuple[TableKey, ForeignKey]]

    key_cache: dict[tuple[TableKey, str], dict[int, Value]] = field(default_factory=dict)

    def key_value(self, key: TableKey, row: int, column: str) -> Value:
        """The value generated row ``row`` of table ``key`` has in ``column`` (memoised, since
        children look their parents up again and again)."""
        cache = self.key_cache.setdefault((key, column), {})
        value = cache.get(row, _MISSING)
        if value is _MISSING:
            plan = self.by_key[key]
            if row >= plan.total and plan.extra_rows:  # a row a seed file wrote
                return plan.extra_rows[(row - plan.total) % len(plan.extra_rows)][column]
            column_plan = next(c for c in plan.columns if c.column.name == column)
            value = row_value(self, plan, plan.source(row), column_plan)
            if len(cache) < _KEY_CACHE_LIMIT:
                cache[row] = value
        return value


def row_value(seed_plan: SeedPlan, plan: TablePlan, row: int, column_plan: ColumnPlan) -> Value:
    """The value of ``column_plan`` in the row built from row number ``row``."""
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
    if column_plan.person is not None:
        return person_value(seed_plan, plan, column_plan, row, digest)
    assert column_plan.producer is not None
    return column_plan.producer(row + plan.row_offset, h)


NO_RULE = ColumnRule()


def person_value(
    seed_plan: SeedPlan, plan: TablePlan, column_plan: ColumnPlan, row: int, digest: bytes
) -> Value:
    """A person column: the person of the user the row points at, or the row's own person."""
    source, field_name = column_plan.person or (None, "")
    if source is not None and source.name in plan.fk_choosers:
        parent_row = plan.fk_choosers[source.name](row, digest)
        users = seed_plan.by_key.get(source.target)
        if parent_row is not None and users is not None and parent_row < users.total:
            limit = column_plan.column.max_length or 10**9
            who = person(seed_plan.seed, "auth.users", users.source(parent_row))
            return str(getattr(who, field_name))[:limit]
    assert column_plan.producer is not None
    return column_plan.producer(row + plan.row_offset, 0)


def branch_of(plan: TablePlan, row: int) -> int:
    """Which branch of the table's CHECKs row ``row`` is built in (varies along the rows)."""
    live = plan.live
    if len(live) == 1:
        return live[0]
    mixed = ((row + plan.branch_salt) * 2654435761) & 0xFFFFFFFF
    return live[(mixed >> 13) % len(live)]
