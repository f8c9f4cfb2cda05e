"""``inv db.types``: TypeScript types of the database for supabase-js.

The output is what the Supabase CLI's ``gen types typescript`` (postgres-meta) produces,
compared structurally in the test suite: a ``Database`` type with, per API schema,
``Tables`` (``Row``, ``Insert``, ``Update``, ``Relationships``), ``Views``, ``Functions``
(overloads as a union of ``{ Args; Returns }``), ``Enums`` and ``CompositeTypes``; the
``Json`` type; the ``Tables``/``TablesInsert``/``TablesUpdate``/``Enums``/``CompositeTypes``
helpers (with their ``{ schema }`` forms); and ``Constants`` (each enum's values).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from dbflow.catalog.model import Catalog, Column, Function, Table, TableKey, View
from dbflow.catalog.read import read_all_enums, read_catalog
from dbflow.connection import Conn

_NUMBER = {"int2", "int4", "int8", "float4", "float8", "numeric"}
_STRING = {
    "bytea",
    "bpchar",
    "varchar",
    "date",
    "text",
    "citext",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "uuid",
    "vector",
    "interval",
}  # fmt: skip  (a word list, several to a line)
# What dbflow typed more precisely before; kept with ``specific=True``.
_SPECIFIC = {
    "inet": "string", "cidr": "string", "macaddr": "string", "tsvector": "string",
    "point": "string", "char": "string", "name": "string", "money": "number", "oid": "number",
}  # fmt: skip
_UNNAMED_ARGUMENT_TYPES = {"json", "jsonb", "text"}  # what PostgREST passes as one body
_INPUT_MODES = {"i", "b", "v"}

_HEADER = """export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]
"""


_PLAIN_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def prop(name: str) -> str:
    """A property name as TypeScript takes it: plain where it is an identifier, quoted
    otherwise (``"Mixed Case"``, ``"we'ird \\"tbl\\""``)."""
    return name if _PLAIN_NAME.match(name) else json.dumps(name, ensure_ascii=False)


@dataclass
class _Context:
    catalog: Catalog
    schemas: list[str]
    enums: dict[TableKey, tuple[str, ...]]
    specific: bool
    relationships: list[_Relationship] = dataclasses.field(default_factory=list)

    def ts(self, type_name: str, schema: str, type_schema: str | None = None) -> str:
        """The TypeScript type of a pg_type name (an array's name starts with '_')."""
        if type_name == "bool":
            return "boolean"
        if type_name in _NUMBER:
            return "number"
        if type_name in _STRING:
            return "string"
        if type_name in ("json", "jsonb"):
            return "Json"
        if type_name == "void":
            return "undefined"
        if type_name == "record":
            return "Record<string, unknown>"
        if type_name.startswith("_"):
            return f"({self.ts(type_name[1:], schema, type_schema)})[]"
        if self.specific and type_name in _SPECIFIC:
            return _SPECIFIC[type_name]
        preferred = type_schema or schema
        enum = self._named(type_name, preferred, self.enums)
        if enum is not None:
            if enum[0] in self.schemas:
                return f'Database[{json.dumps(enum[0])}]["Enums"][{json.dumps(enum[1])}]'
            return " | ".join(json.dumps(label) for label in self.enums[enum])
        composite = self._named(type_name, preferred, self.catalog.composite_types)
        if composite is not None:
            if composite[0] in self.schemas:
                return (
                    f'Database[{json.dumps(composite[0])}]["CompositeTypes"]'
                    f"[{json.dumps(composite[1])}]"
                )
            return "unknown"
        for kind, relations in (("Tables", self.catalog.tables), ("Views", self.catalog.views)):
            relation = self._named(type_name, preferred, relations)
            if relation is not None:
                if relation[0] in self.schemas:
                    return (
                        f"Database[{json.dumps(relation[0])}][{json.dumps(kind)}]"
                        f'[{json.dumps(relation[1])}]["Row"]'
                    )
                return "unknown"
        return "unknown"

    @staticmethod
    def _named(name: str, preferred: str, known: Iterable[TableKey]) -> TableKey | None:
        matches = [key for key in known if key[1] == name]
        for key in matches:
            if key[0] == preferred:
                return key
        return matches[0] if matches else None

    def column_type(self, column: Column, schema: str) -> str:
        """A column's type, without its nullability."""
        return self.ts(("_" if column.is_array else "") + column.base_type, schema)

    def column(self, column: Column, schema: str) -> str:
        return nullable(self.column_type(column, schema), not column.not_null)


def nullable(kind: str, is_nullable: bool) -> str:
    """``T | null``; a NOT NULL Json is ``NonNullable<Json>`` (Json includes null);
    ``unknown`` already includes null."""
    if kind == "Json" and not is_nullable:
        return "NonNullable<Json>"
    if kind in ("unknown", "any") or not is_nullable:
        return kind
    return f"{kind} | null"


def generate_types(conn: Conn, schemas: Iterable[str], *, specific: bool = False) -> str:
    wanted = sorted(dict.fromkeys(schemas))
    catalog = read_catalog(conn, wanted)
    context = _Context(catalog, wanted, read_all_enums(conn), specific)
    context.relationships = relationships(catalog)
    lines = [_HEADER, "export type Database = {"]
    for schema in wanted:
        lines.extend(_schema(context, schema))
    lines.append("}")
    lines.append(_helpers("public" if "public" in wanted else wanted[0]))
    lines.append(_constants(context))
    return "\n".join(lines) + "\n"


def _schema(context: _Context, schema: str) -> list[str]:
    catalog = context.catalog
    functions = _callable(context, schema)
    tables = [t for key, t in sorted(catalog.tables.items()) if key[0] == schema]
    views = [v for key, v in sorted(catalog.views.items()) if key[0] == schema]
    lines = [f"  {prop(schema)}: {{", "    Tables: {"]
    for table in tables:
        lines.extend(_table(context, schema, table, functions))
    lines.extend(["      [_ in never]: never"] if not tables else [])
    lines.extend(["    }", "    Views: {"])
    for view in views:
        lines.extend(_view(context, schema, view, functions))
    lines.extend(["      [_ in never]: never"] if not views else [])
    lines.extend(["    }", "    Functions: {"])
    lines.extend(_functions(context, schema, functions))
    lines.extend(["    }", "    Enums: {"])
    enums = sorted(
        (name, labels) for (owner, name), labels in context.enums.items() if owner == schema
    )
    for name, labels in enums:
        lines.append(f"      {prop(name)}: {' | '.join(json.dumps(label) for label in labels)}")
    lines.extend(["      [_ in never]: never"] if not enums else [])
    lines.extend(["    }", "    CompositeTypes: {"])
    composites = sorted(
        (name, attributes)
        for (owner, name), attributes in catalog.composite_types.items()
        if owner == schema
    )
    for name, attributes in composites:
        lines.append(f"      {prop(name)}: {{")
        for attribute, type_name in attributes:
            lines.append(
                f"        {prop(attribute)}: {nullable(context.ts(type_name, schema), True)}"
            )
        lines.append("      }")
    lines.extend(["      [_ in never]: never"] if not composites else [])
    lines.extend(["    }", "  }"])
    return lines


def _table(
    context: _Context, schema: str, table: Table, functions: list[tuple[Function, list[int]]]
) -> list[str]:
    columns = sorted(table.columns, key=lambda column: column.name)
    lines = [f"      {prop(table.key[1])}: {{", "        Row: {"]
    for column in columns:
        lines.append(f"          {prop(column.name)}: {context.column(column, schema)}")
    lines.extend(_computed_fields(context, schema, table.key[1], functions))
    lines.append("        }")
    for section in ("Insert", "Update"):
        lines.append(f"        {section}: {{")
        for column in columns:
            if column.generated or column.identity == "a":
                lines.append(f"          {prop(column.name)}?: never")
                continue
            optional = section == "Update" or (
                not column.not_null or column.has_default or bool(column.identity)
            )
            marker = "?" if optional else ""
            lines.append(f"          {prop(column.name)}{marker}: {context.column(column, schema)}")
        lines.append("        }")
    lines.extend(_relationship_lines(context, table.key))
    lines.append("      }")
    return lines


@dataclass(frozen=True)
class _Relationship:
    name: str
    source: TableKey
    columns: tuple[str, ...]
    one_to_one: bool
    target: TableKey
    target_columns: tuple[str, ...]


def relationships(catalog: Catalog) -> list[_Relationship]:
    """What PostgREST can embed: every foreign key, and the same key seen through views that
    expose all its columns (view to table, table to view, view to view)."""
    found = []
    for table in catalog.tables.values():
        for fk in table.foreign_keys:
            base = _Relationship(
                fk.name, table.key, fk.columns, _one_to_one(table, fk.columns), fk.target,
                fk.target_columns,
            )  # fmt: skip
            found.append(base)
            sources = [k for k in catalog.view_keys if k.side == "f" and k.table == table.key
                       and k.constraint == fk.name]  # fmt: skip
            targets = [k for k in catalog.view_keys if k.side == "f_ref" and k.table == fk.target
                       and k.constraint == fk.name]  # fmt: skip
            for key in sources:
                for columns in itertools.product(*key.columns):
                    found.append(dataclasses.replace(base, source=key.view, columns=columns))
            for key in targets:
                for columns in itertools.product(*key.columns):
                    found.append(dataclasses.replace(base, target=key.view, target_columns=columns))
            for source in sources:
                for columns in itertools.product(*source.columns):
                    for target in targets:
                        for target_columns in itertools.product(*target.columns):
                            found.append(
                                dataclasses.replace(
                                    base,
                                    source=source.view,
                                    columns=columns,
                                    target=target.view,
                                    target_columns=target_columns,
                                )
                            )
    return found


def _one_to_one(table: Table, columns: tuple[str, ...]) -> bool:
    """The key's columns, in its order, are a primary key or unique constraint of the table
    (whose columns count in table order)."""
    position = {column.name: index for index, column in enumerate(table.columns)}
    constraints = {c.name for c in table.constraints if c.kind == "u"}
    keys = [key.columns for key in table.unique_keys if key.name in constraints]
    if table.primary_key:
        keys.append(table.primary_key)
    return any(
        tuple(columns) == tuple(sorted(key, key=lambda name: position.get(name, 0))) for key in keys
    )


def _relationship_lines(context: _Context, key: TableKey) -> list[str]:
    """The relationships of one table or view, to relations of its own schema."""
    mine = sorted(
        (r for r in context.relationships if r.source == key and r.target[0] == key[0]),
        key=lambda r: (r.name, r.target[1], json.dumps(list(r.target_columns))),
    )
    lines = ["        Relationships: ["]
    for relationship in mine:
        lines.extend(
            [
                "          {",
                f"            foreignKeyName: {json.dumps(relationship.name)}",
                f"            columns: {json.dumps(list(relationship.columns))}",
                f"            isOneToOne: {str(relationship.one_to_one).lower()}",
                f"            referencedRelation: {json.dumps(relationship.target[1])}",
                f"            referencedColumns: {json.dumps(list(relationship.target_columns))}",
                "          },",
            ]
        )
    lines.append("        ]")
    return lines


def _view(
    context: _Context, schema: str, view: View, functions: list[tuple[Function, list[int]]]
) -> list[str]:
    columns = sorted(view.columns, key=lambda column: column.name)
    lines = [f"      {prop(view.key[1])}: {{", "        Row: {"]
    for column in columns:
        kind = context.column_type(column, schema)
        lines.append(f"          {prop(column.name)}: {nullable(kind, True)}")
    lines.extend(_computed_fields(context, schema, view.key[1], functions))
    lines.append("        }")
    for section, enabled in (("Insert", view.insertable), ("Update", view.updatable)):
        if not enabled or view.materialized:
            continue
        lines.append(f"        {section}: {{")
        for column in columns:
            if column.name not in view.updatable_columns:
                lines.append(f"          {prop(column.name)}?: never")
                continue
            kind = context.column_type(column, schema)
            lines.append(f"          {prop(column.name)}?: {nullable(kind, True)}")
        lines.append("        }")
    lines.extend(_relationship_lines(context, view.key))
    lines.append("      }")
    return lines


def _callable(context: _Context, schema: str) -> list[tuple[Function, list[int]]]:
    """The functions PostgREST exposes as RPC (with the positions of their input
    arguments): none of trigger type; unnamed arguments only where PostgREST can pass them
    (one json/jsonb/text body, defaults of those types, or a row of a relation)."""
    found = []
    for function in context.catalog.functions:
        if function.schema != schema or function.kind != "f":
            continue
        if function.returns in ("trigger", "event_trigger"):
            continue
        inputs = _inputs(function)
        names = [
            function.argument_names[i] if i < len(function.argument_names) else "" for i in inputs
        ]
        defaulted = set(inputs[len(inputs) - function.defaults :]) if function.defaults else set()
        types = [function.argument_types[i] for i in inputs]
        relations = [_argument_relation(function, i) for i in inputs]
        if (
            not inputs
            or all(names)
            or all(
                name or (i in defaulted and kind in _UNNAMED_ARGUMENT_TYPES)
                for name, i, kind in zip(names, inputs, types, strict=True)
            )
            or (len(inputs) == 1 and (types[0] in _UNNAMED_ARGUMENT_TYPES or relations[0]))
        ):
            found.append((function, inputs))
    return sorted(found, key=lambda item: item[0].name)


def _inputs(function: Function) -> list[int]:
    modes = function.argument_modes or ("i",) * len(function.argument_types)
    return [i for i, mode in enumerate(modes) if mode in _INPUT_MODES]


def _argument_relation(function: Function, index: int) -> str:
    relations = function.argument_relations
    return relations[index] if index < len(relations) else ""


def _functions(
    context: _Context, schema: str, functions: list[tuple[Function, list[int]]]
) -> list[str]:
    if not functions:
        return ["      [_ in never]: never"]
    by_name: dict[str, list[tuple[Function, list[int]]]] = {}
    for function, inputs in functions:
        by_name.setdefault(function.name, []).append((function, inputs))
    lines = []
    for name, overloads in by_name.items():
        signatures = [
            _signature(context, schema, function, inputs, _conflict(schema, overloads, function))
            for function, inputs in overloads
        ]
        lines.append(f"      {prop(name)}:")
        lines.append(
            "\n        | ".join(signatures) if len(signatures) > 1 else f"        {signatures[0]}"
        )
    return lines


def _signature(
    context: _Context,
    schema: str,
    function: Function,
    inputs: list[int],
    conflict: str | None = None,
) -> str:
    args = _args(context, schema, function, inputs)
    returns = _returns(context, schema, function)
    if conflict is not None:
        return f"{{ Args: {args}; Returns: {{ error: true }} & {json.dumps(conflict)} }}"
    if _row_error(context, function, inputs):
        message = (
            f"the function {schema}.{function.name} with parameter or with a single unnamed "
            "json/jsonb parameter, but no matches were found in the schema cache"
        )
        return f"{{ Args: {args}; Returns: {{ error: true }} & {json.dumps(message)} }}"
    setof = _setof(context, function)
    many = function.rows > 1
    suffix = "[]" if function.returns_set and not (not many and setof) else ""
    extra = f"; SetofOptions: {setof}" if setof else ""
    return f"{{ Args: {args}; Returns: {returns}{suffix}{extra} }}"


def _conflict(
    schema: str, overloads: list[tuple[Function, list[int]]], function: Function
) -> str | None:
    """Overloads PostgREST cannot choose between, as it words the error."""
    if len(overloads) <= 1:
        return None
    inputs = next(i for f, i in overloads if f is function)
    hint = (
        ". Try renaming the parameters or the function itself in the database so function "
        "overloading can be resolved"
    )
    others = [(f, i) for f, i in overloads if f is not function]
    if not inputs:
        for other, other_inputs in others:
            if len(other_inputs) == 1 and not _name(other, other_inputs[0]) and other.defaults:
                return (
                    "Could not choose the best candidate function between: "
                    f"{schema}.{function.name}(), {schema}.{function.name}( => "
                    f"{other.returns})" + hint
                )
    if len(inputs) == 1 and _name(function, inputs[0]):
        name = _name(function, inputs[0])
        clashing = [
            (other, other_inputs)
            for other, other_inputs in others
            if len(other_inputs) == 1
            and _name(other, other_inputs[0]) == name
            and _oid(other, other_inputs[0]) != _oid(function, inputs[0])
        ]
        if clashing:
            listed = sorted([(function, inputs), *clashing], key=lambda item: _oid(*item))
            signatures = ", ".join(
                f"{schema}.{function.name}("
                + ", ".join(f"{_name(f, i)} => {f.argument_types[i]}" for i in args)
                + ")"
                for f, args in listed
            )
            return f"Could not choose the best candidate function between: {signatures}{hint}"
    return None


def _name(function: Function, index: int) -> str:
    names = function.argument_names
    return names[index] if index < len(names) else ""


def _oid(function: Function, inputs: list[int] | int) -> int:
    index = inputs if isinstance(inputs, int) else (inputs[0] if inputs else -1)
    oids = function.argument_type_oids
    return oids[index] if 0 <= index < len(oids) else 0


def _args(context: _Context, schema: str, function: Function, inputs: list[int]) -> str:
    if not inputs:
        return "Record<PropertyKey, never>"
    defaulted = set(inputs[len(inputs) - function.defaults :]) if function.defaults else set()
    parts = []
    for i in inputs:
        name = function.argument_names[i] if i < len(function.argument_names) else ""
        type_schema = function.argument_schemas[i] if i < len(function.argument_schemas) else None
        kind = context.ts(function.argument_types[i], schema, type_schema)
        parts.append(f"{json.dumps(name)}{'?' if i in defaulted else ''}: {kind}")
    return "{ " + "; ".join(parts) + " }"


def _returns(context: _Context, schema: str, function: Function) -> str:
    modes = function.argument_modes
    table_columns = [i for i, mode in enumerate(modes) if mode == "t"]
    if table_columns:  # RETURNS TABLE (...)
        fields = [
            f"{json.dumps(function.argument_names[i])}: "
            + context.ts(function.argument_types[i], schema, _schema_of(function, i))
            for i in table_columns
        ]
        return "{ " + "; ".join(fields) + " }"
    relation = function.returns_relation
    if relation and function.returns_schema == schema:
        columns = _relation_columns(context, (schema, relation))
        if columns is not None:
            fields = [
                f"{json.dumps(column.name)}: {context.column(column, schema)}"
                if not view
                else f"{json.dumps(column.name)}: "
                + nullable(context.column_type(column, schema), True)
                for column, view in columns
            ]
            return "{ " + "; ".join(fields) + " }"
    return context.ts(function.returns, schema, function.returns_schema)


def _schema_of(function: Function, index: int) -> str | None:
    return function.argument_schemas[index] if index < len(function.argument_schemas) else None


def _relation_columns(context: _Context, key: TableKey) -> list[tuple[Column, bool]] | None:
    if key in context.catalog.tables:
        return [
            (column, False)
            for column in sorted(context.catalog.tables[key].columns, key=lambda c: c.name)
        ]
    if key in context.catalog.views:
        return [
            (column, True)
            for column in sorted(context.catalog.views[key].columns, key=lambda c: c.name)
        ]
    return None


def _return_relation_name(context: _Context, function: Function) -> str | None:
    """The table, view or composite type whose rows a function returns (by name)."""
    if function.returns_relation:
        return function.returns_relation
    if (function.returns_schema, function.returns) in context.catalog.composite_types:
        return function.returns
    return None


def _setof(context: _Context, function: Function) -> str | None:
    target = _return_relation_name(context, function)
    many = function.rows > 1
    options = None
    if target:
        options = (
            f'{{ from: "*"; to: {json.dumps(target)}; isOneToOne: {str(not many).lower()}; '
            f"isSetofReturn: {str(function.returns_set).lower()} }}"
        )
    if len(function.argument_types) == 1:
        source = function.argument_relations[0] if function.argument_relations else ""
        if source and target:
            if function.returns_set and function.returns_relation:
                options = (
                    f"{{ from: {json.dumps(source)}; to: {json.dumps(target)}; "
                    f"isOneToOne: {str(not many).lower()}; isSetofReturn: true }}"
                )
            elif not function.returns_set or not function.returns_relation:
                options = (
                    f"{{ from: {json.dumps(source)}; to: {json.dumps(target)}; "
                    "isOneToOne: true; isSetofReturn: false }"
                )
    return options


def _row_error(context: _Context, function: Function, inputs: list[int]) -> bool:
    """A single unnamed argument of a relation's row type, returning no relation: PostgREST
    cannot call it (it is only a computed field)."""
    if len(inputs) != 1:
        return False
    index = inputs[0]
    name = function.argument_names[index] if index < len(function.argument_names) else ""
    return (
        not name
        and bool(_argument_relation(function, index))
        and not _return_relation_name(context, function)
    )


def _computed_fields(
    context: _Context, schema: str, relation: str, functions: list[tuple[Function, list[int]]]
) -> list[str]:
    """Functions taking one row of ``relation``: selectable like columns (computed fields)."""
    lines = []
    for function, inputs in functions:
        if len(inputs) == 1 and _argument_relation(function, inputs[0]) == relation:
            kind = nullable(_returns(context, schema, function), True)
            lines.append(f"          {prop(function.name)}: {kind}")
    return lines


def _helpers(default_schema: str) -> str:
    schema = json.dumps(default_schema)
    return (
        '\ntype DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">\n\n'
        f"type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, {schema}>]\n\n"
        + resources.files("dbflow.schema")
        .joinpath("typegen_helpers.ts")
        .read_text(encoding="utf-8")
    )


def _constants(context: _Context) -> str:
    lines = ["export const Constants = {"]
    for schema in context.schemas:
        lines.extend([f"  {prop(schema)}: {{", "    Enums: {"])
        for (owner, name), labels in sorted(context.enums.items()):
            if owner == schema:
                values = ", ".join(json.dumps(label) for label in labels)
                lines.append(f"      {prop(name)}: [{values}],")
        lines.extend(["    },", "  },"])
    lines.append("} as const")
    return "\n".join(lines)
