"""What each statement does to the declared schema (:mod:`dbflow.validate.declared`).

Every handler records the objects it creates, changes or drops (``touch``), so that a
finding about an object a later statement replaced can be left to that statement.
"""

from __future__ import annotations

from collections.abc import Callable

from dbflow.sql.tree import (
    Node,
    alter_commands,
    defelems,
    names,
    qualified,
    qualified_from_names,
    string_value,
    type_modifiers,
    type_name,
    walk,
)
from dbflow.validate.declared import (
    EXTENSION_SCHEMAS,
    DeclaredColumn,
    DeclaredConstraint,
    DeclaredForeignKey,
    DeclaredFunction,
    DeclaredIndex,
    DeclaredPolicy,
    DeclaredSchema,
    DeclaredTable,
    DeclaredView,
    Key,
    Location,
)

_CONSTRAINT_KINDS = {
    "CONSTR_PRIMARY": "p",
    "CONSTR_UNIQUE": "u",
    "CONSTR_FOREIGN": "f",
    "CONSTR_CHECK": "c",
    "CONSTR_EXCLUSION": "x",
}
_TRUE = ("on", "true", "1", "yes")


def apply_statement(model: DeclaredSchema, kind: str, node: Node, where: Location) -> None:
    """Update ``model`` with the effect of one statement."""
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(model, node, where)


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


def _create_table(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("relation"))
    if key in model.tables and node.get("if_not_exists"):
        return
    table = DeclaredTable(key, where)
    for element in node.get("tableElts", []) or []:
        if "ColumnDef" in element:
            _add_column(model, table, element["ColumnDef"], where)
        elif "Constraint" in element:
            _add_constraint(model, table, element["Constraint"], where)
    model.tables[key] = table
    model.touch(("table", *key), where)


def _add_column(model: DeclaredSchema, table: DeclaredTable, column: Node, where: Location) -> None:
    name = column.get("colname", "")
    type_node = column.get("typeName")
    entry = DeclaredColumn(name, type_name(type_node), modifiers=tuple(type_modifiers(type_node)))
    table.columns[name] = entry
    for item in column.get("constraints", []) or []:
        constraint = item.get("Constraint", {})
        contype = constraint.get("contype")
        if contype in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            entry.not_null = True
        if contype in _CONSTRAINT_KINDS:
            own = [{"String": {"sval": name}}]
            _add_constraint(model, table, {**constraint, "keys": own, "fk_attrs": own}, where)


def _add_constraint(
    model: DeclaredSchema, table: DeclaredTable, constraint: Node, where: Location
) -> None:
    contype = constraint.get("contype", "")
    kind = _CONSTRAINT_KINDS.get(contype)
    if kind is None:
        return
    keys = tuple(names(constraint.get("keys")))
    index = constraint.get("indexname")
    if index and not keys:  # ... PRIMARY KEY / UNIQUE USING INDEX name
        found = model.index((table.key[0], index))
        keys = found.columns if found is not None else ()
    if kind == "p":
        table.primary_key = keys
        for name in keys:
            if name in table.columns:
                table.columns[name].not_null = True
    elif kind in ("u", "x") and keys:
        table.indexes.append(
            DeclaredIndex(
                constraint.get("conname") or "", keys, opclasses=("",) * len(keys), unique=True
            )
        )
    columns = keys
    if kind == "c":  # a CHECK (col IS NOT NULL) proves a column not null; others name none
        columns = _not_null_check(constraint.get("raw_expr"))
    if kind == "f":
        columns = tuple(names(constraint.get("fk_attrs")))
        target = qualified(constraint.get("pktable"))
        name = constraint.get("conname") or ""
        on_delete = constraint.get("fk_del_action") or "a"
        table.foreign_keys.append(DeclaredForeignKey(columns, target, where, name, on_delete))
    name = constraint.get("conname") or default_constraint_name(
        table.key[1], kind, keys or columns or _first_column(constraint.get("raw_expr"))
    )
    validated = not constraint.get("skip_validation")
    table.constraints[name] = DeclaredConstraint(name, kind, columns, validated, where)


_LABELS = {"p": "pkey", "u": "key", "f": "fkey", "c": "check", "x": "excl"}


def default_constraint_name(table: str, kind: str, columns: tuple[str, ...]) -> str:
    """The name PostgreSQL gives an unnamed constraint: table_columns_label, the longer part
    shortened first to fit 63 bytes (makeObjectName)."""
    label = _LABELS[kind]
    first, second = table, "" if kind == "p" else "_".join(columns)
    room = 63 - len(label) - 1 - (1 if second else 0)
    while len(first.encode()) + len(second.encode()) > room:
        if len(first) >= len(second):
            first = first[:-1]
        else:
            second = second[:-1]
    return "_".join(part for part in (first, second, label) if part)


def _first_column(expression: Node | None) -> tuple[str, ...]:
    for kind, body in walk(expression):
        if kind == "ColumnRef":
            fields = names(body.get("fields"))
            return (fields[-1],) if fields else ()
    return ()


def _not_null_check(expression: Node | None) -> tuple[str, ...]:
    test = (expression or {}).get("NullTest", {})
    if test.get("nulltesttype") != "IS_NOT_NULL":
        return ()
    fields = names(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
    return (fields[-1],) if len(fields) == 1 else ()


def _alter_table(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("relation"))
    if node.get("objtype") == "OBJECT_VIEW" or key in model.views:
        _alter_view(model, key, node, where)
        return
    table = model.tables.get(key)
    if table is None:
        return
    for command in alter_commands(node):
        subtype = command.get("subtype")
        definition = command.get("def") or {}
        column = table.columns.get(command.get("name", ""))
        if subtype == "AT_AddColumn" and "ColumnDef" in definition:
            name = definition["ColumnDef"].get("colname", "")
            if not (command.get("missing_ok") and name in table.columns):
                _add_column(model, table, definition["ColumnDef"], where)
        elif subtype == "AT_DropColumn":
            _drop_column(table, command.get("name", ""))
        elif subtype == "AT_AddConstraint" and "Constraint" in definition:
            _add_constraint(model, table, definition["Constraint"], where)
        elif subtype == "AT_DropConstraint":
            _drop_constraint(table, command.get("name", ""))
        elif subtype == "AT_ValidateConstraint" and command.get("name") in table.constraints:
            table.constraints[command["name"]].validated = True
        elif subtype in ("AT_EnableRowSecurity", "AT_ForceRowSecurity"):
            table.rls_enabled = True
        elif subtype == "AT_DisableRowSecurity":
            table.rls_enabled = False
        elif subtype == "AT_SetNotNull" and column is not None:
            column.not_null = True
        elif subtype == "AT_DropNotNull" and column is not None:
            column.not_null = False
        elif subtype == "AT_AlterColumnType" and column is not None:
            type_node = definition.get("ColumnDef", {}).get("typeName")
            column.type = type_name(type_node)
            column.modifiers = tuple(type_modifiers(type_node))


def _drop_column(table: DeclaredTable, name: str) -> None:
    """A column goes with the keys, constraints and indexes that use it."""
    table.columns.pop(name, None)
    table.foreign_keys = [fk for fk in table.foreign_keys if name not in fk.columns]
    table.indexes = [index for index in table.indexes if name not in index.columns]
    table.constraints = {
        key: constraint
        for key, constraint in table.constraints.items()
        if name not in constraint.columns
    }
    if table.primary_key and name in table.primary_key:
        table.primary_key = None


def _drop_constraint(table: DeclaredTable, name: str) -> None:
    dropped = table.constraints.pop(name, None)
    if dropped is None:
        return
    if dropped.kind == "p" and table.primary_key == dropped.columns:
        table.primary_key = None
    elif dropped.kind == "f":
        table.foreign_keys = [fk for fk in table.foreign_keys if fk.name != name]
    elif dropped.kind in ("u", "x"):
        table.indexes = [index for index in table.indexes if index.name != name]


def _alter_view(model: DeclaredSchema, key: Key, node: Node, where: Location) -> None:
    view = model.views.get(key)
    for command in alter_commands(node):
        if command.get("subtype") != "AT_SetRelOptions" or view is None:
            continue
        options = defelems((command.get("def") or {}).get("List", {}).get("items"))
        if "security_invoker" in options:
            view.security_invoker = string_value(options["security_invoker"]) in _TRUE
            model.touch(("view", *key), where)


def _create_index(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("relation"))
    name = node.get("idxname") or ""
    if name and (key[0], name) in model.index_tables and node.get("if_not_exists"):
        return
    table = model.tables.get(key)
    params = [element.get("IndexElem", {}) for element in node.get("indexParams", []) or []]
    index = DeclaredIndex(
        name,
        tuple(param.get("name") or "(expression)" for param in params),
        node.get("accessMethod") or "btree",
        tuple(".".join(names(param.get("opclass"))) for param in params),
        bool(node.get("whereClause")),
        bool(node.get("unique")),
        descending_columns(params),
    )
    if table is not None:
        table.indexes.append(index)
    if name:
        model.index_tables[(key[0], name)] = key


def descending_columns(params: list[Node]) -> tuple[bool, ...]:
    """Per index column, whether it is DESC; () when every column is ascending."""
    found = tuple(param.get("ordering") == "SORTBY_DESC" for param in params)
    return found if any(found) else ()


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
    if existing is not None and not node.get("qual") and not node.get("with_check"):
        columns = existing.columns
    table.policies[name] = DeclaredPolicy(name, where, roles or ("public",), command, columns)


def _create_view(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("view"))
    options = defelems(node.get("options"))
    invoker = string_value(options.get("security_invoker")) in _TRUE
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
    model.functions[key] = DeclaredFunction(
        key, definer, _sets_search_path(node.get("options")), returns
    )
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
    model.touch(("function", *key), where)
    if function is None:
        return
    if _sets_search_path(node.get("actions")):
        function.has_search_path = True
    security = defelems(node.get("actions")).get("security")
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
    if kind == "OBJECT_TABLE":
        old = qualified(node.get("relation"))
        table = model.tables.pop(old, None)
        model.touch(("table", *old), where)
        if table is not None:
            table.key = (old[0], new)
            model.tables[table.key] = table
    elif kind == "OBJECT_COLUMN":
        table = model.tables.get(qualified(node.get("relation")))
        old_name = node.get("subname", "")
        if table is not None and old_name in table.columns:
            column = table.columns.pop(old_name)
            column.name = new
            table.columns[new] = column
    elif kind == "OBJECT_TABCONSTRAINT":
        table = model.tables.get(qualified(node.get("relation")))
        if table is not None and node.get("subname") in table.constraints:
            constraint = table.constraints.pop(node["subname"])
            constraint.name = new
            table.constraints[new] = constraint
    elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        old = qualified_from_names(node.get("object", {}).get("List", {}).get("items"))
        if old in model.types:
            model.types[(old[0], new)] = model.types.pop(old)
        model.touch(("type", *old), where)
    elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        old = qualified(node.get("relation"))
        model.touch(("view", *old), where)
        view = model.views.pop(old, None)
        if view is not None:
            view.key = (old[0], new)
            model.views[view.key] = view


def _set_schema(model: DeclaredSchema, node: Node, where: Location) -> None:
    kind = node.get("objectType")
    schema = node.get("newschema", "")
    if kind == "OBJECT_TABLE":
        old = qualified(node.get("relation"))
        model.touch(("table", *old), where)
        table = model.tables.pop(old, None)
        if table is not None:
            table.key = (schema, old[1])
            model.tables[table.key] = table
    elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
        old = qualified(node.get("relation"))
        model.touch(("view", *old), where)
        view = model.views.pop(old, None)
        if view is not None:
            view.key = (schema, old[1])
            model.views[view.key] = view
    elif kind == "OBJECT_EXTENSION":
        model.touch(("extension", string_value(node.get("object")) or ""), where)
    elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE"):
        old = qualified_from_names(node.get("object", {}).get("ObjectWithArgs", {}).get("objname"))
        model.touch(("function", *old), where)
        function = model.functions.pop(old, None)
        if function is not None:
            function.key = (schema, old[1])
            model.functions[function.key] = function


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
    "CreateStmt": _create_table,
    "AlterTableStmt": _alter_table,
    "IndexStmt": _create_index,
    "DropStmt": _drop,
    "CreatePolicyStmt": _policy,
    "AlterPolicyStmt": _policy,
    "ViewStmt": _create_view,
    "CreateTableAsStmt": _create_matview,
    "CreateFunctionStmt": _create_function,
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
}
