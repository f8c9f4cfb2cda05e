"""What statements do to the declared schema's tables: CREATE and ALTER TABLE, columns,
constraints (named as PostgreSQL names them) and indexes. The rest of the statements are in
:mod:`dbflow.validate.effects`."""

from __future__ import annotations

from dbflow.sql.tree import (
    Node,
    alter_commands,
    defelems,
    names,
    qualified,
    string_value,
    type_modifiers,
    type_name,
    walk,
)
from dbflow.validate.declared import (
    DeclaredColumn,
    DeclaredConstraint,
    DeclaredForeignKey,
    DeclaredIndex,
    DeclaredSchema,
    DeclaredTable,
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
TRUE = ("on", "true", "1", "yes")


def create_table(model: DeclaredSchema, node: Node, where: Location) -> None:
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
    entry = DeclaredColumn(
        name, type_name(type_node), modifiers=tuple(type_modifiers(type_node)), added=where
    )
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
        table.key[1], kind, keys or columns or first_column(constraint.get("raw_expr"))
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


def first_column(expression: Node | None) -> tuple[str, ...]:
    """The first column an expression reads (what PostgreSQL names a CHECK after)."""
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


def alter_table(model: DeclaredSchema, node: Node, where: Location) -> None:
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
            view.security_invoker = string_value(options["security_invoker"]) in TRUE
            model.touch(("view", *key), where)


def create_index(model: DeclaredSchema, node: Node, where: Location) -> None:
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


def insert_rows(model: DeclaredSchema, node: Node, where: Location) -> None:
    """INSERT ... VALUES counts its rows into the table; INSERT ... SELECT may write any
    number of them."""
    table = model.tables.get(qualified(node.get("relation")))
    if table is None:
        return
    select = (node.get("selectStmt") or {}).get("SelectStmt", {})
    rows = select.get("valuesLists")
    if not node.get("selectStmt"):  # DEFAULT VALUES
        table.inserted_rows += 1
    elif rows and not select.get("fromClause"):
        table.inserted_rows += len(rows)
    else:
        table.filled_otherwise = True


def fill_any_number(model: DeclaredSchema, node: Node, where: Location) -> None:
    """A write whose number of rows is unknown: COPY, MERGE, or an INSERT that a DO block's
    loop or a function a client calls may run any number of times."""
    relation = node.get("relation")
    table = model.tables.get(qualified(relation)) if isinstance(relation, dict) else None
    if table is not None:
        table.filled_otherwise = True
