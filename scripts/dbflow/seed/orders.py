"""Orders between columns of a row (``a <= b`` a CHECK declares, and ``created_at`` before
``updated_at`` for realism), and the producers of each branch of a table's CHECKs."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal

from dbflow.errors import DbflowError
from dbflow.seed.aliases import Value
from dbflow.seed.checks import ColumnOrder, ColumnRule
from dbflow.seed.model import NO_RULE, ColumnPlan, TablePlan, branch_of
from dbflow.seed.values import (
    Producer,
    column_hash,
    row_digest,
)

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


def branch_producers(
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
    def produce(row: int, h: int) -> Value:
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
            if order in declared and between_parents(by_name, order):
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


def between_parents(by_name: dict[str, ColumnPlan], order: ColumnOrder) -> bool:
    """An order between two foreign-key columns: kept by choosing parents, not values."""
    sides = (by_name.get(order.left), by_name.get(order.right))
    return all(side is not None and side.foreign_key is not None for side in sides)


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

    def pair(row: int) -> tuple[Value, Value]:
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


def _widen(low: Value, h: int) -> Value:
    step = 1000 if low >= 10_000 else 1
    extra = low * (10 + h % 41) // 100 if isinstance(low, int) else low * (10 + h % 41) / 100
    if isinstance(low, int):
        return low + max(step, (extra // step) * step)
    return (low + extra).quantize(low) if isinstance(low, Decimal) else low + extra


def _like(value: Value, original: Value, rounding: Callable[[Value], int]) -> Value:
    """``value`` in the type of the column's own draw (an integer column ordered against a
    numeric one stays an integer)."""
    if isinstance(original, int) and not isinstance(original, bool) and not isinstance(value, int):
        return rounding(value)
    return value


def _next(value: Value) -> Value:
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=1)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    if isinstance(value, str):
        return value + "z"
    return value + 1
