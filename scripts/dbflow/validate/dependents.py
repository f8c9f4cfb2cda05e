"""What depends on an object, as PostgreSQL records it (pg_depend): what a DROP ... CASCADE
or TRUNCATE ... CASCADE would also take.

Views and materialized views depend on the relations and functions they read; policies on
those their conditions read; triggers on their function; columns on their type and on the
functions their defaults, checks and generated expressions call; expression indexes on
their functions; foreign keys on the table they reference; a BEGIN ATOMIC function on what
its body names. (A PL/pgSQL or plain SQL body is not recorded by PostgreSQL: dropping what
it uses breaks it at its next call, not at the DROP.) Names a reference leaves unqualified
are matched by name alone, so a dependent is never missed for want of a schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import Node, names, qualified, qualified_from_names, walk
from dbflow.validate.declared import DeclaredForeignKey, DeclaredSchema, Key, Subject
from dbflow.validate.effects_tables import default_constraint_name


def record_statement(model: DeclaredSchema, kind: str, node: Node) -> None:
    """Record what the object a statement creates or changes comes to depend on."""
    if kind == "ViewStmt":
        record(model, ("view", *qualified(node.get("view"))), node.get("query"))
    elif kind == "CreateTableAsStmt":
        into = node.get("into", {})
        key = qualified(into.get("IntoClause", into).get("rel"))
        record(model, ("view", *key), node.get("query"))
    elif kind in ("CreatePolicyStmt", "AlterPolicyStmt"):
        subject = ("policy", *qualified(node.get("table")), node.get("policy_name", ""))
        record(model, subject, node.get("qual"), node.get("with_check"))
    elif kind == "CreateTrigStmt":
        record_trigger(model, node)
    elif kind in ("CreateStmt", "AlterTableStmt", "IndexStmt"):
        trees = list(_expressions(node))
        if trees:
            record(model, ("table", *qualified(node.get("relation"))), trees, calls_only=True)
    elif kind == "CreateFunctionStmt" and node.get("sql_body"):
        key = qualified_from_names(node.get("funcname"))
        record(model, ("function", *key), node.get("sql_body"))


def _expressions(node: Node) -> Iterator[Node]:
    """The expressions that can call a function in a CREATE TABLE, ALTER TABLE or CREATE
    INDEX: defaults, checks, generated columns, index expressions and predicates."""
    elements = list(node.get("tableElts") or [])
    elements += [
        command["AlterTableCmd"]["def"]
        for command in node.get("cmds") or []
        if command.get("AlterTableCmd", {}).get("def")
    ]
    for element in elements:
        column = element.get("ColumnDef")
        for item in (column.get("constraints") or []) if column else [element]:
            expression = item.get("Constraint", {}).get("raw_expr")
            if expression:
                yield expression
    for param in node.get("indexParams") or []:
        expression = param.get("IndexElem", {}).get("expr")
        if expression:
            yield expression
    if node.get("whereClause"):
        yield node["whereClause"]


def record(
    model: DeclaredSchema, dependent: Subject, *trees: object, calls_only: bool = False
) -> None:
    """Record that ``dependent`` reads the relations and calls the functions in ``trees``."""
    for tree in trees:
        for kind, body in walk(tree):
            if kind == "RangeVar" and not calls_only:
                target: Subject = ("relation", body.get("relname", ""))
            elif kind == "FuncCall":
                parts = names(body.get("funcname"))
                if not parts or parts[0] == "pg_catalog":
                    continue
                target = ("function", parts[-1])
            else:
                continue
            model.dependents.setdefault(target, set()).add(dependent)


def record_trigger(model: DeclaredSchema, node: Node) -> None:
    table = qualified(node.get("relation"))
    function = (names(node.get("funcname")) or [""])[-1]
    dependent = ("trigger", *table, node.get("trigname", ""))
    model.dependents.setdefault(("function", function), set()).add(dependent)


def dependents(model: DeclaredSchema, kind: str, key: Key) -> list[str]:
    """The objects that still depend on the table, view, function, type or schema ``key``
    (other than its own parts: a table's indexes, triggers and policies go with it)."""
    found: set[str] = set()
    if kind in ("table", "view"):
        found |= _referencing_tables(model, key)
        found |= _recorded(model, ("relation", key[1]), key)
        found |= _views_over(model, found, {key})
    elif kind == "function":
        found |= _recorded(model, ("function", key[1]), None)
    elif kind == "type":
        found |= _typed(model, key[1])
    elif kind == "schema":
        found |= _in_schema(model, key[1])
    return sorted(found)


def _views_over(model: DeclaredSchema, found: set[str], seen: set[Key]) -> set[str]:
    """The views over the views in ``found``, and so on (each view once)."""
    more: set[str] = set()
    for item in sorted(found):
        if not item.startswith("view "):
            continue
        schema, _, name = item.removeprefix("view ").partition(".")
        if (schema, name) in seen:
            continue
        seen.add((schema, name))
        over = _recorded(model, ("relation", name), (schema, name))
        more |= over | _views_over(model, over, seen)
    return more


def _referencing_tables(model: DeclaredSchema, key: Key) -> set[str]:
    return {
        f"foreign key {_name(table.key, foreign_key)} of {table.key[0]}.{table.key[1]}"
        for table in model.tables.values()
        if table.key != key
        for foreign_key in table.foreign_keys
        if foreign_key.target == key
    }


def _name(table: Key, foreign_key: DeclaredForeignKey) -> str:
    return foreign_key.name or default_constraint_name(table[1], "f", foreign_key.columns)


def _recorded(model: DeclaredSchema, target: Subject, own: Key | None) -> set[str]:
    found = set()
    for dependent in model.dependents.get(target, ()):
        kind, schema, name = dependent[0], dependent[1], dependent[2]
        if own is not None and (schema, name) == own and kind in ("policy", "trigger", "table"):
            continue  # the dropped table's own policies, triggers and columns go with it
        if _present(model, dependent):
            found.add(f"{kind} {'.'.join(dependent[1:])}")
    return found


def _present(model: DeclaredSchema, dependent: Subject) -> bool:
    kind, key = dependent[0], (dependent[1], dependent[2])
    if kind == "view":
        return key in model.views
    if kind == "function":
        return key in model.functions
    table = model.tables.get(key)
    if table is None:
        return False
    if kind == "policy":
        return dependent[3] in table.policies
    if kind == "trigger":
        return dependent[3] in table.triggers
    return True  # a table's column default, check, generated column or index


def _typed(model: DeclaredSchema, name: str) -> set[str]:
    found = {
        f"column {table.key[0]}.{table.key[1]}.{column.name}"
        for table in model.tables.values()
        for column in table.columns.values()
        if column.type.removesuffix("[]") == name
    }
    found |= {
        f"function {function.key[0]}.{function.key[1]}"
        for function in model.functions.values()
        if name in {type_.removesuffix("[]") for type_ in (function.returns, *function.arguments)}
    }
    return found


def _in_schema(model: DeclaredSchema, schema: str) -> set[str]:
    objects: list[tuple[str, Key]] = [
        *(("table", key) for key in model.tables),
        *(("view", key) for key in model.views),
        *(("function", key) for key in model.functions),
        *(("type", key) for key in model.types),
        *(("sequence", key) for key in model.sequences),
    ]
    return {f"{kind} {key[0]}.{key[1]}" for kind, key in objects if key[0] == schema}
