"""A CHECK constraint as a small expression tree the seeder can reason about and evaluate.

``read_condition`` turns the definition PostgreSQL prints (``pg_get_constraintdef``) into
this tree (``seed.evaluate`` computes it for one row with SQL's three-valued logic). What the
tree cannot express (a user-defined function, a subscript...) becomes ``Opaque``: the solver
builds around it and the server decides (``seed.verify``).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal

from dbflow.seed.aliases import Value
from dbflow.sql.parse import parse_expression
from dbflow.sql.tree import Node, names, walk


class _Unknown:
    """The evaluator could not compute a value (distinct from SQL's NULL, which is None)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Value = _Unknown()


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Const:
    value: Value  # None, bool, int, Decimal, str


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Cast:
    arg: Expr
    type_name: str


@dataclass(frozen=True)
class Op:
    """A binary operator: comparison, arithmetic, regular expression, LIKE (``~~``)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp:
    kind: str  # "and", "or", "not"
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class NullTest:
    arg: Expr
    is_null: bool


@dataclass(frozen=True)
class BoolTest:
    arg: Expr
    kind: str  # IS_TRUE, IS_NOT_TRUE, IS_FALSE, IS_NOT_FALSE, IS_UNKNOWN, IS_NOT_UNKNOWN


@dataclass(frozen=True)
class InList:
    arg: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class Distinct:
    left: Expr
    right: Expr
    negated: bool  # IS NOT DISTINCT FROM


@dataclass(frozen=True)
class Case:
    whens: tuple[tuple[Expr, Expr], ...]
    default: Expr


@dataclass(frozen=True)
class Opaque:
    """Something the seeder does not model; ``columns`` are the columns it reads."""

    columns: frozenset[str]


Expr = (
    Col
    | Const
    | Func
    | Cast
    | Op
    | BoolOp
    | NullTest
    | BoolTest
    | InList
    | Distinct
    | Case
    | Opaque
)

COMPARISONS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(left: Value, right: Value, op: str) -> bool:
    """``left op right`` for a comparison operator of SQL (``=``, ``<>``, ``<``...)."""
    return bool(COMPARISONS[op](left, right))


def check_expression(definition: str) -> str:
    """The expression of a CHECK as the catalog prints it (``CHECK (...)``, ``NOT VALID``)."""
    text = definition.strip()
    if text.upper().startswith("CHECK"):
        text = text[5:].strip()
    if text.upper().endswith("NOT VALID"):
        text = text[: -len("NOT VALID")].strip()
    return text


def read_condition(definition: str, domain_column: str | None = None) -> Expr:
    """The tree of a CHECK definition (``CHECK (...)``, maybe ``NOT VALID``); a domain's
    ``VALUE`` reads as ``domain_column``."""
    node = parse_expression(check_expression(definition))
    if node is None:
        return Opaque(frozenset())
    return _read(node, domain_column)


def _read(node: Node, domain: str | None) -> Expr:
    kind, body = next(iter(node.items()))
    if kind == "ColumnRef":
        name = _column_name(body, domain)
        return Opaque(frozenset()) if name is None else Col(name)
    if kind == "A_Const":
        return Const(_constant(body))
    if kind == "TypeCast":
        parts = names(body.get("typeName", {}).get("names"))
        type_name = parts[-1] if parts else ""
        if body.get("typeName", {}).get("arrayBounds"):
            type_name += "[]"
        return Cast(_read(body["arg"], domain), type_name)
    if kind == "FuncCall":
        name = names(body.get("funcname"))[-1]
        if body.get("agg_star") or body.get("over"):
            return _opaque(node, domain)
        return Func(name.lower(), tuple(_read(arg, domain) for arg in body.get("args", [])))
    if kind == "SQLValueFunction":
        op = body.get("op", "")
        if op in ("SVFOP_CURRENT_DATE",):
            return Func("current_date", ())
        if op.startswith("SVFOP_CURRENT_TIMESTAMP") or op.startswith("SVFOP_LOCALTIMESTAMP"):
            return Func("now", ())
        return _opaque(node, domain)
    if kind == "CoalesceExpr":
        return Func("coalesce", tuple(_read(arg, domain) for arg in body.get("args", [])))
    if kind == "MinMaxExpr":
        name = "greatest" if body.get("op") == "IS_GREATEST" else "least"
        return Func(name, tuple(_read(arg, domain) for arg in body.get("args", [])))
    if kind == "BoolExpr":
        boolop = {"AND_EXPR": "and", "OR_EXPR": "or", "NOT_EXPR": "not"}[body["boolop"]]
        return BoolOp(boolop, tuple(_read(arg, domain) for arg in body.get("args", [])))
    if kind == "NullTest":
        return NullTest(_read(body["arg"], domain), body.get("nulltesttype") == "IS_NULL")
    if kind == "BooleanTest":
        return BoolTest(_read(body["arg"], domain), body.get("booltesttype", "IS_TRUE"))
    if kind == "CaseExpr":
        subject = _read(body["arg"], domain) if body.get("arg") else None
        whens = []
        for when in body.get("args", []):
            clause = when["CaseWhen"]
            condition = _read(clause["expr"], domain)
            if subject is not None:
                condition = Op("=", subject, condition)
            whens.append((condition, _read(clause["result"], domain)))
        default = _read(body["defresult"], domain) if body.get("defresult") else Const(None)
        return Case(tuple(whens), default)
    if kind == "A_Expr":
        return _read_operator(node, body, domain)
    return _opaque(node, domain)


def _read_operator(node: Node, body: Node, domain: str | None) -> Expr:
    kind = body.get("kind")
    op = (body.get("name") or [{}])[-1].get("String", {}).get("sval", "")
    left = _read(body["lexpr"], domain) if body.get("lexpr") else Const(0)
    right_node: Node = body.get("rexpr") or {}
    if kind in ("AEXPR_OP_ANY", "AEXPR_OP_ALL"):
        elements = right_node.get("A_ArrayExpr", {}).get("elements")
        if elements is None and "TypeCast" in right_node:  # '{a,b}'::text[]
            literal = right_node["TypeCast"].get("arg", {}).get("A_Const", {})
            text = literal.get("sval", {}).get("sval")
            if isinstance(text, str) and text.startswith("{") and text.endswith("}"):
                elements_read: tuple[Expr, ...] | None = tuple(
                    Const(item.strip().strip('"')) for item in text[1:-1].split(",")
                )
            else:
                elements_read = None
        else:
            elements_read = (
                tuple(_read(item, domain) for item in elements) if elements is not None else None
            )
        if elements_read is None:
            return _opaque(node, domain)
        if kind == "AEXPR_OP_ANY" and op == "=":
            return InList(left, elements_read, False)
        if kind == "AEXPR_OP_ALL" and op == "<>":
            return InList(left, elements_read, True)
        joiner = "or" if kind == "AEXPR_OP_ANY" else "and"
        return BoolOp(joiner, tuple(Op(op, left, item) for item in elements_read))
    if kind == "AEXPR_IN":
        items = tuple(_read(item, domain) for item in right_node.get("List", {}).get("items", []))
        return InList(left, items, op == "<>")
    if kind in ("AEXPR_BETWEEN", "AEXPR_NOT_BETWEEN"):
        low, high = (_read(item, domain) for item in right_node.get("List", {}).get("items", []))
        inside = BoolOp("and", (Op(">=", left, low), Op("<=", left, high)))
        return inside if kind == "AEXPR_BETWEEN" else BoolOp("not", (inside,))
    if kind in ("AEXPR_DISTINCT", "AEXPR_NOT_DISTINCT"):
        return Distinct(left, _read(right_node, domain), kind == "AEXPR_NOT_DISTINCT")
    if kind == "AEXPR_LIKE":
        return Op(op, left, _read(right_node, domain))  # ~~ or !~~
    if kind == "AEXPR_ILIKE":
        return Op(op, left, _read(right_node, domain))  # ~~* or !~~*
    if kind == "AEXPR_OP":
        if not body.get("lexpr"):
            if op == "-":
                return Op("-", Const(0), _read(right_node, domain))
            return _opaque(node, domain)
        return Op(op, left, _read(right_node, domain))
    return _opaque(node, domain)


def _opaque(node: Node, domain: str | None) -> Opaque:
    """What the reader cannot model, with the columns it reads (the server decides it)."""
    found = {
        name
        for kind, body in walk(node)
        if kind == "ColumnRef" and (name := _column_name(body, domain)) is not None
    }
    return Opaque(frozenset(found))


def _column_name(reference: Node, domain: str | None) -> str | None:
    """A ColumnRef's column (a domain check's ``VALUE`` reads as ``domain``)."""
    parts = names(reference.get("fields"))
    if not parts:
        return None
    return domain if domain and parts == ["value"] else parts[-1]


def _constant(body: Node) -> Value:
    if body.get("isnull"):
        return None
    if "sval" in body:
        return body["sval"].get("sval", "")
    if "ival" in body:
        return int(body["ival"].get("ival", 0))
    if "fval" in body:
        return Decimal(body["fval"].get("fval", "0"))
    if "boolval" in body:
        return bool(body["boolval"].get("boolval", False))
    return None


def columns_of(expr: Expr) -> set[str]:
    """The columns an expression reads."""
    if isinstance(expr, Col):
        return {expr.name}
    if isinstance(expr, Opaque):
        return set(expr.columns)
    found: set[str] = set()
    for child in children(expr):
        found |= columns_of(child)
    return found


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Func | BoolOp):
        return expr.args
    if isinstance(expr, Cast | NullTest | BoolTest):
        return (expr.arg,)
    if isinstance(expr, Op | Distinct):
        return (expr.left, expr.right)
    if isinstance(expr, InList):
        return (expr.arg, *expr.items)
    if isinstance(expr, Case):
        return (*(part for when in expr.whens for part in when), expr.default)
    return ()
