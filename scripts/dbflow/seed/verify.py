"""Prove a seed plan against its CHECK constraints before a row is written.

For each branch of a table's CHECKs that rows will be built in, a few of those rows are made
and every CHECK is evaluated on them: in Python where dbflow models the expression, on the
server (in a temporary table, inside the seed's transaction) where it does not (a
user-defined function, a cast it does not know). A branch whose rows a CHECK refuses is
dropped; a table left with none stops the seed, naming the CHECK and a refused value.
"""

from __future__ import annotations

from collections import defaultdict

import psycopg
from psycopg import sql

from dbflow.connection import Conn
from dbflow.seed.aliases import Value
from dbflow.seed.checks import CheckCondition
from dbflow.seed.condition import check_expression
from dbflow.seed.evaluate import holds
from dbflow.seed.load import copy_format, copy_type, plain_values
from dbflow.seed.model import ColumnPlan, SeedPlan, TablePlan, branch_of
from dbflow.seed.plan import unseedable
from dbflow.seed.values import column_hash, row_digest

SAMPLES = 6
_SCAN = 4000


def verify_plan(conn: Conn, seed_plan: SeedPlan, *, strict: bool = True) -> None:
    """Drop the branches whose rows a CHECK refuses; a table left with none is an error when
    ``strict``, else it is left empty with the CHECK named (and its children follow when
    they are loaded)."""
    problems: list[str] = []
    for plan in seed_plan.tables:
        if plan.rules.conditions and plan.total > 0 and plan.columns:
            problem = _verify_table(conn, seed_plan, plan)
            if problem and strict:
                problems.append(problem)
            elif problem:
                plan.skip(problem.split("; override a column", 1)[0])
    seed_plan.key_cache.clear()
    if problems:
        raise unseedable(problems)


Sample = tuple[int, int, dict[str, Value], list[Value]]  # (branch, row, values by name, values)


def _verify_table(
    conn: Conn, seed_plan: SeedPlan, plan: TablePlan, repaired: bool = False
) -> str | None:
    names = [c.column.name for c in plan.columns]
    refused: dict[int, tuple[CheckCondition, dict[str, Value]]] = {}
    undecided: list[tuple[Sample, CheckCondition]] = []
    # Orders between parents (``user_a < user_b``) hold for some pairs of parents and not
    # others: the rows that break one are left out before loading (seed.keep).
    between_parents = {name for order in plan.parent_orders for name in (order.left, order.right)}
    conditions = [c for c in plan.rules.conditions if not c.columns <= between_parents]
    for sample in _samples(seed_plan, plan):
        branch, _, named, _ = sample
        for condition in conditions:
            verdict = holds(condition.expr, named)
            if verdict is False and branch not in refused:
                refused[branch] = (condition, named)
            elif verdict is None:
                undecided.append((sample, condition))
    if undecided:
        for (branch, _, named, _), condition in _ask_server(conn, plan, names, undecided):
            refused.setdefault(branch, (condition, named))
    if not refused:
        return None
    if not repaired:  # CHECKs only the server could read get values the server accepts
        unread = {c.check.name: c for _, c in undecided}
        opaque = {c.check.name: c for c, _ in refused.values() if c.check.name in unread}
        if any([_repair_from_pool(conn, seed_plan, plan, c) for c in opaque.values()]):
            return _verify_table(conn, seed_plan, plan, repaired=True)
    plan.live = [branch for branch in plan.live if branch not in refused]
    if plan.live:
        return None
    condition, named = next(iter(refused.values()))
    shown = ", ".join(f"{name}={named.get(name)!r}" for name in sorted(condition.columns))
    return (
        f"{plan.table.name}: CHECK {condition.check.name} ({condition.check.definition}) "
        f"refused every value dbflow built (for example {shown}); override a column it uses "
        f"with --fixed {plan.key[1]}.COLUMN=VALUE"
    )


def _samples(seed_plan: SeedPlan, plan: TablePlan) -> list[Sample]:
    wanted = {branch: SAMPLES for branch in plan.live}
    found: list[Sample] = []
    for row in range(_SCAN):
        branch = branch_of(plan, row)
        if wanted.get(branch, 0) <= 0:
            if not any(wanted.values()):
                break
            continue
        wanted[branch] -= 1
        values = plain_values(seed_plan, plan, plan.columns, row, -1)
        named = {c.column.name: value for c, value in zip(plan.columns, values, strict=True)}
        found.append((branch, row, named, values))
    return found


def _ask_server(
    conn: Conn,
    plan: TablePlan,
    names: list[str],
    undecided: list[tuple[Sample, CheckCondition]],
) -> list[tuple[Sample, CheckCondition]]:
    """The undecided (sample, CHECK) pairs the server says the CHECK refuses."""
    samples = {sample[1]: sample[3] for sample, _ in undecided}
    conditions = {condition.check.name: condition for _, condition in undecided}
    refused = server_refusals(conn, plan.columns, samples, list(conditions.values()))
    return [
        (sample, condition)
        for sample, condition in undecided
        if sample[1] in refused[condition.check.name]
    ]


def server_refusals(
    conn: Conn,
    columns: list[ColumnPlan],
    rows: dict[int, list[Value]],
    conditions: list[CheckCondition],
) -> dict[str, set[int]]:
    """For each CHECK, the numbers of the ``rows`` (values of ``columns``) it refuses, as the
    server evaluates it: one temporary table, one query per CHECK."""
    probe = sql.Identifier("dbflow_probe")
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(
            sql.Identifier(c.column.name),
            sql.SQL(copy_type(c.column) if c.column.domain_checks else c.column.type_name),
        )
        for c in columns
    )
    conn.execute("DROP TABLE IF EXISTS pg_temp.dbflow_probe")
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} (dbflow_row int, {}) ON COMMIT DROP").format(
            probe, definition
        )
    )
    with conn.cursor().copy(
        sql.SQL("COPY {} (dbflow_row, {}) FROM STDIN (FORMAT {})").format(
            probe,
            sql.SQL(", ").join(sql.Identifier(c.column.name) for c in columns),
            sql.SQL(copy_format(columns)),
        )
    ) as copy:
        copy.set_types(["int4", *(copy_type(c.column) for c in columns)])
        for row, values in rows.items():
            copy.write_row([row, *values])
    refused: dict[str, set[int]] = defaultdict(set)
    for condition in conditions:
        try:
            with conn.transaction():
                found = conn.execute(
                    sql.SQL("SELECT dbflow_row FROM {} WHERE ({}) IS FALSE").format(
                        probe,
                        sql.SQL(_expression_text(condition)),  # the catalog's own text
                    )
                ).fetchall()
        except psycopg.Error:
            found = [(row,) for row in rows]  # the expression fails on these values
        refused[condition.check.name] = {int(row[0]) for row in found}
    conn.execute("DROP TABLE pg_temp.dbflow_probe")
    return refused


_POOL_DRAWS = 400


def _repair_from_pool(
    conn: Conn, seed_plan: SeedPlan, plan: TablePlan, condition: CheckCondition
) -> bool:
    """A CHECK dbflow cannot read (a user-defined function) over one column: many candidate
    values are drawn, the server keeps those it accepts, and the column picks among them."""
    if len(condition.columns) != 1:
        return False
    (name,) = condition.columns
    column_plan = next((c for c in plan.columns if c.column.name == name), None)
    if (
        column_plan is None
        or column_plan.producer is None
        or column_plan.has_fixed
        or column_plan.foreign_key is not None
        or column_plan.person is not None
        or column_plan.unique
        or column_plan.numbered
    ):
        return False
    producer = column_plan.producer
    candidates: list[Value] = []
    seen: set[Value] = set()
    for row in range(_POOL_DRAWS):
        digest = row_digest(seed_plan.seed, plan.table.name, row)
        drawn = producer(row, column_hash(digest, column_plan.position))
        for value in _variants(drawn):
            marker = repr(value)
            if value is not None and marker not in seen:
                seen.add(marker)
                candidates.append(value)
    numbered = dict(enumerate([value] for value in candidates))
    refused = server_refusals(conn, [column_plan], numbered, [condition])[condition.check.name]
    accepted = [value for index, value in enumerate(candidates) if index not in refused]
    if not accepted:
        return False
    pool = tuple(accepted)
    pick = lambda row, h: pool[h % len(pool)]  # noqa: E731 - the column's new producer
    column_plan.producer = pick
    for producers in plan.branch_producers:
        if name in producers:
            producers[name] = pick
    plan.notes.append(
        f"{name}: {len(pool)} of {len(candidates)} candidate values pass CHECK "
        f"{condition.check.name} on the server; rows take those"
    )
    return True


def _variants(value: Value) -> list[Value]:
    if not isinstance(value, str):
        return [value]
    slug = "-".join(value.lower().split())
    return [value, value.lower(), value.upper(), slug, slug.replace("-", ""), value[:8]]


def _expression_text(condition: CheckCondition) -> str:
    text = check_expression(condition.check.definition)
    if condition.check.name.startswith("domain check on "):
        (column,) = condition.columns
        text = _replace_value(text, sql.Identifier(column).as_string())
    return text


def _replace_value(text: str, column: str) -> str:
    """A domain CHECK's ``VALUE`` keyword (outside quotes) as the column it constrains."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "'\"":
            end = index + 1
            while end < len(text):
                if text[end] == char and (end + 1 >= len(text) or text[end + 1] != char):
                    break
                end += 2 if text[end] == char else 1
            out.append(text[index : end + 1])
            index = end + 1
            continue
        if (
            text[index : index + 5].upper() == "VALUE"
            and not _word(text, index - 1)
            and not _word(text, index + 5)
        ):
            out.append(column)
            index += 5
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")
