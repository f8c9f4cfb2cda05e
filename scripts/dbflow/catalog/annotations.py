"""Comments, standalone sequences, and the privileges the table reader does not cover: of
schemas, sequences, functions and columns. Each is keyed by the SQL words that name the object
in ``COMMENT ON`` and ``GRANT ... ON`` (``table public.t``, ``column public.t.c``,
``function public.f(integer)``), so a difference can be written back as SQL directly. Objects
that belong to an extension are left out (the extension manages them).
"""

from __future__ import annotations

from dbflow.connection import Conn

_COMMENTS = """
SELECT 'schema ' || quote_ident(n.nspname), d.description
FROM pg_description d JOIN pg_namespace n ON d.classoid = 'pg_namespace'::regclass
 AND d.objoid = n.oid
WHERE n.nspname = ANY(%(schemas)s)
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                      WHEN 'S' THEN 'sequence ' WHEN 'f' THEN 'foreign table ' ELSE 'table ' END
       || quote_ident(n.nspname) || '.' || quote_ident(c.relname), d.description
FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE d.objsubid = 0 AND n.nspname = ANY(%(schemas)s)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                  AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.'
       || quote_ident(a.attname), d.description
FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE d.objsubid > 0 AND n.nspname = ANY(%(schemas)s)
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || quote_ident(n.nspname)
       || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid)
       || ')', d.description
FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND d.objoid = p.oid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                  AND e.objid = p.oid AND e.deptype = 'e')
UNION ALL
SELECT 'type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), d.description
FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND d.objoid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY(%(schemas)s)
"""

_PRIVILEGES = """
SELECT 'schema ' || quote_ident(n.nspname),
       array_to_string(ARRAY(SELECT unnest(n.nspacl)::text ORDER BY 1), ' ')
FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s) AND n.nspacl IS NOT NULL
UNION ALL
SELECT 'sequence ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       array_to_string(ARRAY(SELECT unnest(c.relacl)::text ORDER BY 1), ' ')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname = ANY(%(schemas)s) AND c.relacl IS NOT NULL
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || quote_ident(n.nspname)
       || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid)
       || ')', array_to_string(ARRAY(SELECT unnest(p.proacl)::text ORDER BY 1), ' ')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(%(schemas)s) AND p.proacl IS NOT NULL
  AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                  AND e.objid = p.oid AND e.deptype = 'e')
UNION ALL
SELECT 'column ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.'
       || quote_ident(a.attname),
       array_to_string(ARRAY(SELECT unnest(a.attacl)::text ORDER BY 1), ' ')
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY(%(schemas)s)
"""


# Sequences made by CREATE SEQUENCE: not a serial's (deptype 'a') or an identity's ('i'), which
# come with their column, nor an extension's.
_SEQUENCES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       format('as %%s increment by %%s minvalue %%s maxvalue %%s start with %%s cache %%s %%s',
              format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart,
              s.seqcache, CASE WHEN s.seqcycle THEN 'cycle' ELSE 'no cycle' END)
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
"""


def read_sequences(conn: Conn, schemas: list[str]) -> dict[str, str]:
    """Standalone sequences by qualified name, with their definition (options of CREATE
    SEQUENCE; the current value is data, not schema)."""
    return {str(name): str(text) for name, text in conn.execute(_SEQUENCES, {"schemas": schemas})}


def read_comments(conn: Conn, schemas: list[str]) -> dict[str, str]:
    return {str(name): str(text) for name, text in conn.execute(_COMMENTS, {"schemas": schemas})}


def read_privileges(conn: Conn, schemas: list[str]) -> dict[str, str]:
    return {str(name): str(acl) for name, acl in conn.execute(_PRIVILEGES, {"schemas": schemas})}
