"""How each foreign key of a row picks its parent row: any row, one per parent, the
combinations of a join table, the parent a wider key already chose, NULL where the CHECKs' branch
asks, apart from the other key where ``a <> b``; and what a table does when a parent has no
rows."""

from __future__ import annotations

from collections.abc import Callable

from dbflow.catalog.model import ForeignKey, Table, TableKey
from dbflow.seed.aliases import Value
from dbflow.seed.checks import TableRules
from dbflow.seed.model import NO_RULE, Chooser, ColumnPlan, SeedPlan, TablePlan, branch_of
from dbflow.seed.shape import join_keys, one_to_one, unique_column_sets
from dbflow.seed.values import (
    column_hash,
)


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


def plan_foreign_keys(
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
            plan.fk_choosers[fk.name] = random_parent(parent, fk.columns[0], table, nullable)
            continue
        if one is not None and fk.name == one.name:
            plan.reserved = parent.reserved
            plan.fk_choosers[fk.name] = lambda row, digest: row
        elif fk in join:
            plan.fk_choosers[fk.name] = _join_parent(plans, join, fk)
        else:
            plan.fk_choosers[fk.name] = random_parent(parent, fk.columns[0], table, nullable)
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


def enumerate_small_keys(plan: TablePlan, plans: dict[TableKey, TablePlan]) -> None:
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


def _finite_domain(column_plan: ColumnPlan, rules: TableRules) -> list[Value] | None:
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


def share_overlapping_keys(seed_plan: SeedPlan, plan: TablePlan) -> None:
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

    def present(other: ForeignKey, shared: list[str]) -> set[tuple[Value, ...]]:
        targets = [other.target_columns[other.columns.index(c)] for c in shared]
        parent = seed_plan.by_key[other.target]
        return {
            tuple(seed_plan.key_value(other.target, r, c) for c in targets)
            for r in range(parent.total + len(parent.extra_rows))
        }

    def followed(lead_row: int, sets: list[set[tuple[Value, ...]]]) -> bool:
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
    by_values: dict[tuple[Value, ...], list[int]] = {}

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
            chooser: Value = chooser,
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


def random_parent(parent: TablePlan, column: str, table: Table, nullable: bool) -> Value:
    """Value parent row: generated (past the named fixtures) or written by a seed file (known
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


def _self_reference(nullable: bool) -> Value:
    def choose(row: int, digest: bytes) -> int | None:
        if row == 0:
            return None if nullable else 0
        return int.from_bytes(digest[-4:], "big") % row

    return choose
