"""``inv db.types``: TypeScript types of the database for supabase-js.

The output has the shape the Supabase CLI's ``gen types typescript`` produces: a
``Database`` type with, per exposed schema, ``Tables`` (``Row``, ``Insert``, ``Update``,
``Relationships``), ``Views``, ``Functions`` (``Args``, ``Returns``), ``Enums`` and
``CompositeTypes``, plus the ``Json`` type and the ``Tables<>``/``Enums<>`` helpers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from dbflow.catalog.model import Column, Table
from dbflow.catalog.read import read_catalog
from dbflow.connection import Conn

_NUMBER = {"int2", "int4", "int8", "float4", "float8", "numeric", "money", "oid"}
_STRING = {
    "text", "varchar", "bpchar", "char", "name", "citext", "uuid", "date", "time", "timetz",
    "timestamp", "timestamptz", "interval", "bytea", "inet", "cidr", "macaddr", "tsvector",
    "point", "regclass",
}  # fmt: skip

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

_VIEWS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       coalesce(bt.typname, t.typname), t.typcategory = 'A', coalesce(et.typname, '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype END
LEFT JOIN pg_type et ON et.oid = nullif(t.typelem, 0)
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(%(schemas)s)
ORDER BY n.nspname, c.relname, a.attnum
"""

_FUNCTIONS = """
SELECT n.nspname, p.proname, coalesce(p.proargnames, '{}'), p.proargmodes,
       ARRAY(SELECT typname FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
             WITH ORDINALITY u(oid, i) JOIN pg_type ON pg_type.oid = u.oid ORDER BY i),
       p.pronargdefaults, rt.typname, p.proretset
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type rt ON rt.oid = p.prorettype
WHERE n.nspname = ANY(%(schemas)s) AND p.prokind = 'f'
  AND rt.typname NOT IN ('trigger', 'event_trigger')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY n.nspname, p.proname
"""


def generate_types(conn: Conn, schemas: Iterable[str]) -> str:
    wanted = list(schemas)
    catalog = read_catalog(conn, wanted)
    enums = _enums(conn, wanted)
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
        lines.extend(_views(conn, schema, enums))
        lines.extend(_functions(conn, schema, enums))
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


def _enums(conn: Conn, schemas: list[str]) -> dict[tuple[str, str], list[str]]:
    rows = conn.execute(
        "SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) "
        "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
        "JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = ANY(%s) GROUP BY 1, 2",
        (schemas,),
    ).fetchall()
    return {(schema, name): list(labels) for schema, name, labels in rows}


def ts_type(base: str, is_array: bool, schema: str, enums: dict[tuple[str, str], Any]) -> str:
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


def _field(column: Column, schema: str, enums: dict[tuple[str, str], Any]) -> str:
    kind = ts_type(column.base_type, column.is_array, schema, enums)
    return f"{kind} | null" if not column.not_null else kind


def _table(table: Table, schema: str, enums: dict[tuple[str, str], Any]) -> list[str]:
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


def _views(conn: Conn, schema: str, enums: dict[tuple[str, str], Any]) -> list[str]:
    columns: dict[str, list[str]] = {}
    for _, view, column, _, base, is_array, element in conn.execute(_VIEWS, {"schemas": [schema]}):
        scalar = element if is_array and element else base
        kind = ts_type(scalar, bool(is_array), schema, enums)
        columns.setdefault(view, []).append(f"          {column}: {kind} | null")
    lines = ["    Views: {"]
    for view, fields in sorted(columns.items()):
        lines.extend([f"      {view}: {{", "        Row: {", *fields, "        }",
                      "        Relationships: []", "      }"])  # fmt: skip
    if not columns:
        lines.append("      [_ in never]: never")
    lines.append("    }")
    return lines


def _functions(conn: Conn, schema: str, enums: dict[tuple[str, str], Any]) -> list[str]:
    lines = ["    Functions: {"]
    rows = conn.execute(_FUNCTIONS, {"schemas": [schema]}).fetchall()
    for _, name, arg_names, arg_modes, arg_types, defaults, returns, returns_set in rows:
        modes = list(arg_modes or ["i"] * len(arg_types))
        inputs = [
            (arg_name, arg_type)
            for arg_name, arg_type, mode in zip(arg_names or [], arg_types, modes, strict=False)
            if mode in ("i", "b", "v") and arg_name
        ]
        first_optional = len(inputs) - (defaults or 0)
        lines.append(f"      {name}: {{")
        if inputs:
            lines.append("        Args: {")
            for index, (arg_name, arg_type) in enumerate(inputs):
                is_array = arg_type.startswith("_")
                base = arg_type[1:] if is_array else arg_type
                marker = "?" if index >= first_optional else ""
                lines.append(
                    f"          {arg_name}{marker}: {ts_type(base, is_array, schema, enums)}"
                )
            lines.append("        }")
        else:
            lines.append("        Args: never")
        result = "undefined" if returns == "void" else ts_type(
            returns[1:] if returns.startswith("_") else returns, returns.startswith("_"),
            schema, enums,
        )  # fmt: skip
        lines.append(f"        Returns: {result}{'[]' if returns_set else ''}")
        lines.append("      }")
    if not rows:
        lines.append("      [_ in never]: never")
    lines.append("    }")
    return lines
