"""Turn CHECK constraints into per-column rules the value generators satisfy by construction.

Supported shapes (and AND-combinations of them): ``col IN (...)`` / ``= ANY (ARRAY[...])``,
comparisons with constants (``<``, ``<=``, ``>``, ``>=``, ``=``, ``<>``), BETWEEN (which
PostgreSQL stores as two comparisons), ``char_length``/``length`` bounds, ``IS NOT NULL``,
``col IS NULL OR <rule>``, simple regular expressions made of one character class
(``^[a-z0-9-]+$``, ``^[A-Z]{3}$``), ``jsonb_typeof(col) = 'array'`` and comparisons between
two columns (``salary_min <= salary_max``). Anything else is reported by name before any
row is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dbflow.catalog.model import Check
from dbflow.sql.parse import parse_expression
from dbflow.sql.tree import Node


@dataclass
class ColumnRule:
    choices: list[Any] | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    alphabet: str | None = None  # a regex character class turned into its characters
    exact_length: int | None = None
    json_kind: str | None = None
    not_null: bool = False
    excluded: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ColumnOrder:
    """``left op right`` between two columns of the same row."""

    left: str
    op: str
    right: str


@dataclass
class TableRules:
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    orders: list[ColumnOrder] = field(default_factory=list)
    unsupported: list[Check] = field(default_factory=list)

    def rule(self, column: str) -> ColumnRule:
        return self.columns.setdefault(column, ColumnRule())


def check_columns(check: Check) -> set[str]:
    """The columns a CHECK constraint reads."""
    found: set[str] = set()
    stack: list[Any] = [_expression(check.definition)]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            reference = current.get("ColumnRef")
            if reference:
                parts = [f["String"]["sval"] for f in reference.get("fields", []) if "String" in f]
                if parts:
                    found.add(parts[-1])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def table_rules(checks: list[Check], domain_checks: dict[str, tuple[str, ...]]) -> TableRules:
    """Rules for one table from its CHECK constraints and its columns' domain checks."""
    rules = TableRules()
    for check in checks:
        if not _apply(rules, _expression(check.definition), None):
            rules.unsupported.append(check)
    for column, definitions in domain_checks.items():
        for definition in definitions:
            if not _apply(rules, _expression(definition), column):
                rules.unsupported.append(Check(f"domain check on {column}", definition))
    return rules


def _expression(definition: str) -> Node | None:
    text = definition.strip()
    if text.upper().startswith("CHECK"):
        text = text[5:].strip()
    if text.upper().endswith("NOT VALID"):
        text = text[: -len("NOT VALID")].strip()
    return parse_expression(text)


def _apply(rules: TableRules, node: Node | None, domain_column: str | None) -> bool:
    """Record what ``node`` requires; False when its shape is not supported."""
    if node is None:
        return False
    if "BoolExpr" in node:
        expression = node["BoolExpr"]
        args = expression.get("args", [])
        if expression.get("boolop") == "AND_EXPR":
            return all(_apply(rules, arg, domain_column) for arg in args)
        if expression.get("boolop") == "OR_EXPR" and len(args) == 2:
            # "col IS NULL OR <rule on col>": generate a value that satisfies the rule.
            for first, second in (args, args[::-1]):
                test = first.get("NullTest", {})
                if test.get("nulltesttype") == "IS_NULL" and _column(
                    test.get("arg"), domain_column
                ):
                    return _apply(rules, second, domain_column)
        return False
    if "NullTest" in node:
        test = node["NullTest"]
        column = _column(test.get("arg"), domain_column)
        if column and test.get("nulltesttype") == "IS_NOT_NULL":
            rules.rule(column).not_null = True
            return True
        return False
    if "A_Expr" in node:
        return _apply_comparison(rules, node["A_Expr"], domain_column)
    return "BooleanTest" in node or "A_Const" in node


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}


def _apply_comparison(rules: TableRules, expression: Node, domain_column: str | None) -> bool:
    kind = expression.get("kind")
    op = (expression.get("name") or [{}])[0].get("String", {}).get("sval", "")
    left: Node = expression.get("lexpr") or {}
    right: Node = expression.get("rexpr") or {}
    if kind == "AEXPR_OP_ANY" and op == "=":
        column = _column(left, domain_column)
        values = [_constant(item) for item in right.get("A_ArrayExpr", {}).get("elements", [])]
        if column and values and all(value is not None for value in values):
            rules.rule(column).choices = values
            return True
        return False
    if kind == "AEXPR_IN":
        column = _column(left, domain_column)
        values = [_constant(item) for item in right.get("List", {}).get("items", [])]
        if column and values and all(value is not None for value in values):
            if op == "=":
                rules.rule(column).choices = values
            else:
                rules.rule(column).excluded.extend(values)
            return True
        return False
    if kind == "AEXPR_BETWEEN":
        column = _column(left, domain_column)
        bounds = [_constant(item) for item in right.get("List", {}).get("items", [])]
        if column and len(bounds) == 2 and None not in bounds:
            rule = rules.rule(column)
            rule.minimum, rule.maximum = Decimal(str(bounds[0])), Decimal(str(bounds[1]))
            return True
        return False
    if kind != "AEXPR_OP":
        return False
    if op == "~":
        column = _column(left, domain_column)
        pattern = _constant(right)
        return bool(
            column and isinstance(pattern, str) and _apply_pattern(rules.rule(column), pattern)
        )
    # column op column
    left_column, right_column = _column(left, domain_column), _column(right, domain_column)
    if left_column and right_column:
        rules.orders.append(ColumnOrder(left_column, op, right_column))
        return op in _FLIP
    # jsonb_typeof(col) = 'array'
    for call_side, constant_side in ((left, right), (right, left)):
        call = (call_side or {}).get("FuncCall")
        if call and op == "=":
            name = [part["String"]["sval"] for part in call.get("funcname", [])][-1]
            args = call.get("args", [])
            column = _column(args[0], domain_column) if args else None
            kind_name = _constant(constant_side)
            if name in ("jsonb_typeof", "json_typeof") and column and isinstance(kind_name, str):
                rules.rule(column).json_kind = kind_name
                return True
    # length(col) op n, col op n, n op col
    for subject, constant_side, operator in ((left, right, op), (right, left, _FLIP.get(op, ""))):
        value = _constant(constant_side)
        if value is None:
            continue
        length_of = _length_argument(subject, domain_column)
        if length_of is not None:
            return _apply_length(rules.rule(length_of), operator, value)
        column = _column(subject, domain_column)
        if column is not None:
            return _apply_bound(rules.rule(column), operator, value)
    return False


def _apply_length(rule: ColumnRule, op: str, value: Any) -> bool:
    if not isinstance(value, int):
        return False
    if op in ("<=", "<"):
        limit = value if op == "<=" else value - 1
        rule.max_length = limit if rule.max_length is None else min(rule.max_length, limit)
    elif op in (">=", ">"):
        limit = value if op == ">=" else value + 1
        rule.min_length = limit if rule.min_length is None else max(rule.min_length, limit)
    elif op == "=":
        rule.min_length = rule.max_length = value
    else:
        return op == "<>"
    return True


def _apply_bound(rule: ColumnRule, op: str, value: Any) -> bool:
    if op == "=":
        rule.choices = [value]
        return True
    if op == "<>":
        rule.excluded.append(value)
        return True
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    number = Decimal(str(value))
    if op in (">", ">="):
        if rule.minimum is None or number >= rule.minimum:
            rule.minimum, rule.exclusive_minimum = number, op == ">"
        return True
    if op in ("<", "<="):
        if rule.maximum is None or number <= rule.maximum:
            rule.maximum, rule.exclusive_maximum = number, op == "<"
        return True
    return False


def _apply_pattern(rule: ColumnRule, pattern: str) -> bool:
    """Patterns made of one bracket class with a quantifier, anchored at both ends."""
    if not (pattern.startswith("^[") and pattern.endswith("$")):
        return False
    close = pattern.find("]", 2)
    if close < 0:
        return False
    alphabet = _expand_class(pattern[2:close])
    quantifier = pattern[close + 1 : -1]
    if not alphabet:
        return False
    rule.alphabet = alphabet
    if quantifier == "+":
        rule.min_length = max(rule.min_length or 1, 1)
    elif quantifier == "*":
        pass
    elif quantifier.startswith("{") and quantifier.endswith("}"):
        bounds = quantifier[1:-1].split(",")
        if not all(part.strip().isdigit() or part.strip() == "" for part in bounds):
            return False
        low = int(bounds[0]) if bounds[0].strip() else 0
        high = int(bounds[-1]) if bounds[-1].strip() else None
        rule.min_length = low
        if len(bounds) == 1:
            rule.exact_length = low
            rule.max_length = low
        elif high is not None:
            rule.max_length = high
    else:
        return False
    return True


def _expand_class(body: str) -> str:
    characters: list[str] = []
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            start, end = body[index], body[index + 2]
            characters.extend(chr(code) for code in range(ord(start), ord(end) + 1))
            index += 3
        else:
            if body[index] == "\\" and index + 1 < len(body):
                index += 1
            characters.append(body[index])
            index += 1
    return "".join(dict.fromkeys(characters))


def _column(node: Node | None, domain_column: str | None) -> str | None:
    if not node:
        return None
    if "TypeCast" in node:
        return _column(node["TypeCast"].get("arg"), domain_column)
    reference = node.get("ColumnRef")
    if reference:
        parts = [
            field["String"]["sval"] for field in reference.get("fields", []) if "String" in field
        ]
        if domain_column and parts == ["value"]:
            return domain_column
        return parts[-1] if parts else None
    return None


def _length_argument(node: Node | None, domain_column: str | None) -> str | None:
    call = (node or {}).get("FuncCall")
    if not call:
        return None
    name = [part["String"]["sval"] for part in call.get("funcname", [])][-1]
    args = call.get("args", [])
    if name in ("char_length", "length", "character_length") and len(args) == 1:
        return _column(args[0], domain_column)
    return None


def _constant(node: Node | None) -> Any:
    if not node:
        return None
    if "TypeCast" in node:
        return _constant(node["TypeCast"].get("arg"))
    constant = node.get("A_Const")
    if constant is None:
        return None
    if "sval" in constant:
        return constant["sval"].get("sval", "")
    if "ival" in constant:
        return int(constant["ival"].get("ival", 0))
    if "fval" in constant:
        return Decimal(constant["fval"].get("fval", "0"))
    if "boolval" in constant:
        return bool(constant["boolval"].get("boolval", False))
    return None
