"""Read the catalog of a live database with a handful of pg_catalog queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from psycopg.rows import kwargs_row

from dbflow.catalog.annotations import read_comments, read_privileges, read_sequences
from dbflow.catalog.model import (
    Catalog,
    Check,
    Column,
    Constraint,
    ForeignKey,
    Function,
    Index,
    Policy,
    Table,
    TableKey,
    Trigger,
    UniqueKey,
    View,
)
from dbflow.catalog.view_keys import read_view_keys
from dbflow.connection import Conn
from dbflow.platform_schemas import MANAGED_SCHEMAS, PLATFORM_TRIGGER_FUNCTIONS
from dbflow.sql.parse import parse_script, plpgsql_queries, plpgsql_wrapper

_TABLES = """
SELECT c.oid, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND (n.nspname = ANY(%(schemas)s) OR (n.nspname, c.relname) IN (('auth', 'users')))
ORDER BY n.nspname, c.relname
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
       coalesce(bt.typname, t.typname) AS base,
       t.typcategory = 'A' OR bt.typcategory = 'A' AS is_array,
       a.attnotnull OR coalesce(dt.typnotnull, false), a.atthasdef, a.attidentity,
       a.attgenerated <> '',
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
       coalesce(et.typname, ''),
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = coalesce(nullif(t.typelem, 0), t.oid)
            OR e.enumtypid = coalesce(nullif(bt.typelem, 0), bt.oid)),
       (SELECT array_agg(pg_get_constraintdef(dc.oid) ORDER BY dc.conname) FROM pg_constraint dc
         WHERE dc.contypid = t.oid AND dc.contype = 'c'),
       pg_get_expr(d.adbin, d.adrelid),
       format_type(et.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END),
       et.typtype
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type dt ON dt.oid = t.oid AND dt.typtype = 'd'
LEFT JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype END
LEFT JOIN pg_type et ON et.oid = coalesce(nullif(coalesce(bt.typelem, t.typelem), 0),
                                          coalesce(bt.oid, t.oid))
WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.pos),
       fn.nspname, fc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.pos),
       con.condeferrable, pg_get_constraintdef(con.oid)
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY(%(oids)s)
ORDER BY con.conrelid, con.conname
"""

_UNIQUE_INDEXES = """
SELECT i.indrelid, ic.relname,
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
             ORDER BY k.pos),
       pg_get_expr(i.indpred, i.indrelid), i.indexprs IS NOT NULL, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(%(oids)s) AND i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY i.indrelid, ic.relname
"""

_TRIGGERS = """
SELECT tg.tgrelid, tg.tgname, fn.nspname || '.' || f.proname, tg.tgtype, f.prosrc, l.lanname,
       pg_get_triggerdef(tg.oid)
FROM pg_trigger tg
JOIN pg_proc f ON f.oid = tg.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
JOIN pg_language l ON l.oid = f.prolang
WHERE tg.tgrelid = ANY(%(oids)s) AND NOT tg.tgisinternal
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_trigger'::regclass
                  AND d.objid = tg.oid AND d.deptype = 'e')
ORDER BY tg.tgrelid, tg.tgname
"""

# Trigger functions a user made outside their schemas for triggers on platform tables; the
# platform's own belong to its roles.
_HOOK_FUNCTIONS = """
SELECT DISTINCT format('%%I.%%I(%%s)', n.nspname, p.proname,
                       pg_get_function_identity_arguments(p.oid)),
       pg_get_functiondef(p.oid)
FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE tg.tgrelid = ANY(%(oids)s) AND NOT tg.tgisinternal AND n.nspname <> ALL(%(schemas)s)
  AND pg_get_userbyid(p.proowner) NOT LIKE 'supabase%%'
  AND n.nspname || '.' || p.proname <> ALL(%(platform)s)
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
"""

_TABLE_FLAGS = """
SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity,
       coalesce(array_to_string(ARRAY(SELECT unnest(c.relacl)::text ORDER BY 1), ' '), '')
FROM pg_class c WHERE c.oid = ANY(%(oids)s)
"""

_POLICIES = """
SELECT c.oid, pol.polname,
       CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
       CASE WHEN pol.polroles = '{0}' THEN ARRAY['public']::name[]
            ELSE ARRAY(SELECT r.rolname FROM unnest(pol.polroles) WITH ORDINALITY u(oid, i)
                       JOIN pg_roles r ON r.oid = u.oid ORDER BY u.i)
       END,
       CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                       WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
       pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)
FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
WHERE c.oid = ANY(%(oids)s)
ORDER BY c.oid, pol.polname
"""

_EXTENSION_POINT_TABLES = """
SELECT c.oid, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%(schemas)s) AND NOT c.oid = ANY(%(oids)s)
"""

_INDEXES = """
SELECT n.nspname, ic.relname, tn.nspname, t.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = i.indexrelid)
ORDER BY 1, 2
"""

_VIEWS = """
SELECT c.oid, n.nspname, c.relname, c.relkind = 'm', coalesce(c.reloptions::text, ''),
       pg_get_viewdef(c.oid),
       coalesce(array_to_string(ARRAY(SELECT unnest(c.relacl)::text ORDER BY 1), ' '), ''),
       c.relkind = 'v' AND (pg_relation_is_updatable(c.oid, true) & 8) = 8,
       c.relkind = 'v' AND (pg_relation_is_updatable(c.oid, true) & 4) = 4,
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               AND c.relkind = 'v' AND pg_column_is_updatable(c.oid, a.attnum, true)
             ORDER BY a.attnum),
       pg_get_userbyid(c.relowner)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(%(schemas)s)
ORDER BY n.nspname, c.relname
"""

_FUNCTIONS = """
SELECT n.nspname AS schema, p.proname AS name,
       pg_get_function_identity_arguments(p.oid) AS identity_arguments,
       pg_get_functiondef(p.oid) AS definition, p.prokind AS kind,
       coalesce(p.proargnames, '{}') AS argument_names,
       coalesce(p.proargmodes::text[], '{}') AS argument_modes,
       ARRAY(SELECT typname FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
             WITH ORDINALITY u(oid, i) JOIN pg_type ON pg_type.oid = u.oid ORDER BY i)
         AS argument_types,
       coalesce(p.pronargdefaults, 0)::int AS defaults, rt.typname AS returns,
       p.proretset AS returns_set, rtn.nspname AS returns_schema,
       coalesce((SELECT rc.relname FROM pg_class rc WHERE rc.oid = rt.typrelid
                 AND rc.relkind IN ('r', 'v', 'm', 'f', 'p')), '') AS returns_relation,
       coalesce(p.prorows, 0)::float8 AS rows,
       ARRAY(SELECT coalesce((SELECT c.relname FROM pg_class c WHERE c.oid = at.typrelid
                              AND c.relkind IN ('r', 'v', 'm', 'f', 'p')), '')
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
             WITH ORDINALITY u(oid, i) JOIN pg_type at ON at.oid = u.oid ORDER BY i)
         AS argument_relations,
       ARRAY(SELECT atn.nspname
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
             WITH ORDINALITY u(oid, i) JOIN pg_type at ON at.oid = u.oid
             JOIN pg_namespace atn ON atn.oid = at.typnamespace ORDER BY i)
         AS argument_schemas,
       coalesce(p.proallargtypes, p.proargtypes::oid[])::int8[] AS argument_type_oids
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_type rt ON rt.oid = p.prorettype
JOIN pg_namespace rtn ON rtn.oid = rt.typnamespace
WHERE n.nspname = ANY(%(schemas)s) AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY n.nspname, p.proname, 3
"""

_ENUMS = """
SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY(%(schemas)s) GROUP BY 1, 2 ORDER BY 1, 2
"""

_ALL_ENUMS = """
SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
GROUP BY 1, 2 ORDER BY 1, 2
"""

_COMPOSITE_TYPES = """
SELECT n.nspname, t.typname,
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum),
       ARRAY(SELECT at.typname FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
             WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
WHERE t.typtype = 'c' AND n.nspname = ANY(%(schemas)s)
ORDER BY 1, 2
"""

_EXTENSIONS = """
SELECT e.extname, n.nspname, e.extversion
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
"""

_PUBLICATIONS = """
SELECT p.pubname,
       ARRAY(SELECT format('%I.%I', pt.schemaname, pt.tablename)
             FROM pg_publication_tables pt WHERE pt.pubname = p.pubname ORDER BY 1)
FROM pg_publication p
"""

_SCHEMAS = """
SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY(%(schemas)s)
"""

# Platform schemas whose tables users add triggers and policies to.
EXTENSION_POINTS = ("auth", "storage", "realtime")


def user_schemas(conn: Conn) -> list[str]:
    """Schemas that hold the project's own objects (everything not platform or system)."""
    rows = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
        "AND nspname <> ALL(%s) AND NOT EXISTS (SELECT FROM pg_depend d "
        "WHERE d.classid = 'pg_namespace'::regclass AND d.objid = pg_namespace.oid "
        "AND d.deptype = 'e') ORDER BY 1",
        (list(MANAGED_SCHEMAS),),
    ).fetchall()
    return [row[0] for row in rows]


def read_catalog(conn: Conn, schemas: Iterable[str] | None = None) -> Catalog:
    """Everything of ``schemas`` (default: every user schema), plus auth.users (the table
    seeds and foreign keys start from) and the triggers and policies users add to the
    platform's tables."""
    wanted = list(schemas) if schemas is not None else user_schemas(conn)
    catalog = Catalog()
    _read_tables(conn, catalog, wanted)
    params = {"schemas": wanted}
    catalog.schemas = dict(conn.execute(_SCHEMAS, params).fetchall())
    for schema, name, table_schema, table_name, definition in conn.execute(_INDEXES, params):
        catalog.indexes.append(Index((schema, name), (table_schema, table_name), definition))
    _read_views(conn, catalog, wanted)
    catalog.view_keys = read_view_keys(conn, wanted)
    catalog.comments = read_comments(conn, wanted)
    catalog.privileges = read_privileges(conn, wanted)
    catalog.sequences = read_sequences(conn, wanted)
    catalog.extension_tables = {
        (str(schema), str(name)) for schema, name in conn.execute(_EXTENSION_TABLES, params)
    }
    functions = conn.cursor(row_factory=kwargs_row(_function))
    catalog.functions = functions.execute(_FUNCTIONS, params).fetchall()
    catalog.enums = {
        (schema, name): tuple(labels) for schema, name, labels in conn.execute(_ENUMS, params)
    }
    catalog.composite_types = {
        (schema, name): tuple(zip(attributes, types, strict=True))
        for schema, name, attributes, types in conn.execute(_COMPOSITE_TYPES, params)
    }
    for extension, schema, version in conn.execute(_EXTENSIONS):
        catalog.extensions[extension] = schema
        catalog.extension_versions[extension] = version
    catalog.publications = {name: tuple(tables) for name, tables in conn.execute(_PUBLICATIONS)}
    return catalog


def _read_tables(conn: Conn, catalog: Catalog, wanted: list[str]) -> None:
    """The tables of ``wanted`` with their columns, constraints, flags, triggers and
    policies, and the platform's tables users add triggers and policies to."""
    by_oid: dict[int, Table] = {}
    for oid, schema, name in conn.execute(_TABLES, {"schemas": wanted}):
        table = Table((schema, name))
        catalog.tables[table.key] = table
        by_oid[oid] = table
    oids = list(by_oid)
    _read_columns(conn, by_oid)
    _read_constraints(conn, by_oid)
    for relid, rls, force_rls, acl in conn.execute(_TABLE_FLAGS, {"oids": oids}):
        table = by_oid[relid]
        table.rls, table.force_rls, table.acl = bool(rls), bool(force_rls), acl
    extension_points = [schema for schema in EXTENSION_POINTS if schema not in wanted]
    outside: dict[int, Table] = {}
    for oid, schema, name in conn.execute(
        _EXTENSION_POINT_TABLES, {"schemas": extension_points, "oids": oids}
    ):
        outside[oid] = catalog.extension_point_tables.setdefault(
            (schema, name), Table((schema, name))
        )
    _read_triggers(conn, {**by_oid, **outside})
    platform = [oid for oid, table in {**by_oid, **outside}.items() if table.key[0] not in wanted]
    catalog.hook_functions = dict(
        conn.execute(
            _HOOK_FUNCTIONS,
            {"oids": platform, "schemas": wanted, "platform": list(PLATFORM_TRIGGER_FUNCTIONS)},
        ).fetchall()
    )
    _read_policies(conn, {**by_oid, **outside})


_ARRAYS = (
    "argument_names",
    "argument_modes",
    "argument_types",
    "argument_relations",
    "argument_schemas",
    "argument_type_oids",
)


def _function(**row: Any) -> Function:
    """A function's row as the model keeps it (its arrays as tuples)."""
    return Function(**{**row, **{name: tuple(row[name]) for name in _ARRAYS}})


_EXTENSION_TABLES = (
    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid "
    "AND d.deptype = 'e' WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%(schemas)s)"
)


def _read_columns(conn: Conn, by_oid: dict[int, Table]) -> None:
    for row in conn.execute(_COLUMNS, {"oids": list(by_oid)}):
        by_oid[row[0]].columns.append(_column(row[1:]))


def _column(row: tuple[Any, ...]) -> Column:
    (
        name,
        type_name,
        base,
        is_array,
        not_null,
        has_default,
        identity,
        generated,
        typmod,
        element,
        labels,
        domain_checks,
        default,
        scalar_type,
        scalar_kind,
    ) = row
    max_length = typmod - 4 if base in ("varchar", "bpchar") and typmod > 4 else None
    if is_array and base.startswith("_"):
        base = element or base[1:]
    precision = scale = None
    if base == "numeric" and typmod > 4:
        precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
    return Column(
        name=name,
        type_name=type_name,
        base_type=base,
        is_array=bool(is_array),
        max_length=max_length,
        not_null=bool(not_null),
        has_default=bool(has_default),
        identity=identity or "",
        generated=bool(generated),
        enum_labels=tuple(labels or ()),
        domain_checks=tuple(domain_checks or ()),
        numeric_precision=precision,
        numeric_scale=scale,
        default=default,
        scalar_type=scalar_type or "",
        scalar_kind=scalar_kind or "",
    )


def _read_constraints(conn: Conn, by_oid: dict[int, Table]) -> None:
    oids = list(by_oid)
    for row in conn.execute(_CONSTRAINTS, {"oids": oids}):
        relid, name, kind, columns, target_schema, target_name, target_columns, deferrable, sql = (
            row
        )
        table = by_oid[relid]
        table.constraints.append(Constraint(name, kind, sql))
        if kind == "p":
            table.primary_key = tuple(columns)
        elif kind == "u":
            table.unique_keys.append(UniqueKey(name, tuple(columns), None, None))
        elif kind == "f":
            table.foreign_keys.append(
                ForeignKey(
                    name,
                    tuple(columns),
                    (target_schema, target_name),
                    tuple(target_columns),
                    bool(deferrable),
                )
            )
        elif kind == "c":
            table.checks.append(Check(name, sql))
    for relid, name, columns, predicate, has_expressions, definition in conn.execute(
        _UNIQUE_INDEXES, {"oids": oids}
    ):
        by_oid[relid].unique_keys.append(
            UniqueKey(
                name,
                () if has_expressions else tuple(columns),
                predicate,
                definition if has_expressions else None,
            )
        )


def _read_triggers(conn: Conn, by_oid: dict[int, Table]) -> None:
    for relid, name, function, tgtype, source, language, definition in conn.execute(
        _TRIGGERS, {"oids": list(by_oid)}
    ):
        events = tuple(
            event for bit, event in ((4, "insert"), (8, "delete"), (16, "update")) if tgtype & bit
        )
        targets = _insert_targets(source, language)
        by_oid[relid].triggers.append(Trigger(name, function, events, targets, definition))


def _read_policies(conn: Conn, by_oid: dict[int, Table]) -> None:
    for relid, name, permissive, roles, command, using, check in conn.execute(
        _POLICIES, {"oids": list(by_oid)}
    ):
        by_oid[relid].policies.append(Policy(name, permissive, tuple(roles), command, using, check))


def _read_views(conn: Conn, catalog: Catalog, schemas: list[str]) -> None:
    rows = conn.execute(_VIEWS, {"schemas": schemas}).fetchall()
    columns: dict[int, list[Column]] = {}
    for row in conn.execute(_COLUMNS, {"oids": [row[0] for row in rows]}):
        columns.setdefault(row[0], []).append(_column(row[1:]))
    for oid, schema, name, materialized, options, definition, acl, *writable in rows:
        insertable, updatable, updatable_columns, owner = writable
        catalog.views[(schema, name)] = View(
            (schema, name),
            bool(materialized),
            options,
            definition,
            acl,
            tuple(columns.get(oid, [])),
            bool(insertable),
            bool(updatable),
            tuple(updatable_columns),
            str(owner),
        )


def _insert_targets(
    source: str, language: str
) -> tuple[tuple[tuple[str, str], tuple[str, ...]], ...]:
    """Tables a trigger function's body inserts into (PL/pgSQL or SQL), via the parser."""
    if language not in ("plpgsql", "sql"):
        return ()
    queries = (
        [source]
        if language == "sql"
        else [
            query
            for _, kind, query in plpgsql_queries(plpgsql_wrapper(source, returns="trigger"))
            if kind == "sql"
        ]
    )
    targets: list[tuple[tuple[str, str], tuple[str, ...]]] = []
    for query in queries:
        for statement in parse_script(query, plpgsql=False).statements:
            key = statement.node.relation
            if statement.kind != "InsertStmt" or key is None:
                continue
            columns = tuple(
                target["ResTarget"]["name"]
                for target in statement.node.get("cols", [])
                if "ResTarget" in target and target["ResTarget"].get("name")
            )
            targets.append((key, columns))
    return tuple(targets)


def read_all_enums(conn: Conn) -> dict[TableKey, tuple[str, ...]]:
    """Every enum of the database, whatever its schema (types name enums of other schemas)."""
    return {(schema, name): tuple(labels) for schema, name, labels in conn.execute(_ALL_ENUMS)}
