"""How each column of a table gets its value: a --fixed value, a foreign key, a numbered or
uuid key, a JSON Schema's documents, a person's field, or a draw from its type within the
rule of its CHECKs; which columns must be unique."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from dbflow.catalog.model import AUTH_USERS, Column, ForeignKey, Table
from dbflow.errors import DbflowError
from dbflow.seed.aliases import Value
from dbflow.seed.checks import ColumnRule, TableRules
from dbflow.seed.json_schema import schema_columns, schema_producer
from dbflow.seed.model import NO_RULE, ColumnPlan, TablePlan
from dbflow.seed.orders import branch_producers
from dbflow.seed.people import person_field, person_field_producer
from dbflow.seed.shape import one_to_one, unique_column_sets
from dbflow.seed.values import (
    Producer,
    UnknownType,
    coerce_fixed,
    row_uuid,
    scalar_producer,
)


def plan_columns(
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
    branch_producers(plan, factories, seed, problems)


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


def pin_fixture_ids(plan: TablePlan, fixture_ids: list[Value]) -> None:
    for column_plan in plan.columns:
        if column_plan.column.name == "id" and column_plan.producer is not None:
            generated = column_plan.producer

            def pinned(row: int, h: int, generated: Producer = generated) -> Value:
                return fixture_ids[row] if row < len(fixture_ids) else generated(row, h)

            column_plan.producer = pinned
