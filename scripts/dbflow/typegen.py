"""``inv db.types``: TypeScript types of the database for supabase-js.

The output has the shape the Supabase CLI's ``gen types typescript`` produces: a
``Database`` type with, per exposed schema, ``Tables`` (``Row``, ``Insert``, ``Update``,
``Relationships``), ``Views``, ``Functions`` (``Args``, ``Returns``), ``Enums`` and
``CompositeTypes``, plus the ``Json`` type and the ``Tables<>``/``Enums<>`` helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from dbflow.catalog.model import Column, Function, Table, TableKey, View
from dbflow.catalog.read import read_catalog
from dbflow.connection import Conn

Enums = dict[TableKey, tuple[str, ...]]

_NUMBER = {"int2", "int4", "int8", "float4", "float8", "numeric", "money", "oid"}
_STRING = {
    "text",
    "varchar",
    "bpchar",
    "char",
    "name",
    "citext",
    "uuid",
    "date",
    "time",
    "timetz",
    "timestamp",
    "timestamptz",
    "interval",
    "bytea",
    "inet",
    "cidr",
    "macaddr",
    "tsvector",
    "point",
    "regclass",
}  # fmt: skip  (a word list, several to a line)

_HEADER = """export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

"""

_HELPERS = """
type DefaultSchema = Database[Extract<keyof Database, "public">]

export type Tables<
  TableName extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"]),
> = (DefaultSchema["Tables"] & DefaultSchema["Views"])[TableName] extends { Row: infer R }
  ? R
  : never

export type TablesInsert<TableName extends keyof DefaultSchema["Tables"]> =
  DefaultSchema["Tables"][TableName] extends { Insert: infer I } ? I : never

export type TablesUpdate<TableName extends keyof DefaultSchema["Tables"]> =
  DefaultSchema["Tables"][TableName] extends { Update: infer U } ? U : never

export type Enums<EnumName extends keyof DefaultSchema["Enums"]> =
  DefaultSchema["Enums"][EnumName]
"""


def generate_types(conn: Conn, schemas: Iterable[str]) -> str:
    wanted = list(schemas)
    catalog = read_catalog(conn, wanted)
    enums = catalog.enums
    lines = [_HEADER, "export type Database = {"]
    for schema in wanted:
        tables = [t for key, t in sorted(catalog.tables.items()) if key[0] == schema]
        lines.append(f"  {schema}: {{")
        lines.append("    Tables: {")
        for table in tables:
            lines.extend(_table(table, schema, enums))
        if not tables:
            lines.append("      [_ in never]: never")
        lines.append("    }")
        views = [view for key, view in sorted(catalog.views.items()) if key[0] == schema]
        lines.extend(_views(views, schema, enums))
        functions = [f for f in catalog.functions if f.schema == schema and _is_callable(f)]
        lines.extend(_functions(functions, schema, enums))
        lines.append("    Enums: {")
        schema_enums = {name: labels for (owner, name), labels in enums.items() if owner == schema}
        for name, labels in sorted(schema_enums.items()):
            lines.append(f"      {name}: {' | '.join(json.dumps(label) for label in labels)}")
        if not schema_enums:
            lines.append("      [_ in never]: never")
        lines.append("    }")
        lines.append("    CompositeTypes: {")
        lines.append("      [_ in never]: never")
        lines.append("    }")
        lines.append("  }")
    lines.append("}")
    if "public" in wanted:
        lines.append(_HELPERS)
    return "\n".join(lines) + "\n"


def ts_type(base: str, is_array: bool, schema: str, enums: Enums) -> str:
    if (schema, base) in enums:
        scalar = f'Database["{schema}"]["Enums"]["{base}"]'
    elif base == "bool":
        scalar = "boolean"
    elif base in _NUMBER:
        scalar = "number"
    elif base in ("json", "jsonb"):
        scalar = "Json"
    elif base in _STRING:
        scalar = "string"
    else:
        scalar = "unknown"
    return f"{scalar}[]" if is_array else scalar


def _field(column: Column, schema: str, enums: Enums) -> str:
    kind = ts_type(column.base_type, column.is_array, schema, enums)
    return f"{kind} | null" if not column.not_null else kind


def _table(table: Table, schema: str, enums: Enums) -> list[str]:
    name = table.key[1]
    lines = [f"      {name}: {{", "        Row: {"]
    for column in table.columns:
        lines.append(f"          {column.name}: {_field(column, schema, enums)}")
    lines.append("        }")
    for section in ("Insert", "Update"):
        lines.append(f"        {section}: {{")
        for column in table.columns:
            if column.generated or column.identity == "a":
                lines.append(f"          {column.name}?: never")
                continue
            optional = section == "Update" or (
                not column.not_null or column.has_default or column.identity == "d"
            )
            marker = "?" if optional else ""
            lines.append(f"          {column.name}{marker}: {_field(column, schema, enums)}")
        lines.append("        }")
    lines.append("        Relationships: [")
    unique = {tuple(sorted(key.columns)) for key in table.unique_keys if key.columns}
    if table.primary_key:
        unique.add(tuple(sorted(table.primary_key)))
    for fk in table.foreign_keys:
        one_to_one = "true" if tuple(sorted(fk.columns)) in unique else "false"
        lines.extend(
            [
                "          {",
                f"            foreignKeyName: {json.dumps(fk.name)}",
                f"            columns: {json.dumps(list(fk.columns))}",
                f"            isOneToOne: {one_to_one}",
                f"            referencedRelation: {json.dumps(fk.target[1])}",
                f"            referencedColumns: {json.dumps(list(fk.target_columns))}",
                "          },",
            ]
        )
    lines.append("        ]")
    lines.append("      }")
    return lines


def _views(views: list[View], schema: str, enums: Enums) -> list[str]:
    lines = ["    Views: {"]
    for view in views:
        fields = [
            f"          {column.name}: {ts_type(column.base_type, column.is_array, schema, enums)}"
            " | null"
            for column in view.columns
        ]
        lines.extend(
            [
                f"      {view.key[1]}: {{",
                "        Row: {",
                *fields,
                "        }",
                "        Relationships: []",
                "      }",
            ]
        )
    if not views:
        lines.append("      [_ in never]: never")
    lines.append("    }")
    return lines


def _is_callable(function: Function) -> bool:
    """What supabase-js can call with ``rpc``: functions, not trigger functions."""
    return function.kind == "f" and function.returns not in ("trigger", "event_trigger")


def _functions(functions: list[Function], schema: str, enums: Enums) -> list[str]:
    lines = ["    Functions: {"]
    for function in functions:
        types = function.argument_types
        modes = function.argument_modes or ("i",) * len(types)
        inputs = [
            (arg_name, arg_type)
            for arg_name, arg_type, mode in zip(function.argument_names, types, modes, strict=False)
            if mode in ("i", "b", "v") and arg_name
        ]
        first_optional = len(inputs) - function.defaults
        lines.append(f"      {function.name}: {{")
        if inputs:
            lines.append("        Args: {")
            for index, (arg_name, arg_type) in enumerate(inputs):
                marker = "?" if index >= first_optional else ""
                lines.append(
                    f"          {arg_name}{marker}: {_named_type(arg_type, schema, enums)}"
                )
            lines.append("        }")
        else:
            lines.append("        Args: never")
        returns = function.returns
        result = "undefined" if returns == "void" else _named_type(returns, schema, enums)
        lines.append(f"        Returns: {result}{'[]' if function.returns_set else ''}")
        lines.append("      }")
    if not functions:
        lines.append("      [_ in never]: never")
    lines.append("    }")
    return lines


def _named_type(type_name: str, schema: str, enums: Enums) -> str:
    """The TypeScript type of a pg_type name (an array type's name starts with '_')."""
    is_array = type_name.startswith("_")
    return ts_type(type_name[1:] if is_array else type_name, is_array, schema, enums)
