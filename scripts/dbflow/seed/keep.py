"""Which generated rows a table keeps: none that its unique keys, its exclusion constraints,
an order between two of its parents (``user_a < user_b``) or a missing parent row would
refuse.

Generators aim at values that fit by construction; this pass makes what they cannot promise
true before a row is sent. A small value space (a singleton's ``CHECK (id = 1)``, two-letter
codes a migration already inserted, the pairs of a join table over a few rows) then yields
the rows it has room for, and the table says how many it kept, instead of failing on a
duplicate key. Rows are left out, never changed, so every value stays a function of the row
it was built from, and children keep finding their parents.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from psycopg import sql
from psycopg.types.range import Range

from dbflow.catalog.model import Table, UniqueKey
from dbflow.connection import Conn
from dbflow.seed.aliases import Value
from dbflow.seed.checks import CheckCondition
from dbflow.seed.condition import Expr, columns_of, read_condition
from dbflow.seed.evaluate import holds
from dbflow.seed.model import ColumnPlan, SeedPlan, TablePlan
from dbflow.seed.values import row_digest

CHECKED_UP_TO = 50_000  # rows; a bigger table without rows already there is sent as built
_EXISTING_READ = 200_000  # values of a key read from the rows already there

# The values of one generated row, by the row number it is built from (seed.load's row_values).
RowValues = Callable[[SeedPlan, TablePlan, list[ColumnPlan], int], list[Value]]


@dataclass(frozen=True)
class KeyRule:
    """A unique key (or a partial one, within its predicate) the kept rows respect."""

    name: str
    columns: tuple[str, ...]
    predicate: Expr | None
    predicate_text: str | None
    merges: bool  # the key generated rows are merged on: rows already there are updated


@dataclass(frozen=True)
class Exclusion:
    """``EXCLUDE USING gist (room WITH =, during WITH &&)``: no two rows may match on every
    element."""

    name: str
    elements: tuple[tuple[str, str], ...]  # (column, operator)


@dataclass
class Kept:
    rows: int  # rows kept
    asked: int  # rows planned
    reasons: dict[str, int]  # why rows were left out -> how many


def keep_rows(
    conn: Conn,
    seed_plan: SeedPlan,
    plan: TablePlan,
    *,
    has_rows: bool,
    merge_key: tuple[str, ...] = (),
    row_values: RowValues,
) -> Kept:
    """Choose the rows of ``plan`` to send (``plan.source_rows``) and return what was kept.
    ``has_rows``: the table holds rows already, merged on ``merge_key`` (if it has one).

    Only what can refuse a row is checked: keys whose values are not distinct by
    construction, exclusion constraints, orders between parents, parents that kept fewer
    rows than planned; a table with none of these is sent as built, whatever its size."""
    asked = plan.total
    kept = Kept(asked, asked, {})
    if asked == 0:
        return kept
    table = plan.table
    written = {c.column.name: c for c in plan.columns}
    parents_shrunk = _parents_shrunk(seed_plan, plan)
    keys = [
        key
        for key in _key_rules(table, merge_key)
        if set(key.columns) <= set(written)
        and not _distinct_by_construction(plan, key, written, parents_shrunk, has_rows)
        and not _never_bound(key, written)
    ]
    exclusions = [
        exclusion
        for exclusion in _exclusions(table)
        if {column for column, _ in exclusion.elements} <= set(written)
    ]
    conditions = plan.rules.conditions if plan.parent_orders else []
    parents = [
        (c, seed_plan.by_key.get(c.foreign_key.target))
        for c in plan.columns
        if c.foreign_key is not None and c.fk_index == 0 and not c.deferred
    ]
    if not (keys or exclusions or conditions or parents_shrunk):
        return kept
    if asked > CHECKED_UP_TO and not (has_rows or plan.parent_orders or parents_shrunk):
        return kept
    needed = {column for key in keys for column in key.columns}
    needed |= {column for exclusion in exclusions for column, _ in exclusion.elements}
    needed |= {column for condition in conditions for column in condition.columns}
    needed |= set(merge_key)
    needed |= {column for key in keys if key.predicate for column in columns_of(key.predicate)}
    columns = [c for c in plan.columns if c.column.name in needed]
    existing = {
        key.name: _existing_values(conn, table, key, merge_key) if has_rows else {} for key in keys
    }
    taken: dict[str, set[tuple[Value, ...]]] = {key.name: set() for key in keys}
    excluded: list[list[dict[str, Value]]] = [[] for _ in exclusions]
    sources: list[int] = []
    for row in range(asked):
        named: dict[str, Value] = {}
        why = _missing_parent(
            plan, parents, row, row_digest(seed_plan.seed, table.name, row + plan.row_offset),
            len(sources),
        )  # fmt: skip
        if why is None and columns:
            values = row_values(seed_plan, plan, columns, row)
            named = {c.column.name: value for c, value in zip(columns, values, strict=True)}
            why = _refusal(named, keys, existing, taken, merge_key) or _overlap(
                named, exclusions, excluded
            )
        if why is None and conditions:
            why = _check_refusing(named, conditions)
        if why is not None:
            kept.reasons[why] = kept.reasons.get(why, 0) + 1
            continue
        sources.append(row)
        _take(named, keys, taken, exclusions, excluded)
    if len(sources) < asked:
        _keep_only(seed_plan, plan, sources)
        kept.rows = len(sources)
    return kept


def _keep_only(seed_plan: SeedPlan, plan: TablePlan, sources: list[int]) -> None:
    """The plan sends only the rows built from ``sources`` (edge rows still follow the
    planned ones; the named fixtures among them keep their place)."""
    planned = plan.planned if plan.planned >= 0 else plan.count
    plan.count = sum(1 for source in sources if source < planned)
    plan.edge_rows = len(sources) - plan.count
    plan.planned = planned
    plan.reserved = sum(1 for source in sources if source < plan.reserved)
    plan.source_rows = sources
    plan.shrunk = True
    seed_plan.key_cache.clear()


def _check_refusing(named: dict[str, Value], conditions: list[CheckCondition]) -> str | None:
    """The CHECK (an order between parents) the row breaks, if one."""
    for condition in conditions:
        if condition.columns <= named.keys() and holds(condition.expr, named) is False:
            return f"CHECK {condition.check.name}"
    return None


def _take(
    named: dict[str, Value],
    keys: list[KeyRule],
    taken: dict[str, set[tuple[Value, ...]]],
    exclusions: list[Exclusion],
    excluded: list[list[dict[str, Value]]],
) -> None:
    """A kept row's key values and exclusion values, for the rows after it."""
    for key in keys:
        value = _key_value(named, key)
        if value is not None:
            taken[key.name].add(value)
    for found, exclusion in zip(excluded, exclusions, strict=True):
        found.append({column: named.get(column) for column, _ in exclusion.elements})


def _parents_shrunk(seed_plan: SeedPlan, plan: TablePlan) -> bool:
    """Whether a parent kept fewer rows than planned (a key may now point past them)."""
    for fk in plan.table.foreign_keys:
        parent = seed_plan.by_key.get(fk.target)
        if parent is not None and parent is not plan and parent.shrunk:
            return True
    return False


def _uuid_key(column_plan: ColumnPlan) -> bool:
    return column_plan.column.base_type == "uuid" and column_plan.foreign_key is None


def _never_bound(key: KeyRule, written: dict[str, ColumnPlan]) -> bool:
    """A key every generated row leaves unbound: its columns are constants that are NULL, or
    outside its predicate (auth.users' token indexes, where the tokens are empty)."""
    if not all(written[column].has_fixed for column in key.columns):
        return False
    named = {column: written[column].fixed for column in key.columns}
    return _key_value(named, key) is None


def _distinct_by_construction(
    plan: TablePlan,
    key: KeyRule,
    written: dict[str, ColumnPlan],
    parents_shrunk: bool,
    has_rows: bool,
) -> bool:
    """A key no two generated rows can share: one of its columns is numbered, a uuid key or
    one row per parent, or its columns are a combination the rows walk one by one. Rows
    already there count, unless the key is the one they merge on, for values other than
    numbers after theirs and random uuids."""
    against_existing = has_rows and not key.merges  # rows there merge on the merge key
    for column in key.columns:
        column_plan = written[column]
        if column_plan.distinct and (
            not against_existing or column_plan.numbered or _uuid_key(column_plan)
        ):
            return True
    if against_existing:
        return False
    walked = frozenset(key.columns)
    return (
        not parents_shrunk
        and not plan.parent_orders
        and any(combination <= walked for combination in plan.walked)
    )


def describe_kept(kept: Kept) -> str:
    """``12 of 20 rows: 8 would repeat the unique key (code)``."""
    parts = [f"{count} {why}" for why, count in sorted(kept.reasons.items(), key=lambda i: -i[1])]
    return f"{kept.rows} of {kept.asked} rows: left out " + "; ".join(parts)


def _missing_parent(
    plan: TablePlan,
    parents: list[tuple[Value, TablePlan | None]],
    row: int,
    digest: bytes,
    kept_so_far: int,
) -> str | None:
    """A row whose foreign key points past its parent's rows (a parent that kept fewer rows
    than planned): it would point at nothing."""
    for column_plan, parent in parents:
        fk = column_plan.foreign_key
        chooser = plan.fk_choosers.get(fk.name)
        if chooser is None:
            continue
        chosen = chooser(row, digest)
        if chosen is None:
            continue
        if fk.target == plan.key:  # an earlier row of its own (the first may point at itself)
            if chosen > kept_so_far or (chosen == kept_so_far and kept_so_far > 0):
                return f"would point at a row of {plan.table.name} left out"
            continue
        if parent is None or chosen >= parent.available:
            return f"would point at a row of {fk.target[0]}.{fk.target[1]} that has none"
    return None


def _refusal(
    named: dict[str, Value],
    keys: list[KeyRule],
    existing: dict[str, dict[tuple[Value, ...], tuple[Value, ...]]],
    taken: dict[str, set[tuple[Value, ...]]],
    merge_key: tuple[str, ...],
) -> str | None:
    own = tuple(_plain(named.get(column)) for column in merge_key)
    for key in keys:
        value = _key_value(named, key)
        if value is None:
            continue
        shown = ", ".join(key.columns)
        if value in taken[key.name]:
            return f"would repeat the unique key ({shown})"
        holder = existing[key.name].get(value)
        if holder is not None and not (key.merges or holder == own):
            return f"would repeat a row already there on ({shown})"
    return None


def _key_value(named: dict[str, Value], key: KeyRule) -> tuple[Value, ...] | None:
    """The row's value of ``key``, or None where the key does not bind it (a NULL in it, a
    row outside a partial key's predicate)."""
    value = tuple(_plain(named.get(column)) for column in key.columns)
    if any(part is None for part in value):
        return None
    if key.predicate is not None and holds(key.predicate, named) is False:
        return None
    return value


def _plain(value: Value) -> Value:
    """One form for values from generators and from the server: ``char(n)`` without its
    padding, numbers as exact decimals, times in UTC."""
    if isinstance(value, str):
        return value.rstrip(" ")
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    obj = getattr(value, "obj", None)  # Json and Jsonb wrappers
    if obj is not None:
        return repr(obj)
    return value


def _key_rules(table: Table, merge_key: tuple[str, ...]) -> Iterator[KeyRule]:
    seen: set[tuple[str, ...]] = set()
    if table.primary_key:
        seen.add(table.primary_key)
        yield KeyRule("primary key", table.primary_key, None, None, table.primary_key == merge_key)
    for unique in table.unique_keys:
        if (
            not unique.columns
            or unique.expression
            or (unique.columns in seen and not unique.predicate)
        ):
            continue
        seen.add(unique.columns)
        predicate = _predicate(unique)
        if unique.predicate and predicate is None:
            continue
        yield KeyRule(
            unique.name, unique.columns, predicate, unique.predicate, unique.columns == merge_key
        )


def _predicate(unique: UniqueKey) -> Expr | None:
    if not unique.predicate:
        return None
    try:
        return read_condition(f"CHECK ({unique.predicate})")
    except Exception:  # a predicate the reader cannot take: the key is not checked here
        return None


def _existing_values(
    conn: Conn, table: Table, key: KeyRule, merge_key: tuple[str, ...]
) -> dict[tuple[Value, ...], tuple[Value, ...]]:
    """The key's values among the rows already there, each with the merge key of its row."""
    columns = sql.SQL(", ").join(sql.Identifier(column) for column in key.columns)
    merge = (
        sql.SQL(", ").join(sql.Identifier(column) for column in merge_key) if merge_key else None
    )
    where = sql.SQL(" AND ").join(
        sql.SQL("{} IS NOT NULL").format(sql.Identifier(column)) for column in key.columns
    )
    if key.predicate_text:
        where = sql.SQL("{} AND ({})").format(where, sql.SQL(key.predicate_text))
    query = sql.SQL("SELECT {}{} FROM {} WHERE {} LIMIT {}").format(
        columns,
        sql.SQL(", {}").format(merge) if merge is not None else sql.SQL(""),
        sql.Identifier(*table.key),
        where,
        sql.Literal(_EXISTING_READ),
    )
    width = len(key.columns)
    found: dict[tuple[Value, ...], tuple[Value, ...]] = {}
    for record in conn.execute(query):
        value = tuple(_plain(part) for part in record[:width])
        found[value] = tuple(_plain(part) for part in record[width:])
    return found


_ELEMENT = re.compile(r'\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s+WITH\s+(\S+)\s*$')


def _exclusions(table: Table) -> list[Exclusion]:
    """Exclusion constraints over plain columns with ``=`` and ``&&``; others are left to
    the server."""
    found = []
    for constraint in table.constraints:
        if constraint.kind != "x":
            continue
        inner = re.match(r"EXCLUDE USING \w+ \((.*)\)(?: WHERE .*)?$", constraint.definition)
        if inner is None or " WHERE " in constraint.definition:
            continue
        elements: list[tuple[str, str]] = []
        for part in _split_top(inner.group(1)):
            match = _ELEMENT.match(part)
            if match is None or match.group(2) not in ("=", "&&"):
                elements = []
                break
            column = match.group(1)
            if column.startswith('"'):
                column = column[1:-1].replace('""', '"')
            elements.append((column, match.group(2)))
        if elements:
            found.append(Exclusion(constraint.name, tuple(elements)))
    return found


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _overlap(
    named: dict[str, Value], exclusions: list[Exclusion], kept: list[list[dict[str, Value]]]
) -> str | None:
    for exclusion, earlier in zip(exclusions, kept, strict=True):
        for other in earlier:
            if all(
                _conflicts(named.get(column), other.get(column), op)
                for column, op in exclusion.elements
            ):
                return f"would overlap another row under {exclusion.name}"
    return None


def _conflicts(mine: Value, theirs: Value, op: str) -> bool:
    if mine is None or theirs is None:
        return False
    if op == "=":
        return bool(_plain(mine) == _plain(theirs))
    return ranges_overlap(mine, theirs)


def ranges_overlap(a: Value, b: Value) -> bool:
    """``&&`` of two ranges (psycopg ``Range``); anything else counts as overlapping."""
    if not isinstance(a, Range) or not isinstance(b, Range):
        return True
    if a.isempty or b.isempty:
        return False
    return _before(a, b) is False and _before(b, a) is False


def _before(a: Range[Value], b: Range[Value]) -> bool:
    """Whether all of ``a`` lies before all of ``b``."""
    if a.upper is None or b.lower is None:
        return False
    if a.upper < b.lower:
        return True
    if a.upper > b.lower:
        return False
    return not (a.upper_inc and b.lower_inc)
