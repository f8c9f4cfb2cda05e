"""Prove a seed plan against its CHECK constraints before a row is written.

For each branch of a table's CHECKs that rows will be built in, a few of those rows are made
and every CHECK is evaluated on them: in Python where dbflow models the expression, on the
server (in a temporary table, inside the seed's transaction) where it does not (a
user-defined function, a cast it does not know). A branch whose rows a CHECK refuses is
dropped; a table left with none stops the seed, naming the CHECK and a refused value.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg
from psycopg import sql

from dbflow.connection import Conn
from dbflow.errors import SeedPlanError
from dbflow.seed.checks import CheckCondition
from dbflow.seed.condition import holds
from dbflow.seed.load import copy_format, copy_type, plain_values
from dbflow.seed.plan import SeedPlan, TablePlan, branch_of

SAMPLES = 6
_SCAN = 4000


def verify_plan(conn: Conn, seed_plan: SeedPlan) -> None:
    problems: list[str] = []
    for plan in seed_plan.tables:
        if plan.rules.conditions and plan.total > 0 and plan.columns:
            problem = _verify_table(conn, seed_plan, plan)
            if problem:
                problems.append(problem)
    seed_plan.key_cache.clear()
    if problems:
        raise SeedPlanError(
            "the schema cannot be seeded as asked; nothing was written",
            detail="\n".join(problems),
            hint="use --fixed TABLE.COLUMN=VALUE for a column dbflow cannot fill, or --rows "
            "TABLE=0 to leave a table empty",
        )


Sample = tuple[int, int, dict[str, Any], list[Any]]  # (branch, row, values by name, values)


def _verify_table(conn: Conn, seed_plan: SeedPlan, plan: TablePlan) -> str | None:
    names = [c.column.name for c in plan.columns]
    refused: dict[int, tuple[CheckCondition, dict[str, Any]]] = {}
    undecided: list[tuple[Sample, CheckCondition]] = []
    for sample in _samples(seed_plan, plan):
        branch, _, named, _ = sample
        for condition in plan.rules.conditions:
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
    samples = {sample[1]: sample for sample, _ in undecided}
    conditions = {condition.check.name: condition for _, condition in undecided}
    columns = [c.column for c in plan.columns]
    probe = sql.Identifier("dbflow_probe")
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(
            sql.Identifier(column.name),
            sql.SQL(copy_type(column) if column.domain_checks else column.type_name),
        )
        for column in columns
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
            sql.SQL(", ").join(sql.Identifier(name) for name in names),
            sql.SQL(copy_format(plan.columns)),
        )
    ) as copy:
        copy.set_types(["int4", *(copy_type(column) for column in columns)])
        for row, (_, _, _, values) in samples.items():
            copy.write_row([row, *values])
    refused_rows: dict[str, set[int]] = defaultdict(set)
    for name, condition in conditions.items():
        expression = _expression_text(condition)
        try:
            with conn.transaction():
                found = conn.execute(
                    sql.SQL("SELECT dbflow_row FROM {} WHERE ({}) IS FALSE").format(
                        probe,
                        sql.SQL(expression),  # the catalog's own text of the CHECK
                    )
                ).fetchall()
        except psycopg.Error:
            found = [(row,) for row in samples]  # the expression fails on these values
        refused_rows[name] = {int(row[0]) for row in found}
    conn.execute("DROP TABLE pg_temp.dbflow_probe")
    return [
        (sample, condition)
        for sample, condition in undecided
        if sample[1] in refused_rows[condition.check.name]
    ]


def _expression_text(condition: CheckCondition) -> str:
    text = condition.check.definition.strip()
    if text.upper().startswith("CHECK"):
        text = text[5:].strip()
    if text.upper().endswith("NOT VALID"):
        text = text[: -len("NOT VALID")].strip()
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
