"""The order tables are seeded in: parents before children, a cycle of foreign keys broken at a
nullable or deferrable edge (filled in after every table), or named when none can be."""

from __future__ import annotations

from dbflow.catalog.model import AUTH_USERS, ForeignKey, Table, TableKey
from dbflow.errors import SeedPlanError


def seed_order(
    tables: dict[TableKey, Table], *, strict: bool = True
) -> tuple[list[TableKey], list[tuple[TableKey, ForeignKey]], dict[TableKey, str]]:
    """Parents before children; a cycle is broken on a nullable edge. A cycle of required
    keys is an error when ``strict``; otherwise its tables are ordered anyway and returned
    with the reason they cannot be filled."""
    edges: dict[TableKey, list[ForeignKey]] = {
        key: [fk for fk in table.foreign_keys if fk.target != key and fk.target in tables]
        for key, table in tables.items()
    }
    breaks: list[tuple[TableKey, ForeignKey]] = []
    unordered: dict[TableKey, str] = {}
    while True:
        order, cycle = _toposort(tables, edges)
        if cycle is None:
            return order, breaks, unordered
        candidate = _breakable_edge(tables, edges, cycle)
        if candidate is None:
            names = " -> ".join(f"{key[0]}.{key[1]}" for key in [*cycle, cycle[0]])
            if strict:
                raise SeedPlanError(
                    f"the foreign keys form a cycle of NOT NULL columns: {names}",
                    detail="no row can be inserted first without breaking one of them",
                    hint="make one of these foreign keys nullable or DEFERRABLE INITIALLY "
                    "DEFERRED, or leave a table out with --rows TABLE=0",
                )
            members = set(cycle)
            for key in cycle:
                unordered[key] = f"its foreign keys form a cycle of NOT NULL columns: {names}"
                edges[key] = [fk for fk in edges[key] if fk.target not in members]
            continue
        breaks.append(candidate)
        edges[candidate[0]] = [fk for fk in edges[candidate[0]] if fk is not candidate[1]]


def _toposort(
    tables: dict[TableKey, Table], edges: dict[TableKey, list[ForeignKey]]
) -> tuple[list[TableKey], list[TableKey] | None]:
    order: list[TableKey] = []
    state: dict[TableKey, int] = {}
    stack_path: list[TableKey] = []

    def visit(key: TableKey) -> list[TableKey] | None:
        state[key] = 1
        stack_path.append(key)
        for fk in sorted(edges[key], key=lambda item: item.target):
            target = fk.target
            if state.get(target) == 1:
                return stack_path[stack_path.index(target) :]
            if state.get(target) is None:
                found = visit(target)
                if found is not None:
                    return found
        stack_path.pop()
        state[key] = 2
        order.append(key)
        return None

    for key in sorted(tables, key=lambda item: (item != AUTH_USERS, item)):
        if state.get(key) is None:
            cycle = visit(key)
            if cycle is not None:
                return [], cycle
    return order, None


def _breakable_edge(
    tables: dict[TableKey, Table], edges: dict[TableKey, list[ForeignKey]], cycle: list[TableKey]
) -> tuple[TableKey, ForeignKey] | None:
    members = set(cycle)
    for key in cycle:
        table = tables[key]
        for fk in edges[key]:
            if fk.target in members and all(not table.column(c).not_null for c in fk.columns):
                return key, fk
    for key in cycle:
        for fk in edges[key]:
            if fk.target in members and fk.deferrable:
                return key, fk
    return None
