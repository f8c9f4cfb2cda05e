"""Plan a seed over the foreign-key graph: order, counts, how each column gets its value.

Everything that can fail is found here, before a row is written: a cycle of NOT NULL
foreign keys (named), a CHECK the generators cannot satisfy (named, with how to override
the column), a type with no generator.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dbflow.catalog.model import AUTH_USERS, Catalog, Column, ForeignKey, Table, TableKey
from dbflow.errors import DbflowError, SeedPlanError
from dbflow.seed.checks import ColumnOrder, ColumnRule, TableRules, table_rules
from dbflow.seed.json_schema import schema_columns, schema_producer
from dbflow.seed.order import seed_order
from dbflow.seed.people import person, person_field, person_field_producer
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
    fixed: Any = None
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
    fk_choosers: dict[str, Any] = field(default_factory=dict)
    edge_rows: int = 0
    reserved: int = 0  # leading rows that are named fixtures: never picked at random
    row_offset: int = 0  # numbered tables that already have rows: generated rows come after
    notes: list[str] = field(default_factory=list)
    live: list[int] = field(default_factory=lambda: [0])  # branches of the CHECKs still in use
    branch_salt: int = 0
    branch_producers: list[dict[str, Producer]] = field(default_factory=list)
    # rows already there before the generated ones (a migration's, a seed file's): parents too
    extra_rows: list[dict[str, Any]] = field(default_factory=list)
    seed_file_keys: set[tuple[Any, ...]] = field(default_factory=set)  # their primary keys
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

    key_cache: dict[tuple[TableKey, str], dict[int, Any]] = field(default_factory=dict)

    def key_value(self, key: TableKey, row: int, column: str) -> Any:
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


def row_value(seed_plan: SeedPlan, plan: TablePlan, row: int, column_plan: ColumnPlan) -> Any:
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
    existing: Mapping[TableKey, list[dict[str, Any]]] | None = None,
    outside: Mapping[TableKey, list[dict[str, Any]]] | None = None,
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
    counts = _resolve_counts(counts, tables)
    fixed = _resolve_fixed(fixed, tables)
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
        _plan_foreign_keys(plan, plans, deferred)
        _enumerate_small_keys(plan, plans)
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
        child.fk_choosers[fk.name] = _random_parent(
            plans[fk.target], fk.columns[0], child.table, True
        )
    ordered = [plans[key] for key in order]
    seed_plan = SeedPlan(seed, realistic, ordered, plans, cycle_breaks)
    for plan in ordered:
        _share_overlapping_keys(seed_plan, plan)
    if fixture_ids is not None and AUTH_USERS in plans:
        _pin_fixture_ids(plans[AUTH_USERS], fixture_ids)
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
    fixture_ids: list[Any] | None


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
    _plan_columns(plan, ask.seed, ask.realistic, ask.fixed, deferred, found)
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


def name_parts(name: str) -> list[str]:
    """A dotted name as its parts, PostgreSQL's way: ``public."Users"`` is ``public``,
    ``Users``; a quoted part keeps its case and its dots, ``""`` inside it is a quote."""
    parts, current, quoted, index = [], [], False, 0
    while index < len(name):
        char = name[index]
        if char == '"':
            if quoted and name[index + 1 : index + 2] == '"':
                current.append('"')
                index += 2
                continue
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _table_for(parts: list[str], tables: dict[TableKey, Table]) -> Table | None:
    """The table ``parts`` (``[table]`` or ``[schema, table]``) names: as written, else as
    PostgreSQL folds an unquoted name (to lower case)."""
    for candidate in (parts, [part.lower() for part in parts]):
        if len(candidate) == 2 and tuple(candidate) in tables:
            return tables[(candidate[0], candidate[1])]
        if len(candidate) == 1:
            matches = [table for key, table in tables.items() if key[1] == candidate[0]]
            if matches:
                return sorted(matches, key=lambda table: table.key[0] != "public")[0]
    return None


def _resolve_counts(counts: Mapping[str, int], tables: dict[TableKey, Table]) -> dict[str, int]:
    """``--rows`` names (``skills``, ``public.skills``, ``public."Users"``) as ``schema.table``."""
    resolved: dict[str, int] = {}
    for name, count in counts.items():
        table = _table_for(name_parts(name), tables)
        if table is None:
            raise SeedPlanError(f"--rows {name}={count}: no table {name!r} to seed")
        if count < 0:
            raise SeedPlanError(f"--rows {name}={count}: a count cannot be negative")
        resolved[table.name] = count
    return resolved


def _resolve_fixed(fixed: Mapping[str, str], tables: dict[TableKey, Table]) -> dict[str, str]:
    """``--fixed TABLE.COLUMN`` names (quoted parts allowed) as ``schema.table.column``."""
    resolved: dict[str, str] = {}
    for name, value in fixed.items():
        parts = name_parts(name)
        if len(parts) < 2 or not parts[0]:
            raise SeedPlanError(f"--fixed {name}={value}: name a column as TABLE.COLUMN")
        table_name = ".".join(parts[:-1])
        table = _table_for(parts[:-1], tables)
        if table is None:
            raise SeedPlanError(f"--fixed {name}={value}: no table {table_name!r} to seed")
        columns = {column.name for column in table.columns}
        column = parts[-1] if parts[-1] in columns else parts[-1].lower()
        if column not in columns:
            known = ", ".join(column.name for column in table.columns)
            raise SeedPlanError(
                f"--fixed {name}={value}: table {table.name} has no column {parts[-1]!r}",
                hint=f"its columns: {known}",
            )
        resolved[f"{table.name}.{column}"] = value
    return resolved


def _plan_columns(
    plan: TablePlan,
    seed: int,
    realistic: bool,
    fixed: Mapping[str, str],
    deferred: set[str],
    problems: list[str],
) -> None:
    table = plan.table
    rules = plan.rules
    # A column in several foreign keys takes its value from the widest one (a composite key
    # to members(group_id, user_id) decides group_id, which then also matches groups).
    fk_columns = {
        column: (fk, index)
        for fk in sorted(table.foreign_keys, key=lambda fk: len(fk.columns))
        for index, column in enumerate(fk.columns)
    }
    unique_single = {columns[0] for columns in unique_column_sets(table) if len(columns) == 1}
    unique_single |= expression_unique_columns(table)
    unique_single |= _unique_with_parents(table, set(fk_columns))
    unique_single |= _exclusion_overlaps(table)
    person_source = _person_source(table)
    documents = schema_columns([condition.expr for condition in rules.conditions])
    factories: dict[str, Callable[[ColumnRule], Producer]] = {}
    for position, column in enumerate(table.columns):
        if column.generated:
            continue
        column_plan = ColumnPlan(column, position, unique=column.name in unique_single)
        override = fixed.get(f"{table.name}.{column.name}")
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
            column_plan.distinct = True
        elif (
            (column_plan.unique or column.name in table.primary_key)
            and column.base_type in ("int2", "int4", "int8")
            and column.name not in rules.constrained
        ):
            column_plan.numbered = column_plan.distinct = True
            column_plan.producer = lambda row, h: row + 1
        elif column.name in documents and column.base_type in ("json", "jsonb"):
            column_plan.producer = schema_producer(documents[column.name])
        elif (field_name := _person_column(column, table, rules)) is not None:
            source = person_source if not column_plan.unique or _one_per_user(table) else None
            column_plan.person = (source, field_name)
            column_plan.producer = _row_person(seed, table.name, field_name, column)
        else:
            factory = _drawn(plan, column, column_plan, seed, realistic, problems)
            if factory is None:
                continue
            factories[column.name] = factory
        plan.columns.append(column_plan)
    _branch_producers(plan, factories, seed, problems)


def _drawn(
    plan: TablePlan,
    column: Column,
    column_plan: ColumnPlan,
    seed: int,
    realistic: bool,
    problems: list[str],
) -> Callable[[ColumnRule], Producer] | None:
    """A column drawn from its type within its CHECK's rule: its producer is set, and the
    factory that makes one for each branch of the CHECKs is returned (None: the column is
    left out, to its default or with a problem said)."""
    table, rules = plan.table, plan.rules
    unique = column_plan.unique or column.name in table.primary_key

    def factory(rule: ColumnRule) -> Producer:
        return scalar_producer(
            column, rule, unique=unique, table=table.key[1], realistic=realistic, seed=seed
        )

    try:
        column_plan.producer = factory(rules.columns.get(column.name, NO_RULE))
    except UnknownType as exc:
        if column.not_null and not column.has_default:
            problems.append(
                f"{table.name}.{column.name}: {exc.message}; give it a value with "
                f"--fixed {table.key[1]}.{column.name}=VALUE"
            )
        else:
            plan.notes.append(f"{column.name} left to its default ({exc.message})")
        return None
    except DbflowError as exc:
        # The first branch of the CHECKs may leave no value (``x > 0`` and ``x < 1`` for an
        # integer) where another does: each branch gets its own producer.
        fallback = _any_branch(factory, rules, column.name)
        if fallback is None:
            problems.append(f"{table.name}.{column.name}: {exc.message}")
            return None
        column_plan.producer = fallback
    return factory


NO_RULE = ColumnRule()


def _any_branch(
    factory: Callable[[ColumnRule], Producer], rules: TableRules, name: str
) -> Producer | None:
    """A producer from the first branch of the CHECKs that allows the column a value."""
    for branch in rules.branches[1:]:
        try:
            return factory(branch.columns.get(name, NO_RULE))
        except DbflowError:
            continue
    return None


_TEXT_TYPES = ("text", "varchar", "bpchar", "citext")


def _person_column(column: Column, table: Table, rules: TableRules) -> str | None:
    if column.base_type not in _TEXT_TYPES or column.is_array or column.enum_labels:
        return None
    if column.name in rules.constrained:
        return None  # a CHECK decides its shape
    if table.key == AUTH_USERS:
        return None
    return person_field(column.name, table.key[1])


def _person_source(table: Table) -> ForeignKey | None:
    """The foreign key to the user a row is about (a profile's id, a member's user_id)."""
    to_users = [fk for fk in table.foreign_keys if fk.target == AUTH_USERS and len(fk.columns) == 1]
    one = one_to_one(table)
    if one is not None and one in to_users:
        return one
    for fk in to_users:
        if fk.columns[0] in ("id", "user_id", "profile_id", "owner_id", "account_id"):
            return fk
    return to_users[0] if to_users else None


def _one_per_user(table: Table) -> bool:
    one = one_to_one(table)
    return one is not None and one.target == AUTH_USERS


def _row_person(seed: int, table: str, field_name: str, column: Column) -> Producer:
    limit = column.max_length
    produce = person_field_producer(seed, table, field_name)
    if limit is None:
        return lambda row, h: produce(row)
    return lambda row, h: produce(row)[:limit]


def person_value(
    seed_plan: SeedPlan, plan: TablePlan, column_plan: ColumnPlan, row: int, digest: bytes
) -> Any:
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


def _unique_with_parents(table: Table, fk_columns: set[str]) -> set[str]:
    """A unique key mixing foreign-key columns with others (``unique (org_id, slug)``) holds
    when the other columns are unique on their own."""
    found: set[str] = set()
    for columns in unique_column_sets(table):
        others = [name for name in columns if name not in fk_columns]
        if len(columns) > 1 and others and len(others) < len(columns):
            found.add(others[0])
    return found


def expression_unique_columns(table: Table) -> set[str]:
    """Columns that an expression or partial unique index makes unique (``lower(email)``,
    ``code WHERE active``): generated as unique values, which satisfies any such index."""
    found: set[str] = set()
    names = {column.name for column in table.columns}
    for key in table.unique_keys:
        if key.expression:
            used = {word for word in _WORD.findall(key.expression) if word in names}
            if len(used) == 1:
                found |= used
        elif key.predicate and len(key.columns) == 1 and not _in_foreign_key(table, key.columns):
            found.add(key.columns[0])
    return found


def _exclusion_overlaps(table: Table) -> set[str]:
    """Columns an exclusion constraint compares with ``&&`` (``during WITH &&``): generated
    as unique values, which for ranges means rows that do not overlap."""
    found: set[str] = set()
    for constraint in table.constraints:
        if constraint.kind == "x":
            for match in re.finditer(r'("(?:[^"]|"")+"|\w+)\s+WITH\s+&&', constraint.definition):
                name = match.group(1)
                found.add(name[1:-1].replace('""', '"') if name.startswith('"') else name)
    return found


def _in_foreign_key(table: Table, columns: tuple[str, ...]) -> bool:
    return any(set(columns) & set(fk.columns) for fk in table.foreign_keys)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Pairs a row should keep in order though no CHECK says so (realism, not a constraint).
_IMPLICIT_ORDERS = (
    ("created_at", "updated_at"),
    ("created_at", "deleted_at"),
    ("created_at", "published_at"),
    ("start_date", "end_date"),
    ("starts_at", "ends_at"),
    ("start_time", "end_time"),
    ("start_at", "end_at"),
    ("started_at", "ended_at"),
    ("started_at", "finished_at"),
    ("started_at", "completed_at"),
    ("valid_from", "valid_until"),
    ("valid_from", "valid_to"),
    ("date_from", "date_to"),
    ("check_in", "check_out"),
)


def implicit_orders(names: set[str]) -> list[ColumnOrder]:
    found = [ColumnOrder(a, "<=", b) for a, b in _IMPLICIT_ORDERS if a in names and b in names]
    for name in names:
        for low, high in (("min_", "max_"), ("_min", "_max")):
            other = name.replace(low, high) if low in name else None
            if other and other != name and other in names:
                found.append(ColumnOrder(name, "<=", other))
    return found


def branch_of(plan: TablePlan, row: int) -> int:
    """Which branch of the table's CHECKs row ``row`` is built in (varies along the rows)."""
    live = plan.live
    if len(live) == 1:
        return live[0]
    mixed = ((row + plan.branch_salt) * 2654435761) & 0xFFFFFFFF
    return live[(mixed >> 13) % len(live)]


def _branch_producers(
    plan: TablePlan,
    factories: dict[str, Callable[[ColumnRule], Producer]],
    seed: int,
    problems: list[str],
) -> None:
    """Column orders in each branch; columns the CHECKs read dispatch on the row's branch."""
    by_name = {column_plan.column.name: column_plan for column_plan in plan.columns}
    rules = plan.rules
    drawn = {name for name, cp in by_name.items() if cp.producer is not None and not cp.numbered}
    realism = implicit_orders(drawn)
    if not rules.branching:
        shared: dict[str, Producer] = {
            name: producer for name in drawn if (producer := by_name[name].producer) is not None
        }
        declared = rules.branches[0].orders
        _order_all(plan, seed, by_name, shared, declared, realism, problems)
        for name, producer in shared.items():
            by_name[name].producer = producer
        return
    in_play = (
        rules.constrained
        | {o.left for b in rules.branches for o in b.orders}
        | {o.right for b in rules.branches for o in b.orders}
        | {o.left for o in realism}
        | {o.right for o in realism}
    ) & set(factories)
    per_branch: list[dict[str, Producer]] = []
    for index, branch in enumerate(rules.branches):
        producers: dict[str, Producer] = {}
        try:
            for name in in_play:
                producers[name] = factories[name](branch.columns.get(name, NO_RULE))
        except DbflowError:
            plan.live = [live for live in plan.live if live != index]
            per_branch.append({})
            continue
        _order_all(plan, seed, by_name, producers, branch.orders, realism, [])
        per_branch.append(producers)
    if not plan.live:
        problems.append(
            f"{plan.table.name}: no value satisfies its CHECKs "
            f"({'; '.join(c.check.name for c in rules.conditions)}); override a column with "
            f"--fixed {plan.key[1]}.COLUMN=VALUE"
        )
        return
    plan.branch_producers = per_branch
    for name in in_play:
        by_name[name].producer = _dispatch(plan, name)


def _dispatch(plan: TablePlan, name: str) -> Producer:
    def produce(row: int, h: int) -> Any:
        return plan.branch_producers[branch_of(plan, row - plan.row_offset)][name](row, h)

    return produce


def _order_all(
    plan: TablePlan,
    seed: int,
    by_name: dict[str, ColumnPlan],
    producers: dict[str, Producer],
    declared: list[ColumnOrder],
    realism: list[ColumnOrder],
    problems: list[str],
) -> None:
    """``a <= b`` between columns: draw both; the smaller goes to one, the larger to the other.
    Orders a CHECK declares must be met; the realistic ones only where both columns are free."""
    ordered = {(order.left, order.right) for order in declared} | {
        (order.right, order.left) for order in declared
    }
    for order in [*declared, *(o for o in realism if (o.left, o.right) not in ordered)]:
        left, right = producers.get(order.left), producers.get(order.right)
        if left is None or right is None:
            if order in declared and _between_parents(by_name, order):
                if order not in plan.parent_orders:
                    plan.parent_orders.append(order)
                continue
            if order in declared:
                problems.append(
                    f"{plan.table.name}: cannot order {order.left} {order.op} {order.right}"
                )
            continue
        if order.op == "=":
            producers[order.left] = right
            continue
        if order.op not in ("<", "<=", ">", ">="):
            continue
        producers[order.left], producers[order.right] = _derive(
            plan.table.name,
            seed,
            (left, by_name[order.left].position),
            (right, by_name[order.right].position),
            order.op,
            spread=_is_range(order.left, order.right),
        )


def _between_parents(by_name: dict[str, ColumnPlan], order: ColumnOrder) -> bool:
    """An order between two foreign-key columns: kept by choosing parents, not values."""
    sides = (by_name.get(order.left), by_name.get(order.right))
    return all(side is not None and side.foreign_key is not None for side in sides)


def _parents_apart(plan: TablePlan, plans: dict[TableKey, TablePlan]) -> None:
    """``a <> b`` over two foreign keys to one table (follows, friendships): the second key
    takes the next parent when it would pick the first one's."""
    by_name = {c.column.name: c for c in plan.columns}
    for order in plan.parent_orders:
        if order.op not in ("<>", "!="):
            continue
        first, second = by_name[order.left].foreign_key, by_name[order.right].foreign_key
        if (
            first is None
            or second is None
            or first.target != second.target
            or first.name not in plan.fk_choosers
            or second.name not in plan.fk_choosers
            or first.name == second.name
        ):
            continue
        parent = plans.get(second.target)
        if parent is None:
            continue
        lead, follow = plan.fk_choosers[first.name], plan.fk_choosers[second.name]
        start = parent.reserved if parent.total > parent.reserved else 0

        def apart(
            row: int,
            digest: bytes,
            lead: Chooser = lead,
            follow: Chooser = follow,
            parent: TablePlan = parent,
            start: int = start,
        ) -> int | None:
            chosen = follow(row, digest)
            if chosen is None or chosen != lead(row, digest):
                return chosen
            span = parent.available - start
            return start + (chosen - start + 1) % span if span > 1 else chosen

        plan.fk_choosers[second.name] = apart


def _is_range(left: str, right: str) -> bool:
    """``salary_min``/``salary_max``, ``min_price``/``max_price``: one quantity's bounds."""
    return (left.replace("min", "max") == right or right.replace("min", "max") == left) and (
        "min" in left or "min" in right
    )


def _derive(
    table: str,
    seed: int,
    left: tuple[Producer, int],
    right: tuple[Producer, int],
    op: str,
    spread: bool = False,
) -> tuple[Producer, Producer]:
    """Two columns in order. A range's bounds (``spread``) stay close: the upper one is the
    lower one plus 10 to 50 per cent, on the lower one's step."""
    (draw_left, left_position), (draw_right, right_position) = left, right
    left_is_smaller = op in ("<", "<=")
    strict = op in ("<", ">")

    def pair(row: int) -> tuple[Any, Any]:
        digest = row_digest(seed, table, row)
        a = draw_left(row, column_hash(digest, left_position))
        b = draw_right(row, column_hash(digest, right_position))
        if a is None or b is None:
            return a, b
        try:
            low, high = (a, b) if a <= b else (b, a)
        except TypeError:
            return a, b
        if spread and isinstance(low, int | Decimal) and not isinstance(low, bool) and low > 0:
            high = min(high, _widen(low, column_hash(digest, right_position)))  # both in range
        if strict and low == high:
            high = _next(high)
        small, large = (low, high) if left_is_smaller else (high, low)
        return _like(small, a, math.floor), _like(large, b, math.ceil)

    return (lambda row, h: pair(row)[0]), (lambda row, h: pair(row)[1])


def _widen(low: Any, h: int) -> Any:
    step = 1000 if low >= 10_000 else 1
    extra = low * (10 + h % 41) // 100 if isinstance(low, int) else low * (10 + h % 41) / 100
    if isinstance(low, int):
        return low + max(step, (extra // step) * step)
    return (low + extra).quantize(low) if isinstance(low, Decimal) else low + extra


def _like(value: Any, original: Any, rounding: Callable[[Any], int]) -> Any:
    """``value`` in the type of the column's own draw (an integer column ordered against a
    numeric one stays an integer)."""
    if isinstance(original, int) and not isinstance(original, bool) and not isinstance(value, int):
        return rounding(value)
    return value


def _next(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=1)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    if isinstance(value, str):
        return value + "z"
    return value + 1


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
        if parent is None or parent.available == 0:
            if not nullable:
                _without_parent(plan, parent, fk)
            plan.fk_choosers[fk.name] = lambda row, digest: None
            continue
        if parent.total == 0:  # only rows already there (a lookup table a migration filled)
            plan.fk_choosers[fk.name] = _random_parent(parent, fk.columns[0], table, nullable)
            continue
        if one is not None and fk.name == one.name:
            plan.reserved = parent.reserved
            plan.fk_choosers[fk.name] = lambda row, digest: row
        elif fk in join:
            plan.fk_choosers[fk.name] = _join_parent(plans, join, fk)
        else:
            plan.fk_choosers[fk.name] = _random_parent(parent, fk.columns[0], table, nullable)
    if one is not None and one.name in plan.fk_choosers:
        for column_plan in plan.columns:
            if column_plan.foreign_key is not None and column_plan.foreign_key.name == one.name:
                column_plan.distinct = True
    if join and all(fk.name in plan.fk_choosers for fk in join):
        plan.walked.append(frozenset(column for fk in join for column in fk.columns))
    _branch_nulls(plan, plans)
    _parents_apart(plan, plans)


def _join_parent(
    plans: dict[TableKey, TablePlan], join: list[ForeignKey], fk: ForeignKey
) -> Callable[[int, bytes], int | None]:
    """A join table's rows walk the combinations of its parents' rows (past the named
    fixtures), generated or already there, counted as they are when the rows are made."""
    earlier = [plans[other.target] for other in join[: join.index(fk)]]
    parent = plans[fk.target]

    def choose(row: int, digest: bytes) -> int | None:
        radix = 1
        for other in earlier:
            radix *= max(other.available - other.reserved, 0)
        size = parent.available - parent.reserved
        if size <= 0 or radix <= 0:
            return None
        return parent.reserved + (row // radix) % size

    return choose


def settle_parents(seed_plan: SeedPlan, plan: TablePlan) -> None:
    """Just before a table is loaded: a parent left empty after planning (a CHECK refused
    every value, the database refused its rows) empties this table where the foreign key is
    required, and leaves the key NULL where it is not."""
    for fk in plan.table.foreign_keys:
        parent = seed_plan.by_key.get(fk.target)
        if plan.total == 0 or fk.target == plan.key or fk.name not in plan.fk_choosers:
            continue
        if parent is None or parent.available > 0:
            continue
        name = f"{fk.target[0]}.{fk.target[1]}"
        if all(not plan.table.column(column).not_null for column in fk.columns):
            plan.fk_choosers[fk.name] = lambda row, digest: None
            plan.notes.append(f"{', '.join(fk.columns)} left NULL: {name} has no rows")
        elif parent.skipped is not None:
            plan.skip(f"needs rows from {name}, which is left empty")
        elif parent.outside:
            plan.skip(f"needs rows from {name}, which has none (dbflow does not seed it)")
        else:
            plan.count = plan.edge_rows = 0
            plan.notes.append(f"no rows: {name} has none")


def _without_parent(plan: TablePlan, parent: TablePlan | None, fk: ForeignKey) -> None:
    """A required foreign key whose table has no rows: this table gets none either."""
    name = f"{fk.target[0]}.{fk.target[1]}"
    if parent is not None and parent.skipped is not None:
        plan.skip(f"needs rows from {name}, which is left empty")
    elif parent is not None and parent.outside:
        plan.skip(f"needs rows from {name}, which has none (dbflow does not seed it)")
    elif plan.total:
        plan.count = plan.edge_rows = 0
        plan.notes.append(f"no rows: {name} is not seeded")


def _enumerate_small_keys(plan: TablePlan, plans: dict[TableKey, TablePlan]) -> None:
    """``unique (user_id, provider)`` with a provider from a short list (an enum, a boolean,
    a CHECK's IN list): rows walk the combinations (parent, value) like a join table."""
    by_name = {c.column.name: c for c in plan.columns}
    for columns in unique_column_sets(plan.table):
        if len(columns) != 2:
            continue
        fk_plans = [by_name.get(c) for c in columns]
        fk_side = [c for c in fk_plans if c is not None and c.foreign_key is not None]
        other = [c for c in fk_plans if c is not None and c.foreign_key is None]
        if len(fk_side) != 1 or len(other) != 1 or len(fk_side[0].foreign_key.columns) != 1:  # type: ignore[union-attr]
            continue
        domain = _finite_domain(other[0], plan.rules)
        fk = fk_side[0].foreign_key
        parent = plans.get(fk.target)  # type: ignore[union-attr]
        if not domain or parent is None or fk.name not in plan.fk_choosers:  # type: ignore[union-attr]
            continue
        first = parent.reserved if parent.total > parent.reserved else 0
        size = parent.total - first
        if size <= 0:
            continue
        width = len(domain)
        plan.count = min(plan.count, size * width)
        plan.edge_rows = 0
        plan.fk_choosers[fk.name] = lambda row, digest, w=width, f=first, n=size: f + (row // w) % n  # type: ignore[union-attr]
        other[0].producer = lambda row, h, d=tuple(domain), w=width: d[row % w]
        plan.walked.append(frozenset(columns))


def _finite_domain(column_plan: ColumnPlan, rules: TableRules) -> list[Any] | None:
    column = column_plan.column
    if column_plan.has_fixed or column.is_array:
        return None
    if rules.branching:
        return None
    rule = rules.columns.get(column.name)
    if rule is not None and rule.choices:
        return list(rule.choices)
    if column.enum_labels:
        return list(column.enum_labels)
    if column.base_type == "bool":
        return [False, True]
    return None


def _share_overlapping_keys(seed_plan: SeedPlan, plan: TablePlan) -> None:
    """Foreign keys that share columns (``(org_id, contact)`` and ``(org_id, address)``): the
    widest decides the shared columns, and each other one picks, among its parent's rows,
    one with the same values there."""
    keys = sorted(plan.table.foreign_keys, key=lambda fk: -len(fk.columns))
    followers: list[tuple[ForeignKey, list[str]]] = []
    for index, lead in enumerate(keys):
        for other in keys[index + 1 :]:
            shared = [c for c in other.columns if c in lead.columns]
            if (
                not shared
                or other.name not in plan.fk_choosers
                or lead.name not in plan.fk_choosers
            ):
                continue
            if other.target not in seed_plan.by_key or lead.target not in seed_plan.by_key:
                continue
            plan.fk_choosers[other.name] = _matching_parent(seed_plan, plan, lead, other, shared)
            if all(plan.table.column(c).not_null for c in other.columns):
                followers.append((other, shared))
        if followers:  # the lead picks only parents every required key can follow
            plan.fk_choosers[lead.name] = _lead_within(seed_plan, plan, lead, followers)
        break  # one lead per table: the widest key


def _lead_within(
    seed_plan: SeedPlan,
    plan: TablePlan,
    lead: ForeignKey,
    followers: list[tuple[ForeignKey, list[str]]],
) -> Callable[[int, bytes], int | None]:
    lead_choose = plan.fk_choosers[lead.name]
    lead_parent = seed_plan.by_key[lead.target]
    allowed: list[int] = []

    def present(other: ForeignKey, shared: list[str]) -> set[tuple[Any, ...]]:
        targets = [other.target_columns[other.columns.index(c)] for c in shared]
        parent = seed_plan.by_key[other.target]
        return {
            tuple(seed_plan.key_value(other.target, r, c) for c in targets)
            for r in range(parent.total + len(parent.extra_rows))
        }

    def followed(lead_row: int, sets: list[set[tuple[Any, ...]]]) -> bool:
        for (_, shared), values in zip(followers, sets, strict=True):
            lead_targets = [lead.target_columns[lead.columns.index(c)] for c in shared]
            wanted = tuple(seed_plan.key_value(lead.target, lead_row, c) for c in lead_targets)
            if wanted not in values:
                return False
        return True

    def choose(row: int, digest: bytes) -> int | None:
        first = lead_choose(row, digest)
        if first is None:
            return None
        if not allowed:
            rows = range(lead_parent.total + len(lead_parent.extra_rows))
            sets = [present(other, shared) for other, shared in followers]
            allowed.extend(r for r in rows if followed(r, sets))
            if not allowed:
                allowed.append(-1)
        if allowed == [-1]:
            return int(first)
        return allowed[int.from_bytes(digest[-12:-8], "big") % len(allowed)]

    return choose


def _matching_parent(
    seed_plan: SeedPlan, plan: TablePlan, lead: ForeignKey, other: ForeignKey, shared: list[str]
) -> Callable[[int, bytes], int | None]:
    lead_targets = [lead.target_columns[lead.columns.index(c)] for c in shared]
    other_targets = [other.target_columns[other.columns.index(c)] for c in shared]
    parent = seed_plan.by_key[other.target]
    by_values: dict[tuple[Any, ...], list[int]] = {}

    def choose(row: int, digest: bytes) -> int | None:
        lead_row = plan.fk_choosers[lead.name](row, digest)  # the lead's, as it is at the end
        if lead_row is None:
            return None
        if not by_values:
            for parent_row in range(parent.total + len(parent.extra_rows)):
                values = tuple(
                    seed_plan.key_value(other.target, parent_row, c) for c in other_targets
                )
                by_values.setdefault(values, []).append(parent_row)
        wanted = tuple(seed_plan.key_value(lead.target, lead_row, c) for c in lead_targets)
        candidates = by_values.get(wanted)
        if not candidates:
            return None
        return candidates[int.from_bytes(digest[-8:-4], "big") % len(candidates)]

    return choose


def _branch_nulls(plan: TablePlan, plans: dict[TableKey, TablePlan]) -> None:
    """A branch of the CHECKs may need a foreign key NULL (``(a IS NULL) <> (b IS NULL)``) or
    present: the chooser follows the row's branch."""
    branches = plan.rules.branches
    for fk in plan.table.foreign_keys:
        chooser = plan.fk_choosers.get(fk.name)
        if chooser is None:
            continue
        null = [any(b.columns.get(c, NO_RULE).null for c in fk.columns) for b in branches]
        present = [any(b.columns.get(c, NO_RULE).not_null for c in fk.columns) for b in branches]
        if not any(null) and not any(present):
            continue
        parent = plans.get(fk.target)
        fallback = parent.reserved if parent is not None and parent.total > parent.reserved else 0

        def choose(
            row: int,
            digest: bytes,
            chooser: Any = chooser,
            null: list[bool] = null,
            present: list[bool] = present,
            fallback: int = fallback,
        ) -> int | None:
            branch = branch_of(plan, row)
            if null[branch]:
                return None
            chosen = chooser(row, digest)
            return fallback if chosen is None and present[branch] else chosen

        plan.fk_choosers[fk.name] = choose


def _random_parent(parent: TablePlan, column: str, table: Table, nullable: bool) -> Any:
    """Any parent row: generated (past the named fixtures) or written by a seed file (known
    once the parent is loaded, before its children are generated)."""
    position = next(i for i, c in enumerate(table.columns) if c.name == column)
    first = parent.reserved if parent.total > parent.reserved else 0

    def choose(row: int, digest: bytes) -> int | None:
        h = column_hash(digest, position)
        span = parent.available - first
        if (nullable and h % 20 == 0) or span <= 0:
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
