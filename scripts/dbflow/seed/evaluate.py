"""A CHECK's expression tree (``seed.condition``) computed for one row with SQL's
three-valued logic: true, false, NULL, or UNKNOWN where dbflow cannot compute it (the server
then decides)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from dbflow.seed.aliases import Value
from dbflow.seed.condition import (
    COMPARISONS,
    UNKNOWN,
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

NOW = dt.datetime.now(dt.UTC)


def holds(expr: Expr, row: Mapping[str, Value]) -> bool | None:
    """True when the CHECK accepts ``row`` (true or NULL), False when it refuses it, None
    when dbflow cannot tell."""
    value = evaluate(expr, row)
    if value is UNKNOWN:
        return None
    return value is None or value is True


def evaluate(expr: Expr, row: Mapping[str, Value]) -> Value:
    """The value of ``expr`` for ``row``: a Python value, None for SQL NULL, or UNKNOWN."""
    try:
        return _evaluate(expr, row)
    except (TypeError, ValueError, ArithmeticError, InvalidOperation, re.error, KeyError):
        return UNKNOWN


def _evaluate(expr: Expr, row: Mapping[str, Value]) -> Value:
    if isinstance(expr, Col):
        return _plain(row[expr.name]) if expr.name in row else UNKNOWN
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Opaque):
        return UNKNOWN
    if isinstance(expr, BoolOp):
        return _boolean(expr, row)
    if isinstance(expr, NullTest):
        value = _evaluate(expr.arg, row)
        if value is UNKNOWN:
            return UNKNOWN
        return (value is None) == expr.is_null
    if isinstance(expr, BoolTest):
        value = _evaluate(expr.arg, row)
        if value is UNKNOWN:
            return UNKNOWN
        return {
            "IS_TRUE": value is True,
            "IS_NOT_TRUE": value is not True,
            "IS_FALSE": value is False,
            "IS_NOT_FALSE": value is not False,
            "IS_UNKNOWN": value is None,
            "IS_NOT_UNKNOWN": value is not None,
        }[expr.kind]
    if isinstance(expr, InList):
        return _in_list(expr, row)
    if isinstance(expr, Distinct):
        left, right = _evaluate(expr.left, row), _evaluate(expr.right, row)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        left, right = _align(left, right)
        same = left == right if left is not None and right is not None else left is right
        return same if expr.negated else not same
    if isinstance(expr, Case):
        for condition, result in expr.whens:
            test = _evaluate(condition, row)
            if test is UNKNOWN:
                return UNKNOWN
            if test is True:
                return _evaluate(result, row)
        return _evaluate(expr.default, row)
    if isinstance(expr, Cast):
        return _cast(_evaluate(expr.arg, row), expr.type_name)
    if isinstance(expr, Func):
        return _function(expr, row)
    if isinstance(expr, Op):
        return _operator(expr, row)
    return UNKNOWN


def _plain(value: Value) -> Value:
    obj = getattr(value, "obj", value)  # psycopg's Jsonb wrapper
    return obj


def _boolean(expr: BoolOp, row: Mapping[str, Value]) -> Value:
    values = [_evaluate(arg, row) for arg in expr.args]
    if expr.kind == "not":
        value = values[0]
        return value if value is None or value is UNKNOWN else not value
    decisive = expr.kind == "or"  # True decides an OR, False an AND
    if any(value is decisive for value in values):
        return decisive
    if any(value is UNKNOWN for value in values):
        return UNKNOWN
    if any(value is None for value in values):
        return None
    return not decisive


def _in_list(expr: InList, row: Mapping[str, Value]) -> Value:
    value = _evaluate(expr.arg, row)
    items = [_evaluate(item, row) for item in expr.items]
    if value is UNKNOWN or any(item is UNKNOWN for item in items):
        return UNKNOWN
    if value is None:
        return None
    found = any(
        _align(value, item)[0] == _align(value, item)[1] for item in items if item is not None
    )
    if not found and any(item is None for item in items):
        return None
    return not found if expr.negated else found


def _align(left: Value, right: Value) -> tuple[Value, Value]:
    """Compare as PostgreSQL would after coercing an untyped literal to the other side."""
    if left is None or right is None:
        return left, right
    if isinstance(left, bool) or isinstance(right, bool):
        return _as_bool(left), _as_bool(right)
    if isinstance(left, int | float | Decimal) and isinstance(right, str):
        return Decimal(str(left)), Decimal(right)
    if isinstance(right, int | float | Decimal) and isinstance(left, str):
        return Decimal(left), Decimal(str(right))
    if isinstance(left, int | float | Decimal) and isinstance(right, int | float | Decimal):
        return Decimal(str(left)), Decimal(str(right))
    if isinstance(left, dt.datetime | dt.date) and isinstance(right, str):
        return left, _as_time(right, left)
    if isinstance(right, dt.datetime | dt.date) and isinstance(left, str):
        return _as_time(left, right), right
    if (
        isinstance(left, dt.datetime)
        and isinstance(right, dt.date)
        and not isinstance(right, dt.datetime)
    ):
        return left, dt.datetime.combine(right, dt.time(), dt.UTC)
    if (
        isinstance(right, dt.datetime)
        and isinstance(left, dt.date)
        and not isinstance(left, dt.datetime)
    ):
        return dt.datetime.combine(left, dt.time(), dt.UTC), right
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return _aware(left), _aware(right)
    if not isinstance(left, str) and isinstance(right, str):
        return str(left), right
    if isinstance(left, str) and not isinstance(right, str):
        return left, str(right)
    return left, right


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _as_bool(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("t", "true", "yes", "on", "1", "y"):
        return True
    if isinstance(value, str) and value.lower() in ("f", "false", "no", "off", "0", "n"):
        return False
    raise ValueError(value)


def _as_time(text: str, like: dt.date) -> dt.date:
    if isinstance(like, dt.datetime):
        return _aware(dt.datetime.fromisoformat(text))
    return dt.date.fromisoformat(text)


_TEXT_TYPES = {"text", "varchar", "bpchar", "citext", "name", "character varying"}
_INT_TYPES = {"int2", "int4", "int8", "integer", "bigint", "smallint", "int"}
_DECIMAL_TYPES = {"numeric", "decimal", "float4", "float8", "real", "double precision"}


def _cast(value: Value, type_name: str) -> Value:
    if value is None or value is UNKNOWN:
        return value
    name = type_name.lower()
    if name in _TEXT_TYPES:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.datetime | dt.date | dict | list):
            return UNKNOWN  # PostgreSQL's text forms of these are not modelled
        return str(value)
    if name in _INT_TYPES:
        return int(Decimal(str(value)).to_integral_value())
    if name in _DECIMAL_TYPES:
        return Decimal(str(value))
    if name == "bool":
        return _as_bool(value)
    if name == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if name in ("timestamptz", "timestamp"):
        if isinstance(value, str):
            return _aware(dt.datetime.fromisoformat(value))
        return value
    if name in ("jsonb", "json"):
        return value
    return UNKNOWN


def _function(expr: Func, row: Mapping[str, Value]) -> Value:
    name = expr.name
    if name in ("now", "current_timestamp", "statement_timestamp", "transaction_timestamp"):
        return NOW
    if name == "current_date":
        return NOW.date()
    args = [_evaluate(arg, row) for arg in expr.args]
    if any(arg is UNKNOWN for arg in args):
        return UNKNOWN
    if name == "coalesce":
        return next((arg for arg in args if arg is not None), None)
    if name in ("greatest", "least"):
        present = [arg for arg in args if arg is not None]
        if not present:
            return None
        return max(present) if name == "greatest" else min(present)
    if name == "num_nulls":
        return sum(arg is None for arg in args)
    if name == "num_nonnulls":
        return sum(arg is not None for arg in args)
    if not args or args[0] is None:
        return None if args else UNKNOWN
    first = args[0]
    if name in ("length", "char_length", "character_length"):
        if isinstance(first, list):
            return UNKNOWN
        return len(str(first))
    if name == "octet_length":
        return len(str(first).encode())
    if name in ("btrim", "trim") and len(args) == 1:
        return str(first).strip(" ")
    if name == "ltrim" and len(args) == 1:
        return str(first).lstrip(" ")
    if name == "rtrim" and len(args) == 1:
        return str(first).rstrip(" ")
    if name == "lower":
        return str(first).lower()
    if name == "upper":
        return str(first).upper()
    if name == "abs":
        return abs(first)
    if name in ("jsonb_typeof", "json_typeof"):
        return _json_type(first)
    if name in ("jsonb_array_length", "json_array_length"):
        return len(first) if isinstance(first, list) else UNKNOWN
    if name == "cardinality" and isinstance(first, list):
        return len(first)
    if name == "array_length" and isinstance(first, list) and args[1:] == [1]:
        return len(first) or None
    return UNKNOWN


def _json_type(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _operator(expr: Op, row: Mapping[str, Value]) -> Value:
    left, right = _evaluate(expr.left, row), _evaluate(expr.right, row)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if left is None or right is None:
        return None
    op = expr.op
    if op in COMPARISONS:
        return compare(*_align(left, right), op)
    if op in ("~", "~*", "!~", "!~*"):
        found = re.search(python_pattern(str(right)), str(left), re.I if "*" in op else 0)
        return (found is not None) != op.startswith("!")
    if op in ("~~", "~~*", "!~~", "!~~*"):
        pattern = like_pattern(str(right))
        found = re.fullmatch(pattern, str(left), re.S | (re.I if "*" in op else 0))
        return (found is not None) != op.startswith("!")
    if op in ("+", "-", "*", "/", "%"):
        return _arithmetic(op, left, right)
    if op == "||":
        return f"{left}{right}"
    return UNKNOWN


def _arithmetic(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, dt.date | dt.datetime) or isinstance(right, dt.date | dt.datetime):
        return UNKNOWN
    a, b = Decimal(str(left)), Decimal(str(right))
    integers = isinstance(left, int) and isinstance(right, int)
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "/":
        result = (a / b).to_integral_value(rounding="ROUND_DOWN") if integers else a / b
    else:
        result = a % b
    return int(result) if integers else result


_POSIX_CLASSES = {
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:alnum:]": "a-zA-Z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:space:]": " \\t\\n\\r\\f\\v",
    "[:punct:]": "!-/:-@\\[-`{-~",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:word:]": "a-zA-Z0-9_",
}


def python_pattern(pattern: str) -> str:
    """A PostgreSQL (ARE) regular expression in Python's dialect, for the common subset."""
    for posix, plain in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, plain)
    return pattern.replace("\\m", "\\b").replace("\\M", "\\b").replace("\\y", "\\b")


def like_pattern(pattern: str) -> str:
    """A LIKE pattern (``%``, ``_``, backslash escapes) as a Python regular expression."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return "".join(out)
