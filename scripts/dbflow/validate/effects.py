"""What each statement does to the declared schema (:mod:`dbflow.validate.declared`).

Every handler records the objects it creates, changes or drops (``touch``), so that a
finding about an object a later statement replaced can be left to that statement.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbflow.sql.tree import (
    Node,
    defelems,
    is_true,
    names,
    qualified,
    qualified_from_names,
    string_value,
    type_name,
    walk,
)
from dbflow.validate.declared import (
    EXTENSION_SCHEMAS,
    DeclaredFunction,
    DeclaredPolicy,
    DeclaredSchema,
    DeclaredView,
    Key,
    Location,
)
from dbflow.validate.dependents import record_statement
from dbflow.validate.effects_tables import (
    TRUE,
    alter_table,
    create_index,
    create_table,
    fill_any_number,
    insert_rows,
)


def apply_statement(model: DeclaredSchema, kind: str, node: Node, where: Location) -> None:
    """Update ``model`` with the effect of one statement."""
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(model, node, where)
        record_statement(model, kind, node)


def dropped_objects(node: Node) -> list[tuple[Key, tuple[str, ...]]]:
    """What a DROP statement names: each object's (schema, name) key and its name parts
    (for a trigger or policy: the table's parts, then the object's name)."""
    found: list[tuple[Key, tuple[str, ...]]] = []
    for item in node.get("objects", []) or []:
        if "List" in item:
            parts = tuple(names(item["List"].get("items")))
        elif "ObjectWithArgs" in item:
            parts = tuple(names(item["ObjectWithArgs"].get("objname")))
        elif "TypeName" in item:
            parts = tuple(names(item["TypeName"].get("names")))
        else:
            parts = tuple(names([item]))
        if not parts:
            continue
        key = (parts[-2], parts[-1]) if len(parts) >= 2 else ("public", parts[-1])
        found.append((key, parts))
    return found


def _drop(model: DeclaredSchema, node: Node, where: Location) -> None:
    kind = node.get("removeType")
    for key, parts in dropped_objects(node):
        if kind == "OBJECT_TABLE":
            model.tables.pop(key, None)
            model.touch(("table", *key), where)
        elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
            model.views.pop(key, None)
            model.touch(("view", *key), where)
        elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE"):
            model.functions.pop(key, None)
            model.touch(("function", *key), where)
        elif kind == "OBJECT_INDEX":
            table = model.tables.get(model.index_tables.pop(key, ("", "")))
            if table is not None:
                table.indexes = [index for index in table.indexes if index.name != key[1]]
        elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
            model.types.pop(key, None)
            model.touch(("type", *key), where)
        elif kind == "OBJECT_SEQUENCE":
            model.sequences.discard(key)
        elif kind == "OBJECT_SCHEMA":
            model.schemas.discard(parts[-1])
        elif kind == "OBJECT_EXTENSION":
            model.extensions.discard(parts[-1])
            model.touch(("extension", parts[-1]), where)
        elif kind in ("OBJECT_POLICY", "OBJECT_TRIGGER") and len(parts) >= 2:
            table_key = qualified_from_names([{"String": {"sval": p}} for p in parts[:-1]])
            _drop_from_table(model, kind, table_key, parts[-1], where)


def _drop_from_table(
    model: DeclaredSchema, kind: str, table_key: Key, name: str, where: Location
) -> None:
    table = model.tables.get(table_key)
    if table is None:
        return
    if kind == "OBJECT_POLICY":
        table.policies.pop(name, None)
        model.touch(("policy", *table_key, name), where)
    else:
        table.triggers.discard(name)


def _policy(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("table"))
    table = model.tables.get(key)
    name = node.get("policy_name", "")
    model.touch(("policy", *key, name), where)
    if table is None:
        return
    roles = tuple(
        "public"
        if item.get("RoleSpec", {}).get("roletype") == "ROLESPEC_PUBLIC"
        else item.get("RoleSpec", {}).get("rolename", "")
        for item in node.get("roles") or []
    )
    existing = table.policies.get(name)
    if existing is not None and not roles:  # ALTER POLICY without TO keeps the roles
        roles = existing.roles
    command = node.get("cmd_name") or (existing.command if existing else "all")
    columns = frozenset(
        fields[-1]
        for part in ("qual", "with_check")
        for kind, body in walk(node.get(part))
        if kind == "ColumnRef" and (fields := names(body.get("fields")))
    )
    conditions = [node[part] for part in ("qual", "with_check") if node.get(part)]
    unrestricted = bool(conditions) and all(is_true(item) for item in conditions)
    if existing is not None and not conditions:
        columns, unrestricted = existing.columns, existing.unrestricted
    if "cmd_name" in node and not node.get("permissive"):  # CREATE POLICY ... AS RESTRICTIVE
        unrestricted = False
    table.policies[name] = DeclaredPolicy(
        name, where, roles or ("public",), command, columns, unrestricted
    )


def _create_view(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("view"))
    options = defelems(node.get("options"))
    invoker = string_value(options.get("security_invoker")) in TRUE
    model.views[key] = DeclaredView(key, where, invoker, materialized=False)
    model.touch(("view", *key), where)


def _create_matview(model: DeclaredSchema, node: Node, where: Location) -> None:
    if node.get("objtype") != "OBJECT_MATVIEW":
        return
    into = node.get("into", {})
    key = qualified(into.get("IntoClause", into).get("rel"))
    model.views[key] = DeclaredView(key, where, security_invoker=False, materialized=True)
    model.touch(("view", *key), where)


def _create_function(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified_from_names(node.get("funcname"))
    options = defelems(node.get("options"))
    definer = string_value(options.get("security")) == "true"
    returns = type_name(node.get("returnType"))
    arguments = tuple(
        type_name(item.get("FunctionParameter", {}).get("argType"))
        for item in node.get("parameters") or []
    )
    model.functions[key] = DeclaredFunction(
        key, definer, _sets_search_path(node.get("options")), returns, arguments
    )
    model.touch(("function", *key), where)


def _define(model: DeclaredSchema, node: Node, where: Location) -> None:
    """CREATE AGGREGATE: an aggregate is called as a function is (a project's own any_value)."""
    if node.get("kind") != "OBJECT_AGGREGATE":
        return
    key = qualified_from_names(node.get("defnames"))
    model.functions[key] = DeclaredFunction(key, False, False, "")
    model.touch(("function", *key), where)


def _sets_search_path(options: list[Node] | None) -> bool:
    return any(
        option.get("DefElem", {}).get("defname") == "set"
        and option["DefElem"].get("arg", {}).get("VariableSetStmt", {}).get("name") == "search_path"
        for option in options or []
    )


def _alter_function(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified_from_names(node.get("func", {}).get("objname"))
    function = model.functions.get(key)
    sets_search_path = _sets_search_path(node.get("actions"))
    security = defelems(node.get("actions")).get("security")
    if sets_search_path or security is not None:  # what the search_path rules judge changed
        model.touch(("function", *key), where)
    if function is None:
        return
    if sets_search_path:
        function.has_search_path = True
    if security is not None:
        function.security_definer = string_value(security) == "true"


def _create_extension(model: DeclaredSchema, node: Node, where: Location) -> None:
    name = node.get("extname", "")
    model.extensions.add(name)
    model.touch(("extension", name), where)
    if name in EXTENSION_SCHEMAS:
        model.schemas.add(EXTENSION_SCHEMAS[name])


def _create_schema(model: DeclaredSchema, node: Node, where: Location) -> None:
    model.schemas.add(node.get("schemaname", ""))


def _create_type(model: DeclaredSchema, node: Node, where: Location) -> None:
    if "typeName" in node:  # CREATE TYPE ... AS ENUM
        key = qualified_from_names(node.get("typeName"))
        labels = tuple(item.get("String", {}).get("sval", "") for item in node.get("vals") or [])
    elif "domainname" in node:
        key, labels = qualified_from_names(node.get("domainname")), ()
    else:  # CREATE TYPE ... AS (composite)
        key, labels = qualified(node.get("typevar")), ()
    model.types[key] = labels
    model.touch(("type", *key), where)


def _create_range(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified_from_names(node.get("typeName"))
    model.types[key] = ()
    model.touch(("type", *key), where)


def _alter_enum(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified_from_names(node.get("typeName"))
    value = node.get("newVal")
    if value and key in model.types and value not in model.types[key]:
        model.types[key] = (*model.types[key], value)


def _create_sequence(model: DeclaredSchema, node: Node, where: Location) -> None:
    model.sequences.add(qualified(node.get("sequence")))


def _create_trigger(model: DeclaredSchema, node: Node, where: Location) -> None:
    table = model.tables.get(qualified(node.get("relation")))
    if table is not None:
        table.triggers.add(node.get("trigname", ""))


def _rename(model: DeclaredSchema, node: Node, where: Location) -> None:
    kind = node.get("renameType")
    new = node.get("newname", "")
    relation = qualified(node.get("relation"))
    if kind == "OBJECT_TABLE":
        _move(model, model.tables, "table", relation, (relation[0], new), where)
    elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        _move(model, model.views, "view", relation, (relation[0], new), where)
    elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        old = qualified_from_names(node.get("object", {}).get("List", {}).get("items"))
        if old in model.types:
            model.types[(old[0], new)] = model.types.pop(old)
        model.touch(("type", *old), where)
    elif kind in ("OBJECT_COLUMN", "OBJECT_TABCONSTRAINT"):
        table = model.tables.get(relation)
        if table is None:
            return
        within: dict[str, Any] = table.columns if kind == "OBJECT_COLUMN" else table.constraints
        old_name = node.get("subname", "")
        if old_name in within:
            item = within.pop(old_name)
            item.name = new
            within[new] = item


def _set_schema(model: DeclaredSchema, node: Node, where: Location) -> None:
    kind = node.get("objectType")
    schema = node.get("newschema", "")
    relation = qualified(node.get("relation"))
    if kind == "OBJECT_TABLE":
        _move(model, model.tables, "table", relation, (schema, relation[1]), where)
    elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        _move(model, model.views, "view", relation, (schema, relation[1]), where)
    elif kind == "OBJECT_EXTENSION":
        model.touch(("extension", string_value(node.get("object")) or ""), where)
    elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE"):
        old = qualified_from_names(node.get("object", {}).get("ObjectWithArgs", {}).get("objname"))
        _move(model, model.functions, "function", old, (schema, old[1]), where)


def _move(
    model: DeclaredSchema,
    objects: dict[Key, Any],
    kind: str,
    old: Key,
    new: Key,
    where: Location,
) -> None:
    """An object renamed or moved to another schema: its findings so far are left behind."""
    model.touch((kind, *old), where)
    found = objects.pop(old, None)
    if found is not None:
        found.key = new
        objects[new] = found


_WRITE_PRIVILEGES = frozenset({"insert", "update", "delete", "truncate", "all"})
_ANON = frozenset({"anon", "public"})


def grantees(node: Node) -> set[str]:
    """The roles a GRANT or REVOKE names ("public" for PUBLIC)."""
    found = set()
    for item in node.get("grantees", []) or []:
        role = item.get("RoleSpec", {})
        if role.get("roletype") == "ROLESPEC_PUBLIC":
            found.add("public")
        elif role.get("rolename"):
            found.add(role["rolename"])
    return found


def _grant(model: DeclaredSchema, node: Node, where: Location) -> None:
    """Track write access for anon or PUBLIC on tables (granted, or revoked again)."""
    if node.get("objtype", "OBJECT_TABLE") != "OBJECT_TABLE" or not _ANON & grantees(node):
        return
    privileges = {
        item.get("AccessPriv", {}).get("priv_name", "all") for item in node.get("privileges") or []
    } or {"all"}
    if not privileges & _WRITE_PRIVILEGES:
        return
    if node.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA":
        schemas = {string_value(item) for item in node.get("objects", []) or []}
        tables = [table for key, table in model.tables.items() if key[0] in schemas]
    else:
        keys = [qualified(item) for item in node.get("objects", []) or []]
        tables = [model.tables[key] for key in keys if key in model.tables]
    for table in tables:
        table.anon_write = where if node.get("is_grant") else None


def _comment(model: DeclaredSchema, node: Node, where: Location) -> None:
    if node.get("objtype") != "OBJECT_TABLE":
        return
    obj = node.get("object", {})
    key = qualified_from_names(obj.get("List", {}).get("items"))
    table = model.tables.get(key)
    if table is not None:
        table.commented = node.get("comment") is not None


_HANDLERS: dict[str, Callable[[DeclaredSchema, Node, Location], None]] = {
    "CreateStmt": create_table,
    "AlterTableStmt": alter_table,
    "IndexStmt": create_index,
    "DropStmt": _drop,
    "CreatePolicyStmt": _policy,
    "AlterPolicyStmt": _policy,
    "ViewStmt": _create_view,
    "CreateTableAsStmt": _create_matview,
    "CreateFunctionStmt": _create_function,
    "DefineStmt": _define,
    "AlterFunctionStmt": _alter_function,
    "CreateExtensionStmt": _create_extension,
    "CreateSchemaStmt": _create_schema,
    "CreateEnumStmt": _create_type,
    "CompositeTypeStmt": _create_type,
    "CreateDomainStmt": _create_type,
    "CreateRangeStmt": _create_range,
    "AlterEnumStmt": _alter_enum,
    "CreateSeqStmt": _create_sequence,
    "CreateTrigStmt": _create_trigger,
    "RenameStmt": _rename,
    "AlterObjectSchemaStmt": _set_schema,
    "CommentStmt": _comment,
    "GrantStmt": _grant,
    "InsertStmt": insert_rows,
    "CopyStmt": fill_any_number,
    "MergeStmt": fill_any_number,
}

# Writes that a DO block or a function body holds: how many times they run is unknown.
WRITES = frozenset({"InsertStmt", "CopyStmt", "MergeStmt"})


def apply_embedded(model: DeclaredSchema, kind: str, node: Node, where: Location) -> None:
    """The effect of a statement inside a DO block (run now) or a function body (run when
    called): a DO block's statements change the schema as written; a write in either may run
    any number of times."""
    if kind in WRITES:
        fill_any_number(model, node, where)
