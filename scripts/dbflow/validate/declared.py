"""The schema as the migration files declare it, replayed statement by statement.

This is the linter's model of the history, built from migration text without a database;
the live database's schema, read from its catalog, is :mod:`dbflow.catalog` (another thing,
with other names).

It answers what the rules need to know about the database *before* a statement runs: does
the table exist, and was it created in an earlier file (then it may hold production data)
or earlier in this same file; is RLS on by the end of the history; which indexes cover a
foreign key; which functions are SECURITY DEFINER; and so on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
)

Key = tuple[str, str]

# Tables the Supabase platform creates: they exist before any migration and hold data.
PLATFORM_TABLES: frozenset[Key] = frozenset(
    {
        ("auth", "users"),
        ("auth", "identities"),
        ("auth", "sessions"),
        ("auth", "refresh_tokens"),
        ("storage", "objects"),
        ("storage", "buckets"),
        ("realtime", "messages"),
    }
)


@dataclass(frozen=True)
class Location:
    file_index: int
    display: str
    line: int
    column: int


@dataclass
class DeclaredColumn:
    name: str
    type: str
    not_null: bool = False
    modifiers: tuple[int, ...] = ()


@dataclass
class DeclaredForeignKey:
    columns: tuple[str, ...]
    target: Key
    location: Location


@dataclass
class DeclaredPolicy:
    name: str
    location: Location


@dataclass
class DeclaredTable:
    key: Key
    created: Location | None  # None: it existed before the migrations (platform table)
    columns: dict[str, DeclaredColumn] = field(default_factory=dict)
    primary_key: tuple[str, ...] | None = None
    rls_enabled: bool = False
    commented: bool = False
    indexes: list[tuple[str, ...]] = field(default_factory=list)
    foreign_keys: list[DeclaredForeignKey] = field(default_factory=list)
    policies: dict[str, DeclaredPolicy] = field(default_factory=dict)

    def covered(self, columns: tuple[str, ...]) -> bool:
        """True when an index (or the primary key) starts with ``columns``, in any order."""
        wanted = set(columns)
        candidates = list(self.indexes)
        if self.primary_key:
            candidates.append(self.primary_key)
        return any(set(index[: len(columns)]) == wanted for index in candidates)


@dataclass
class DeclaredView:
    key: Key
    created: Location
    security_invoker: bool
    materialized: bool


@dataclass
class DeclaredFunction:
    key: Key
    security_definer: bool
    has_search_path: bool


@dataclass
class DeclaredSchema:
    tables: dict[Key, DeclaredTable] = field(default_factory=dict)
    views: dict[Key, DeclaredView] = field(default_factory=dict)
    functions: dict[Key, DeclaredFunction] = field(default_factory=dict)
    index_tables: dict[Key, Key] = field(default_factory=dict)  # index name -> table
    extensions: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for key in PLATFORM_TABLES:
            self.tables.setdefault(
                key, DeclaredTable(key, None, primary_key=("id",), rls_enabled=True)
            )

    def table(self, key: Key) -> DeclaredTable | None:
        return self.tables.get(key)

    def apply(self, kind: str, node: Node, where: Location) -> None:
        """Update the model with the effect of one statement."""
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, node, where)


def _create_table(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("relation"))
    if key in model.tables and node.get("if_not_exists"):
        return
    table = DeclaredTable(key, where)
    for element in node.get("tableElts", []) or []:
        if "ColumnDef" in element:
            _add_column(table, element["ColumnDef"], where)
        elif "Constraint" in element:
            _add_constraint(table, element["Constraint"], where)
    model.tables[key] = table


def _add_column(table: DeclaredTable, column: Node, where: Location) -> None:
    name = column.get("colname", "")
    type_node = column.get("typeName")
    entry = DeclaredColumn(name, type_name(type_node), modifiers=tuple(type_modifiers(type_node)))
    table.columns[name] = entry
    for item in column.get("constraints", []) or []:
        constraint = item.get("Constraint", {})
        contype = constraint.get("contype")
        if contype in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            entry.not_null = True
        if contype == "CONSTR_PRIMARY":
            table.primary_key = (name,)
        elif contype == "CONSTR_UNIQUE":
            table.indexes.append((name,))
        elif contype == "CONSTR_FOREIGN":
            target = qualified(constraint.get("pktable"))
            table.foreign_keys.append(DeclaredForeignKey((name,), target, where))


def _add_constraint(table: DeclaredTable, constraint: Node, where: Location) -> None:
    contype = constraint.get("contype")
    keys = tuple(names(constraint.get("keys")))
    if contype == "CONSTR_PRIMARY":
        table.primary_key = keys
        for name in keys:
            if name in table.columns:
                table.columns[name].not_null = True
    elif contype in ("CONSTR_UNIQUE", "CONSTR_EXCLUSION") and keys:
        table.indexes.append(keys)
    elif contype == "CONSTR_FOREIGN":
        columns = tuple(names(constraint.get("fk_attrs")))
        target = qualified(constraint.get("pktable"))
        table.foreign_keys.append(DeclaredForeignKey(columns, target, where))


def _alter_table(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("relation"))
    table = model.tables.get(key)
    if table is None:
        return
    for command in alter_commands(node):
        subtype = command.get("subtype")
        definition = command.get("def") or {}
        if subtype == "AT_AddColumn" and "ColumnDef" in definition:
            _add_column(table, definition["ColumnDef"], where)
        elif subtype == "AT_DropColumn":
            table.columns.pop(command.get("name", ""), None)
        elif subtype == "AT_AddConstraint" and "Constraint" in definition:
            _add_constraint(table, definition["Constraint"], where)
        elif subtype == "AT_EnableRowSecurity":
            table.rls_enabled = True
        elif subtype == "AT_DisableRowSecurity":
            table.rls_enabled = False
        elif subtype == "AT_SetNotNull" and command.get("name") in table.columns:
            table.columns[command["name"]].not_null = True
        elif subtype == "AT_DropNotNull" and command.get("name") in table.columns:
            table.columns[command["name"]].not_null = False
        elif subtype == "AT_AlterColumnType" and command.get("name") in table.columns:
            type_node = definition.get("ColumnDef", {}).get("typeName")
            table.columns[command["name"]].type = type_name(type_node)
            table.columns[command["name"]].modifiers = tuple(type_modifiers(type_node))


def _create_index(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("relation"))
    table = model.tables.get(key)
    columns = tuple(
        element.get("IndexElem", {}).get("name") or "(expression)"
        for element in node.get("indexParams", []) or []
    )
    if table is not None and not node.get("whereClause"):
        table.indexes.append(columns)
    if node.get("idxname"):
        model.index_tables[(key[0], node["idxname"])] = key


def _drop(model: DeclaredSchema, node: Node, where: Location) -> None:
    kind = node.get("removeType")
    for item in node.get("objects", []) or []:
        if "List" in item:
            key = qualified_from_names(item["List"].get("items"))
            parts = names(item["List"].get("items"))
        else:
            parts = names([item])
            key = ("public", parts[0]) if parts else ("public", "")
        if kind == "OBJECT_TABLE":
            model.tables.pop(key, None)
        elif kind in ("OBJECT_VIEW", "OBJECT_MATVIEW"):
            model.views.pop(key, None)
        elif kind == "OBJECT_POLICY" and len(parts) >= 2:
            table_key = qualified_from_names(item["List"]["items"][:-1])
            table = model.tables.get(table_key)
            if table is not None:
                table.policies.pop(parts[-1], None)
        elif kind == "OBJECT_EXTENSION":
            model.extensions.discard(parts[-1] if parts else "")


def _create_policy(model: DeclaredSchema, node: Node, where: Location) -> None:
    table = model.tables.get(qualified(node.get("table")))
    if table is not None:
        name = node.get("policy_name", "")
        table.policies[name] = DeclaredPolicy(name, where)


def _create_view(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified(node.get("view"))
    options = defelems(node.get("options"))
    invoker = string_value(options.get("security_invoker")) in ("on", "true", "1", "yes")
    model.views[key] = DeclaredView(key, where, invoker, materialized=False)


def _create_matview(model: DeclaredSchema, node: Node, where: Location) -> None:
    if node.get("objtype") != "OBJECT_MATVIEW":
        return
    into = node.get("into", {})
    key = qualified(into.get("IntoClause", into).get("rel"))
    model.views[key] = DeclaredView(key, where, security_invoker=False, materialized=True)


def _create_function(model: DeclaredSchema, node: Node, where: Location) -> None:
    key = qualified_from_names(node.get("funcname"))
    options = defelems(node.get("options"))
    definer = string_value(options.get("security")) == "true"
    has_search_path = any(
        option.get("DefElem", {}).get("defname") == "set"
        and option["DefElem"].get("arg", {}).get("VariableSetStmt", {}).get("name") == "search_path"
        for option in node.get("options", []) or []
    )
    model.functions[key] = DeclaredFunction(key, definer, has_search_path)


def _create_extension(model: DeclaredSchema, node: Node, where: Location) -> None:
    model.extensions.add(node.get("extname", ""))


def _rename(model: DeclaredSchema, node: Node, where: Location) -> None:
    if node.get("renameType") != "OBJECT_TABLE":
        return
    old = qualified(node.get("relation"))
    table = model.tables.pop(old, None)
    if table is not None:
        table.key = (old[0], node.get("newname", ""))
        model.tables[table.key] = table


def _comment(model: DeclaredSchema, node: Node, where: Location) -> None:
    if node.get("objtype") != "OBJECT_TABLE":
        return
    obj = node.get("object", {})
    key = qualified_from_names(obj.get("List", {}).get("items"))
    table = model.tables.get(key)
    if table is not None:
        table.commented = node.get("comment") is not None


_HANDLERS = {
    "CreateStmt": _create_table,
    "AlterTableStmt": _alter_table,
    "IndexStmt": _create_index,
    "DropStmt": _drop,
    "CreatePolicyStmt": _create_policy,
    "ViewStmt": _create_view,
    "CreateTableAsStmt": _create_matview,
    "CreateFunctionStmt": _create_function,
    "CreateExtensionStmt": _create_extension,
    "RenameStmt": _rename,
    "CommentStmt": _comment,
}
