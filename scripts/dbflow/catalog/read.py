"""Read the catalog of a live database with a handful of pg_catalog queries."""

from __future__ import annotations

from collections.abc import Iterable

from dbflow.catalog.model import Catalog, Check, Column, ForeignKey, Table, Trigger, UniqueKey
from dbflow.connection import Conn
from dbflow.platform_schemas import MANAGED_SCHEMAS
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
       a.attgenerated <> '', a.atttypmod,
       coalesce(et.typname, ''),
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = coalesce(nullif(t.typelem, 0), t.oid)
            OR e.enumtypid = coalesce(nullif(bt.typelem, 0), bt.oid)),
       (SELECT array_agg(pg_get_constraintdef(dc.oid) ORDER BY dc.conname) FROM pg_constraint dc
         WHERE dc.contypid = t.oid AND dc.contype = 'c'),
       pg_get_expr(d.adbin, d.adrelid)
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
WHERE con.conrelid = ANY(%(oids)s) AND con.contype IN ('p', 'u', 'f', 'c')
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
SELECT tg.tgrelid, tg.tgname, fn.nspname || '.' || f.proname, tg.tgtype, f.prosrc, l.lanname
FROM pg_trigger tg
JOIN pg_proc f ON f.oid = tg.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
JOIN pg_language l ON l.oid = f.prolang
WHERE tg.tgrelid = ANY(%(oids)s) AND NOT tg.tgisinternal
ORDER BY tg.tgrelid, tg.tgname
"""


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
    """The tables of ``schemas`` (default: every user schema) plus auth.users."""
    wanted = list(schemas) if schemas is not None else user_schemas(conn)
    catalog = Catalog()
    by_oid: dict[int, Table] = {}
    for oid, schema, name in conn.execute(_TABLES, {"schemas": wanted}):
        table = Table((schema, name))
        catalog.tables[table.key] = table
        by_oid[oid] = table
    oids = list(by_oid)
    for row in conn.execute(_COLUMNS, {"oids": oids}):
        (relid, name, type_name, base, is_array, not_null, has_default, identity, generated,
         typmod, element, labels, domain_checks, default) = row  # fmt: skip
        max_length = typmod - 4 if base in ("varchar", "bpchar") and typmod > 4 else None
        if is_array and base.startswith("_"):
            base = element or base[1:]
        precision = scale = None
        if base == "numeric" and typmod > 4:
            precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
        by_oid[relid].columns.append(
            Column(
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
                default=default if not generated else None,
            )
        )
    for row in conn.execute(_CONSTRAINTS, {"oids": oids}):
        relid, name, kind, columns, target_schema, target_name, target_columns, deferrable, sql = (
            row
        )
        table = by_oid[relid]
        if kind == "p":
            table.primary_key = tuple(columns)
        elif kind == "u":
            table.unique_keys.append(UniqueKey(name, tuple(columns), None, None))
        elif kind == "f":
            table.foreign_keys.append(
                ForeignKey(name, tuple(columns), (target_schema, target_name),
                           tuple(target_columns), bool(deferrable))
            )  # fmt: skip
        elif kind == "c":
            table.checks.append(Check(name, sql))
    for relid, name, columns, predicate, has_expressions, definition in conn.execute(
        _UNIQUE_INDEXES, {"oids": oids}
    ):
        by_oid[relid].unique_keys.append(
            UniqueKey(name, () if has_expressions else tuple(columns), predicate,
                      definition if has_expressions else None)
        )  # fmt: skip
    for relid, name, function, tgtype, source, language in conn.execute(_TRIGGERS, {"oids": oids}):
        events = tuple(
            event for bit, event in ((4, "insert"), (8, "delete"), (16, "update")) if tgtype & bit
        )
        targets = _insert_targets(source, language)
        by_oid[relid].triggers.append(Trigger(name, function, events, targets))
    return catalog


def _insert_targets(
    source: str, language: str
) -> tuple[tuple[tuple[str, str], tuple[str, ...]], ...]:
    """Tables a trigger function's body inserts into (PL/pgSQL or SQL), via the parser."""
    if language not in ("plpgsql", "sql"):
        return ()
    queries = [source] if language == "sql" else [
        query
        for _, kind, query in plpgsql_queries(plpgsql_wrapper(source, returns="trigger"))
        if kind == "sql"
    ]  # fmt: skip
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
