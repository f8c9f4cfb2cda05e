"""Parse trees as the front end hands them out (libpg_query's JSON, as dicts), and small
readers for them, shared by the runner, the validator's model and rules, and the seeder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Node = dict[str, Any]


class Tree(dict[str, Any]):
    """A statement's parse tree, with typed readers for the fields most code asks about."""

    @property
    def relation(self) -> tuple[str, str] | None:
        """(schema, name) of the statement's table (``public`` when unqualified), if any."""
        found = self.get("relation")
        return qualified(found) if found else None

    @property
    def options(self) -> dict[str, Any]:
        """The statement's DefElem options by name."""
        return defelems(self.get("options"))

    @property
    def where(self) -> Node | None:
        found: Node | None = self.get("whereClause")
        return found

    def flag(self, name: str) -> bool:
        """A boolean field (``concurrent``, ``if_not_exists``, ``missing_ok`` ...), False
        when absent."""
        return bool(self.get(name))


def qualified(range_var: Node | None, default_schema: str = "public") -> tuple[str, str]:
    """(schema, name) of a RangeVar; unqualified names resolve to ``default_schema``."""
    if not range_var:
        return (default_schema, "")
    body = range_var.get("RangeVar", range_var)
    return (body.get("schemaname") or default_schema, body.get("relname", ""))


def names(items: list[Node] | None) -> list[str]:
    """The strings of a list of String nodes (qualified names, column lists)."""
    return [item["String"]["sval"] for item in items or [] if "String" in item]


def qualified_from_names(items: list[Node] | None) -> tuple[str, str]:
    parts = names(items)
    if len(parts) >= 2:
        return (parts[-2], parts[-1])
    return ("public", parts[0] if parts else "")


def type_name(type_node: Node | None) -> str:
    """A column type as written, normalised: 'int4', 'varchar', 'timestamp', 'serial'..."""
    if not type_node:
        return ""
    body = type_node.get("TypeName", type_node)
    parts = [part for part in names(body.get("names")) if part != "pg_catalog"]
    base = parts[-1] if parts else ""
    if body.get("arrayBounds"):
        base += "[]"
    return base


def type_modifiers(type_node: Node | None) -> list[int]:
    body = (type_node or {}).get("TypeName", type_node or {})
    values = []
    for modifier in body.get("typmods", []) or []:
        constant = modifier.get("A_Const", {})
        if "ival" in constant:
            values.append(int(constant["ival"].get("ival", 0)))
    return values


def alter_commands(node: Node) -> Iterator[Node]:
    """The AlterTableCmd bodies of an ALTER TABLE statement."""
    for item in node.get("cmds", []) or []:
        yield item.get("AlterTableCmd", {})


def added_columns(node: Node) -> Iterator[Node]:
    """ColumnDef bodies a CREATE TABLE declares or an ALTER TABLE ... ADD COLUMN adds."""
    for element in node.get("tableElts", []) or []:
        if "ColumnDef" in element:
            yield element["ColumnDef"]
    for command in alter_commands(node):
        column = (command.get("def") or {}).get("ColumnDef")
        if command.get("subtype") == "AT_AddColumn" and column:
            yield column


def table_constraints(node: Node) -> Iterator[Node]:
    """The Constraint bodies a CREATE TABLE or ALTER TABLE declares: on the table and on its
    columns."""
    columns = list(added_columns(node))
    for element in node.get("tableElts", []) or []:
        if "Constraint" in element:
            yield element["Constraint"]
    for command in alter_commands(node):
        definition = command.get("def") or {}
        if "Constraint" in definition:
            yield definition["Constraint"]
    for column in columns:
        for item in column.get("constraints", []) or []:
            if "Constraint" in item:
                yield item["Constraint"]


def defelems(options: list[Node] | None) -> dict[str, Any]:
    """DefElem options as {name: arg node} (e.g. view options, function options)."""
    result: dict[str, Any] = {}
    for option in options or []:
        element = option.get("DefElem")
        if element:
            result[element.get("defname", "")] = element.get("arg")
    return result


def string_value(arg: Any) -> str | None:
    """The text of a String, Boolean, Integer or A_Const argument."""
    if not isinstance(arg, dict):
        return None
    if "String" in arg:
        return str(arg["String"].get("sval", ""))
    if "Boolean" in arg:
        return "true" if arg["Boolean"].get("boolval") else "false"
    if "Integer" in arg:
        return str(arg["Integer"].get("ival", 0))
    if "A_Const" in arg:
        constant = arg["A_Const"]
        for key in ("sval", "ival", "boolval"):
            if key in constant:
                inner = constant[key]
                return (
                    str(next(iter(inner.values()), "")) if isinstance(inner, dict) else str(inner)
                )
    return None


def walk(value: Any) -> Iterator[tuple[str, Node]]:
    """Every (kind, body) node under ``value``, depth first (see :func:`all_nodes`)."""
    return iter(all_nodes(value))


_SCALARS = frozenset({str, int, bool, float, type(None)})


def all_nodes(value: Any) -> list[tuple[str, Node]]:
    """Every (kind, body) node under ``value``, depth first, as one list (a statement's node
    index is built once with it and shared by every rule). The hottest loop of the validator:
    exact type checks first, since below the top a tree holds plain dicts and lists; a dict
    subclass such as a Tree is read as a dict."""
    found: list[tuple[str, Node]] = []
    add = found.append
    stack: list[Any] = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        current = pop()
        kind = type(current)
        if kind is list:
            extend(current)
            continue
        if kind is not dict:
            if not isinstance(current, dict):
                continue
            current = dict(current)
        for key, child in current.items():
            kind = type(child)
            if kind is dict:
                if key[:1].isupper():
                    add((key, child))
                push(child)
            elif kind is list:
                push(child)
            elif kind not in _SCALARS and isinstance(child, dict | list):  # a Tree, say
                if key[:1].isupper() and isinstance(child, dict):
                    add((key, child))
                push(child)
    return found


def function_calls(value: Any) -> Iterator[tuple[tuple[str, ...], Node]]:
    """Every function call under ``value`` as (qualified name parts, FuncCall body)."""
    for kind, body in walk(value):
        if kind == "FuncCall":
            yield tuple(names(body.get("funcname"))), body


def string_constants(value: Any) -> list[str]:
    """Every string literal under ``value`` (function bodies included), depth first."""
    found: list[str] = []
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            constant = current.get("A_Const")
            if constant is not None and "sval" in constant:
                found.append(str(constant["sval"].get("sval", "")))
                continue
            text = current.get("String")
            if text is not None and "sval" in text:
                found.append(str(text["sval"]))
                continue
            stack.extend(child for child in current.values() if isinstance(child, dict | list))
        elif isinstance(current, list):
            stack.extend(current)
    return found


def quote_ident(name: str) -> str:
    """``name`` as PostgreSQL's quote_ident() writes it: bare when it can be, else quoted."""
    from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

    plain = (
        bool(name)
        and (name[0].islower() or name[0] == "_")
        and all(char.islower() or char.isdigit() or char in "_$" for char in name)
        and name.isascii()
    )
    keyword = (
        name in RESERVED_KEYWORDS or name in COL_NAME_KEYWORDS or (name in TYPE_FUNC_NAME_KEYWORDS)
    )
    if plain and not keyword:
        return name
    return '"' + name.replace('"', '""') + '"'


def is_true(expression: Node | None) -> bool:
    """True when the expression is the constant true (a policy's USING (true))."""
    constant = (expression or {}).get("A_Const", {})
    return "boolval" in constant and bool(constant["boolval"].get("boolval"))
