"""A table's CHECK constraints (and its columns' domain checks) as branches to generate in.

Each CHECK becomes its disjunctive normal form (``seed.branches``); the branches of all of
a table's checks are combined, and combinations that contradict each other or a NOT NULL
column are dropped. Every row then picks one of the remaining branches (varying across
rows, so both sides of a disjunction appear) and its values are built within it. A CHECK
none of whose branches can hold is reported by name before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbflow.catalog.model import Check, Table
from dbflow.seed.branches import (
    MAX_BRANCHES,
    Branch,
    BranchRules,
    ColumnOrder,
    ColumnRule,
    TooComplex,
    branches,
    constrain,
    opaque_literal,
)
from dbflow.seed.condition import BoolOp, Expr, columns_of, read_condition

__all__ = ["CheckCondition", "ColumnOrder", "ColumnRule", "TableRules", "table_rules"]


@dataclass(frozen=True)
class CheckCondition:
    check: Check
    expr: Expr
    columns: frozenset[str]


@dataclass
class TableRules:
    conditions: list[CheckCondition] = field(default_factory=list)
    branches: list[BranchRules] = field(default_factory=lambda: [BranchRules()])
    problems: list[str] = field(default_factory=list)

    @property
    def columns(self) -> dict[str, ColumnRule]:
        """The first branch's column rules (what a single-branch table is held to)."""
        return self.branches[0].columns if self.branches else {}

    @property
    def constrained(self) -> set[str]:
        """The columns any CHECK reads."""
        return {name for condition in self.conditions for name in condition.columns}

    @property
    def branching(self) -> bool:
        return len(self.branches) > 1


def table_conditions(table: Table) -> list[CheckCondition]:
    conditions = []
    for check in table.checks:
        expr = read_condition(check.definition)
        conditions.append(CheckCondition(check, expr, frozenset(columns_of(expr))))
    conditions.extend(_outside_partial_indexes(table))
    for column in table.columns:
        for number, definition in enumerate(column.domain_checks):
            expr = read_condition(definition, column.name)
            name = f"domain check on {column.name}" + (f" #{number + 1}" if number else "")
            conditions.append(
                CheckCondition(Check(name, definition), expr, frozenset({column.name}))
            )
    return conditions


def _outside_partial_indexes(table: Table) -> list[CheckCondition]:
    """A partial unique index over foreign-key columns (``(project_id) WHERE is_default``):
    generated rows stay outside its predicate, so parents chosen at random cannot collide."""
    fk_columns = {column for fk in table.foreign_keys for column in fk.columns}
    found = []
    for key in table.unique_keys:
        if not key.predicate or not (set(key.columns) & fk_columns):
            continue
        outside = BoolOp("not", (read_condition(f"CHECK ({key.predicate})"),))
        check = Check(
            f"outside the partial unique index {key.name}", f"CHECK (NOT ({key.predicate}))"
        )
        found.append(CheckCondition(check, outside, frozenset(columns_of(outside))))
    return found


def table_rules(table: Table, overridden: set[str] = frozenset()) -> TableRules:  # type: ignore[assignment]
    """Branches of ``table`` that its checks, together, allow. Checks that read only
    columns the user fixed are not built for (their values are given) but still verified."""
    conditions = table_conditions(table)
    not_null = {column.name for column in table.columns if column.not_null}
    combined: list[Branch] = [()]
    problems: list[str] = []
    built_for: list[tuple[CheckCondition, list[Branch]]] = []
    for condition in conditions:
        if condition.columns and condition.columns <= overridden:
            continue
        try:
            options = branches(condition.expr)
        except TooComplex:
            options = [opaque_literal(condition.columns)]
        if not options:
            problems.append(_refusal(table, condition, "can never be true"))
            continue
        merged = [
            earlier + option
            for earlier in combined
            for option in options
            if constrain(earlier + option, not_null) is not None
        ]
        if not merged:
            problems.append(
                _refusal(table, condition, _contradiction(condition, options, built_for, not_null))
            )
            continue
        built_for.append((condition, options))
        if len(merged) > MAX_BRANCHES:
            step = len(merged) / MAX_BRANCHES
            merged = [merged[int(index * step)] for index in range(MAX_BRANCHES)]
        combined = merged
    built = [rules for rules in (constrain(branch, not_null) for branch in combined) if rules]
    return TableRules(conditions, built or [BranchRules()], problems)


def _contradiction(
    condition: CheckCondition,
    options: list[Branch],
    earlier: list[tuple[CheckCondition, list[Branch]]],
    not_null: set[str],
) -> str:
    """Why no branch of ``condition`` can hold: a NOT NULL column, or which CHECK it meets."""
    if all(constrain(option, not_null) is None for option in options):
        if all(constrain(option, set()) is not None for option in options):
            return "cannot hold on its NOT NULL columns"
        return "can never be true"
    for other, other_options in earlier:
        if not any(
            constrain(mine + theirs, not_null) is not None
            for mine in options
            for theirs in other_options
        ):
            return f"contradicts CHECK {other.check.name}"
    return "contradicts the table's other CHECKs taken together"


def _refusal(table: Table, condition: CheckCondition, why: str) -> str:
    return (
        f"{table.name}: CHECK {condition.check.name} ({condition.check.definition}) {why}; "
        f"override a column it uses with --fixed {table.key[1]}.COLUMN=VALUE"
    )
