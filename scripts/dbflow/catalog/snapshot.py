"""A comparable snapshot of a database's schema: every object by name, with its definition.

Supabase-managed schemas are left out, except the triggers and policies users add there
(triggers on auth.users, policies on storage.objects), as the Supabase CLI's diff does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbflow.catalog.read import user_schemas
from dbflow.connection import Conn
from dbflow.platform_schemas import MANAGED_SCHEMAS

USER_EXTENSION_POINTS = ("auth", "storage", "realtime")


@dataclass
class Snapshot:
    """kind -> object name -> definition."""

    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # for ALTER TABLE ADD
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # for CREATE POLICY

    def add(self, kind: str, name: str, definition: str) -> None:
        self.objects.setdefault(kind, {})[name] = definition


_QUERIES: dict[str, str] = {
    "table": """
        SELECT format('%%I.%%I', n.nspname, c.relname),
               format('rls=%%s force=%%s', c.relrowsecurity, c.relforcerowsecurity)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%(schemas)s)""",
    "constraint": """
        SELECT format('%%I.%%I.%%I', n.nspname, c.relname, con.conname),
               pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s)""",
    "index": """
        SELECT format('%%I.%%I', n.nspname, ic.relname), pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ic.relnamespace
        WHERE n.nspname = ANY(%(schemas)s)
          AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = i.indexrelid)""",
    "view": """
        SELECT format('%%I.%%I', n.nspname, c.relname),
               format('%%s %%s %%s', c.relkind, coalesce(c.reloptions::text, ''),
                      pg_get_viewdef(c.oid))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(%(schemas)s)""",
    "function": """
        SELECT format('%%I.%%I(%%s)', n.nspname, p.proname,
                      pg_get_function_identity_arguments(p.oid)),
               pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY(%(schemas)s) AND p.prokind IN ('f', 'p')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')""",
    "trigger": """
        SELECT format('%%I.%%I.%%I', n.nspname, c.relname, t.tgname), pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname = ANY(%(with_extension_points)s)
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_trigger'::regclass
                          AND d.objid = t.oid AND d.deptype = 'e')""",
    "grant": """
        SELECT format('%%I.%%I', n.nspname, c.relname),
               coalesce(array_to_string(ARRAY(SELECT unnest(c.relacl)::text ORDER BY 1), ' '), '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY(%(schemas)s)""",
    "enum": """
        SELECT format('%%I.%%I', n.nspname, t.typname),
               array_to_string(ARRAY(SELECT e.enumlabel FROM pg_enum e
                                     WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), ', ')
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype = 'e' AND n.nspname = ANY(%(schemas)s)""",
    "extension": """
        SELECT e.extname, n.nspname FROM pg_extension e
        JOIN pg_namespace n ON n.oid = e.extnamespace""",
    "publication": """
        SELECT p.pubname,
               coalesce(array_to_string(ARRAY(SELECT format('%%I.%%I', pt.schemaname, pt.tablename)
                        FROM pg_publication_tables pt WHERE pt.pubname = p.pubname ORDER BY 1),
                        ', '), '')
        FROM pg_publication p""",
    "schema": """
        SELECT quote_ident(nspname), pg_get_userbyid(nspowner) FROM pg_namespace
        WHERE nspname = ANY(%(schemas)s)""",
}

_COLUMNS = """
SELECT format('%%I.%%I.%%I', n.nspname, c.relname, a.attname),
       format('%%I.%%I', n.nspname, c.relname), quote_ident(a.attname),
       format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
       a.attidentity, a.attgenerated
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname = ANY(%(schemas)s)
"""

_POLICIES = """
SELECT format('%%I.%%I.%%I', schemaname, tablename, policyname),
       format('%%I.%%I', schemaname, tablename), quote_ident(policyname), permissive, roles, cmd,
       qual, with_check
FROM pg_policies WHERE schemaname = ANY(%(with_extension_points)s)
"""


def take_snapshot(conn: Conn, *, include_managed: bool = False) -> Snapshot:
    schemas = user_schemas(conn)
    if include_managed:
        schemas = sorted(set(schemas) | set(MANAGED_SCHEMAS) - {"information_schema"})
    params = {
        "schemas": schemas,
        "with_extension_points": sorted(set(schemas) | set(USER_EXTENSION_POINTS)),
    }
    snapshot = Snapshot()
    for kind, query in _QUERIES.items():
        for name, definition in conn.execute(query, params):
            snapshot.add(kind, name, definition or "")
    for name, table, column, type_name, not_null, default, identity, generated in conn.execute(
        _COLUMNS, params
    ):
        parts = [type_name, "not null" if not_null else "null"]
        if default is not None:
            parts.append(f"default {default}")
        if identity:
            parts.append(f"identity {identity}")
        if generated:
            parts.append("generated")
        snapshot.add("column", name, " ".join(parts))
        snapshot.columns[name] = {
            "table": table, "column": column, "type": type_name, "not_null": not_null,
            "default": default, "identity": identity, "generated": generated,
        }  # fmt: skip
    for name, table, policy, permissive, roles, cmd, qual, check in conn.execute(_POLICIES, params):
        role_list = ", ".join(sorted(roles))
        definition = f"{permissive} {cmd} to {role_list} using ({qual}) check ({check})"
        snapshot.add("policy", name, definition)
        snapshot.policies[name] = {
            "table": table, "policy": policy, "permissive": permissive, "roles": sorted(roles),
            "cmd": cmd, "qual": qual, "check": check,
        }  # fmt: skip
    return snapshot
