"""A CHECK as a choice of branches, each a conjunction of simple facts about columns.

``branches`` rewrites a condition into disjunctive normal form (NOT pushed inwards, CASE,
``(a IS NULL) = (b IS NULL)``, ``num_nonnulls(...)``, ``coalesce(...) IS NOT NULL`` and boolean
tests expanded); ``constrain`` turns one branch into what each column must be (null or not,
a range, a length, choices, a pattern, an order with another column). A branch that
contradicts itself or a NOT NULL column is dropped; what a branch cannot express is marked
opaque and left to verification.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from dbflow.seed.aliases import Value
from dbflow.seed.condition import (
    BoolOp,
    BoolTest,
    Case,
    Cast,
    Col,
    Const,
    Distinct,
    Expr,
    Func,
    InList,
    NullTest,
    Op,
    Opaque,
    compare,
)
from dbflow.seed.evaluate import like_pattern

MAX_BRANCHES = 64

Literal = tuple[Expr, bool]  # an atom and whether it must hold (True) or fail (False)
Branch = tuple[Literal, ...]

_NEGATE = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_FLIP = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_REGEX_NEGATE = {"~": "!~", "!~": "~", "~*": "!~*", "!~*": "~*"}
_LIKE_NEGATE = {"~~": "!~~", "!~~": "~~", "~~*": "!~~*", "!~~*": "~~*"}
_LENGTHS = {"length", "char_length", "character_length", "octet_length"}
_TRIMS = {"btrim", "trim", "ltrim", "rtrim"}


class TooComplex(Exception):
    """More branches than the solver enumerates; the check is verified, not constructed."""


@dataclass
class ColumnRule:
    """What a column's values must be in one branch."""

    choices: list[Value] | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    exact_length: int | None = None
    json_kind: str | None = None
    not_null: bool = False
    null: bool = False
    excluded: list[Value] = field(default_factory=list)
    patterns: list[tuple[str, bool]] = field(default_factory=list)  # (regex, ignore case)
    not_patterns: list[tuple[str, bool]] = field(default_factory=list)
    case: str | None = None  # "lower" or "upper": the value equals lower(value)/upper(value)
    after: dt.datetime | None = None  # time bounds (dates and timestamps)
    before: dt.datetime | None = None


@dataclass(frozen=True)
class ColumnOrder:
    """``left op right`` between two columns of the same row."""

    left: str
    op: str
    right: str


@dataclass
class BranchRules:
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    orders: list[ColumnOrder] = field(default_factory=list)
    opaque: bool = False  # holds something construction does not model

    def rule(self, column: str) -> ColumnRule:
        return self.columns.setdefault(column, ColumnRule())


def branches(expr: Expr, positive: bool = True) -> list[Branch]:
    """``expr`` (or its negation) in disjunctive normal form; TooComplex past MAX_BRANCHES."""
    if isinstance(expr, BoolOp):
        if expr.kind == "not":
            return branches(expr.args[0], not positive)
        conjunction = (expr.kind == "and") == positive
        parts = [branches(arg, positive) for arg in expr.args]
        return _product(parts) if conjunction else _union(parts)
    if isinstance(expr, Const):
        holds = expr.value is None or bool(expr.value) == positive
        return [()] if holds else []
    if isinstance(expr, Col):  # a boolean column
        return [((Op("=", expr, Const(positive)), True),)]
    if isinstance(expr, Case):
        return branches(_case_as_boolean(expr), positive)
    if isinstance(expr, BoolTest):
        return branches(_boolean_test(expr), positive)
    if isinstance(expr, NullTest):
        expanded = _null_test(expr)
        if expanded is not None:
            return branches(expanded, positive)
    if isinstance(expr, Distinct):
        expanded = _distinct(expr)
        if expanded is not None:
            return branches(expanded, positive)
    if isinstance(expr, Op) and expr.op in ("=", "<>") and _is_boolean(expr.left, expr.right):
        same = BoolOp(
            "or",
            (
                BoolOp("and", (expr.left, expr.right)),
                BoolOp("and", (BoolOp("not", (expr.left,)), BoolOp("not", (expr.right,)))),
            ),
        )
        wanted = positive if expr.op == "=" else not positive
        return branches(same, wanted)
    if isinstance(expr, Op) and expr.op in _NEGATE:
        counted = _null_count(expr, positive)
        if counted is not None:
            return counted
    return [((expr, positive),)]


def _product(parts: list[list[Branch]]) -> list[Branch]:
    result: list[Branch] = [()]
    for part in parts:
        result = [left + right for left in result for right in part]
        if len(result) > MAX_BRANCHES:
            raise TooComplex
    return result


def _union(parts: list[list[Branch]]) -> list[Branch]:
    result = [branch for part in parts for branch in part]
    if len(result) > MAX_BRANCHES:
        raise TooComplex
    return result


def _is_boolean(*exprs: Expr) -> bool:
    def boolean(expr: Expr) -> bool:
        if isinstance(expr, NullTest | BoolTest | InList | Distinct | BoolOp):
            return True
        return isinstance(expr, Op) and expr.op in (*_NEGATE, *_REGEX_NEGATE, *_LIKE_NEGATE)

    return all(boolean(expr) for expr in exprs)


def _case_as_boolean(expr: Case) -> Expr:
    """CASE WHEN c1 THEN r1 WHEN c2 THEN r2 ELSE d END as (c1 AND r1) OR (NOT c1 AND c2 AND
    r2) OR (NOT c1 AND NOT c2 AND d)."""
    options: list[Expr] = []
    earlier: list[Expr] = []
    for condition, result in expr.whens:
        options.append(BoolOp("and", (*earlier, condition, result)))
        earlier.append(BoolOp("not", (condition,)))
    options.append(BoolOp("and", (*earlier, expr.default)))
    return BoolOp("or", tuple(options))


def _boolean_test(expr: BoolTest) -> Expr:
    arg = expr.arg
    return {
        "IS_TRUE": arg,
        "IS_NOT_TRUE": BoolOp("or", (BoolOp("not", (arg,)), NullTest(arg, True))),
        "IS_FALSE": BoolOp("not", (arg,)),
        "IS_NOT_FALSE": BoolOp("or", (arg, NullTest(arg, True))),
        "IS_UNKNOWN": NullTest(arg, True),
        "IS_NOT_UNKNOWN": NullTest(arg, False),
    }[expr.kind]


def _null_test(expr: NullTest) -> Expr | None:
    arg = expr.arg
    if isinstance(arg, Cast):
        return NullTest(arg.arg, expr.is_null)
    if isinstance(arg, Func) and arg.name == "coalesce" and arg.args:
        tests = tuple(NullTest(item, expr.is_null) for item in arg.args)
        return BoolOp("and" if expr.is_null else "or", tests)
    if isinstance(arg, Func) and arg.name in (*_LENGTHS, *_TRIMS, "lower", "upper") and arg.args:
        return NullTest(arg.args[0], expr.is_null)
    return None


def _distinct(expr: Distinct) -> Expr | None:
    for subject, other in ((expr.left, expr.right), (expr.right, expr.left)):
        if isinstance(other, Const):
            if other.value is None:
                return NullTest(subject, expr.negated)
            equal = Op("=", subject, other)
            if expr.negated:
                return BoolOp("and", (NullTest(subject, False), equal))
            return BoolOp("or", (NullTest(subject, True), Op("<>", subject, other)))
    return None


def _null_count(expr: Op, positive: bool) -> list[Branch] | None:
    """``num_nonnulls(a, b, c) = 1`` and the like: the null patterns that give the count."""
    for call, other, op in ((expr.left, expr.right, expr.op), (expr.right, expr.left, "")):
        if not (isinstance(call, Func) and call.name in ("num_nulls", "num_nonnulls")):
            continue
        if not isinstance(other, Const) or not isinstance(other.value, int):
            return None
        op = op or _FLIP[expr.op]
        if not positive:
            op = _NEGATE[op]
        if len(call.args) > 6:
            raise TooComplex
        target = other.value
        found: list[Branch] = []
        for pattern in itertools.product((True, False), repeat=len(call.args)):  # True = null
            nulls = sum(pattern)
            count = nulls if call.name == "num_nulls" else len(pattern) - nulls
            if compare(count, target, op):
                pairs = zip(call.args, pattern, strict=True)
                found.append(tuple((NullTest(arg, null), True) for arg, null in pairs))
        return found
    return None


# --- constraints of one branch ---------------------------------------------------------


def constrain(branch: Iterable[Literal], not_null: set[str]) -> BranchRules | None:
    """What each column must be for ``branch`` to hold; None when it cannot hold."""
    rules = BranchRules()
    for atom, positive in branch:
        if not _literal(rules, atom, positive):
            rules.opaque = True
    for name, rule in rules.columns.items():
        if rule.null and (rule.not_null or name in not_null):
            return None
        if not _consistent(rule):
            return None
    return rules


def _consistent(rule: ColumnRule) -> bool:
    if rule.choices is not None:
        rule.choices = [choice for choice in rule.choices if choice not in rule.excluded]
        if not rule.choices:
            return False
    if rule.minimum is not None and rule.maximum is not None:
        if rule.minimum > rule.maximum:
            return False
        if rule.minimum == rule.maximum and (rule.exclusive_minimum or rule.exclusive_maximum):
            return False
    lengths = (rule.min_length, rule.max_length)
    if lengths[0] is not None and lengths[1] is not None and lengths[0] > lengths[1]:
        return False
    return rule.after is None or rule.before is None or rule.after < rule.before


def _column(expr: Expr) -> str | None:
    if isinstance(expr, Cast):
        return _column(expr.arg)
    return expr.name if isinstance(expr, Col) else None


def _length_of(expr: Expr) -> str | None:
    """The column of ``length(col)``, ``char_length(btrim(col))``..."""
    if isinstance(expr, Func) and expr.name in _LENGTHS and len(expr.args) == 1:
        inner = expr.args[0]
        if isinstance(inner, Func) and inner.name in _TRIMS and len(inner.args) == 1:
            inner = inner.args[0]
        return _column(inner)
    return None


def _literal(rules: BranchRules, atom: Expr, positive: bool) -> bool:
    """Record what ``atom`` (holding when ``positive``, failing otherwise) requires; False
    when the solver does not model it."""
    if isinstance(atom, NullTest):
        column = _column(atom.arg)
        if column is None:
            return False
        if atom.is_null == positive:
            rules.rule(column).null = True
        else:
            rules.rule(column).not_null = True
        return True
    if isinstance(atom, InList):
        column = _column(atom.arg)
        values = [_constant(item) for item in atom.items]
        if column is None or any(value is _NOT_CONSTANT for value in values):
            return False
        rule = rules.rule(column)
        if atom.negated != (not positive):
            rule.excluded.extend(value for value in values if value is not None)
        else:
            allowed = [value for value in values if value is not None]
            rule.choices = (
                allowed
                if rule.choices is None
                else [choice for choice in rule.choices if choice in allowed]
            )
        return True
    if isinstance(atom, Op):
        op = atom.op
        if not positive:
            negated = _NEGATE.get(op) or _REGEX_NEGATE.get(op) or _LIKE_NEGATE.get(op)
            if negated is None:
                return False
            op = negated
        return _operator(rules, op, atom.left, atom.right)
    return False


def _operator(rules: BranchRules, op: str, left: Expr, right: Expr) -> bool:
    if op in _REGEX_NEGATE or op in _LIKE_NEGATE:
        column = _column(left)
        text = _constant(right)
        if column is None or not isinstance(text, str):
            return False
        ignore_case = "*" in op
        like = op in _LIKE_NEGATE
        pattern = "^" + like_pattern(text) + "$" if like else text
        target = rules.rule(column)
        (target.not_patterns if op.startswith("!") else target.patterns).append(
            (pattern, ignore_case)
        )
        return True
    if op not in _NEGATE:
        return False
    left_column, right_column = _column(left), _column(right)
    if left_column and right_column:
        if left_column == right_column:
            return op in ("=", "<=", ">=")
        rules.orders.append(ColumnOrder(left_column, op, right_column))
        return op != "<>"
    # lower(col) = col, upper(col) = col, btrim(col) = col
    for call, other in ((left, right), (right, left)):
        if isinstance(call, Func) and len(call.args) == 1 and op == "=":
            inner = _column(call.args[0])
            if inner is not None and inner == _column(other):
                if call.name in ("lower", "upper"):
                    rules.rule(inner).case = call.name
                    return True
                if call.name in _TRIMS:
                    return True  # generated text has no surrounding spaces
    for subject, constant, operator in ((left, right, op), (right, left, _FLIP[op])):
        value = _constant(constant)
        if value is _NOT_CONSTANT:
            continue
        if value is None:
            return False  # a comparison with NULL is never true: leave it to verification
        length_of = _length_of(subject)
        if length_of is not None:
            return _length(rules.rule(length_of), operator, value)
        if isinstance(subject, Func) and subject.name in ("jsonb_typeof", "json_typeof"):
            column = _column(subject.args[0]) if subject.args else None
            if column is None or operator != "=" or not isinstance(value, str):
                return False
            rules.rule(column).json_kind = value
            return True
        column = _column(subject)
        if column is not None:
            return _bound(rules.rule(column), operator, value)
    return False


_NOT_CONSTANT = object()


def _constant(expr: Expr) -> Value:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Cast):
        inner = _constant(expr.arg)
        if isinstance(inner, str) and expr.type_name in ("date", "timestamptz", "timestamp"):
            try:
                moment = dt.datetime.fromisoformat(inner)
            except ValueError:
                return _NOT_CONSTANT
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        if isinstance(inner, str) and expr.type_name == "interval":
            seconds = interval_seconds(inner)
            return _NOT_CONSTANT if seconds is None else seconds
        if isinstance(inner, str) and expr.type_name in (
            "numeric",
            "int2",
            "int4",
            "int8",
            "float8",
        ):
            try:
                number = Decimal(inner)
            except ArithmeticError:
                return _NOT_CONSTANT
            return int(number) if expr.type_name.startswith("int") else number
        return inner
    if isinstance(expr, Func) and expr.name in ("now", "current_date") and not expr.args:
        return dt.datetime.now(dt.UTC)
    if isinstance(expr, Op) and expr.op == "-" and isinstance(expr.left, Const):
        inner = _constant(expr.right)
        if isinstance(inner, int | Decimal) and expr.left.value == 0:
            return -inner
    return _NOT_CONSTANT


_INTERVAL_UNITS = {
    "microsecond": Decimal("0.000001"),
    "millisecond": Decimal("0.001"),
    "second": Decimal(1),
    "sec": Decimal(1),
    "minute": Decimal(60),
    "min": Decimal(60),
    "hour": Decimal(3600),
    "day": Decimal(86400),
    "week": Decimal(604800),
    "mon": Decimal(2592000),
    "month": Decimal(2592000),
    "year": Decimal(31104000),
}  # fmt: skip  (units as PostgreSQL compares them: a month is 30 days)
_INTERVAL_PART = re.compile(
    r"([+-]?\d+(?:\.\d+)?)\s*([a-z]+)|([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d+)?))?"
)


def interval_seconds(text: str) -> Decimal | None:
    """An interval literal as PostgreSQL prints it (``1 day``, ``01:30:00``, ``2 mons``) in
    seconds, to compare like numbers; None when it is not one dbflow reads."""
    total, found, rest = Decimal(0), False, text.strip().lower()
    for match in _INTERVAL_PART.finditer(rest):
        found = True
        if match.group(1) is not None:
            unit = _INTERVAL_UNITS.get(match.group(2).rstrip("s")) or _INTERVAL_UNITS.get(
                match.group(2)
            )
            if unit is None:
                return None
            total += Decimal(match.group(1)) * unit
        else:
            sign = -1 if match.group(3) == "-" else 1
            hours, minutes = Decimal(match.group(4)), Decimal(match.group(5))
            seconds = Decimal(match.group(6) or 0)
            total += sign * (hours * 3600 + minutes * 60 + seconds)
    return total if found else None


def _length(rule: ColumnRule, op: str, value: Value) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return False
    value = int(value)
    if op in ("<=", "<"):
        limit = value if op == "<=" else value - 1
        rule.max_length = limit if rule.max_length is None else min(rule.max_length, limit)
    elif op in (">=", ">"):
        limit = value if op == ">=" else value + 1
        rule.min_length = limit if rule.min_length is None else max(rule.min_length, limit)
    elif op == "=":
        rule.min_length = max(rule.min_length or 0, value)
        rule.max_length = value if rule.max_length is None else min(rule.max_length, value)
        rule.exact_length = value
    else:
        return False
    return True


def _bound(rule: ColumnRule, op: str, value: Value) -> bool:
    if op == "=":
        if rule.choices is None:
            rule.choices = [value]
        else:
            rule.choices = [choice for choice in rule.choices if choice == value]
        return True
    if op == "<>":
        rule.excluded.append(value)
        return True
    if isinstance(value, dt.datetime):
        if op in (">", ">="):
            rule.after = value if rule.after is None else max(rule.after, value)
        else:
            rule.before = value if rule.before is None else min(rule.before, value)
        return True
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    number = Decimal(str(value))
    if op in (">", ">="):
        if rule.minimum is None or number > rule.minimum or (number == rule.minimum and op == ">"):
            rule.minimum, rule.exclusive_minimum = number, op == ">"
        return True
    if rule.maximum is None or number < rule.maximum or (number == rule.maximum and op == "<"):
        rule.maximum, rule.exclusive_maximum = number, op == "<"
    return True


def opaque_literal(columns: Iterable[str]) -> Branch:
    """One branch that constructs nothing and leaves the whole check to verification."""
    return ((Opaque(frozenset(columns)), True),)
