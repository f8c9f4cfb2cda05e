"""Which keys of which tables a view exposes: the columns a view passes through unchanged,
traced (through views of views) to their table columns, as PostgREST reads them to embed
views like tables.

A view's stored query (``pg_rewrite.ev_action``) records, for each output column, the table
column it comes from (``resorigtbl``, ``resorigcol``). Only the top-level target list
counts, and a key counts only when every column of it is exposed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from dbflow.catalog.model import TableKey, ViewKey
from dbflow.connection import Conn

_RULES = """
SELECT c.oid, n.nspname, c.relname, r.ev_action::text,
       ARRAY(SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 ORDER BY a.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_rewrite r ON r.ev_class = c.oid AND r.rulename = '_RETURN'
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(%(schemas)s)
"""

_FOREIGN_KEY_COLUMNS = """
SELECT k.conname, k.conrelid, ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY
                                      u(n, i) JOIN pg_attribute a ON a.attrelid = k.conrelid
                                      AND a.attnum = u.n ORDER BY i),
       k.confrelid, ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY
                            u(n, i) JOIN pg_attribute a ON a.attrelid = k.confrelid
                            AND a.attnum = u.n ORDER BY i),
       ARRAY(SELECT u.n FROM unnest(k.conkey) WITH ORDINALITY u(n, i) ORDER BY i),
       ARRAY(SELECT u.n FROM unnest(k.confkey) WITH ORDINALITY u(n, i) ORDER BY i),
       tn.nspname, t.relname, fn.nspname, f.relname
FROM pg_constraint k
JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
WHERE k.contype = 'f' AND (k.conrelid = ANY(%(oids)s) OR k.confrelid = ANY(%(oids)s))
"""

_ENTRY = re.compile(
    r":resno (\d+) :resname \S+ :ressortgroupref \d+ :resorigtbl (\d+) :resorigcol (\d+)"
)


def read_view_keys(conn: Conn, schemas: list[str]) -> list[ViewKey]:
    views: dict[int, tuple[TableKey, dict[int, tuple[int, int]], list[str]]] = {}
    for oid, schema, name, action, names in conn.execute(_RULES, {"schemas": schemas}):
        views[oid] = ((schema, name), top_level_origins(action), list(names))
    if not views:
        return []
    exposed: dict[tuple[int, int, int], list[str]] = defaultdict(list)  # (view, tbl, col)
    for oid, (_, origins, names) in views.items():
        for resno, origin in origins.items():
            seen = set()
            while origin[0] and origin not in seen:
                seen.add(origin)
                if resno <= len(names):
                    exposed[(oid, *origin)].append(names[resno - 1])
                upstream = views.get(origin[0])
                if upstream is None:
                    break
                origin = upstream[1].get(origin[1], (0, 0))
    origin_tables = {table for _, table, _ in exposed}
    found: list[ViewKey] = []
    for row in conn.execute(_FOREIGN_KEY_COLUMNS, {"oids": list(origin_tables)}):
        name, relid, _, frelid, _, keys, fkeys, schema, table, fschema, ftable = row
        sides = [("f", relid, keys, (schema, table))]
        if schema in schemas:  # the referenced side counts for keys declared in these schemas
            sides.append(("f_ref", frelid, fkeys, (fschema, ftable)))
        for side, table_oid, numbers, key in sides:
            for view_oid, (view, _, _) in views.items():
                columns = [exposed.get((view_oid, table_oid, number)) for number in numbers]
                if all(columns):
                    found.append(
                        ViewKey(view, key, name, side, tuple(tuple(c or ()) for c in columns))
                    )
    return found


def top_level_origins(action: str) -> dict[int, tuple[int, int]]:
    """``{output column number: (table oid, column number)}`` of a stored view query's
    top-level target list (columns computed by expressions have no origin)."""
    start = _top_level_field(action, ":targetList")
    if start < 0:
        return {}
    origins = {}
    for entry in _list_items(action, start):
        matches = _ENTRY.findall(entry)
        if matches:
            resno, table, column = matches[-1]  # the entry's own fields follow its expression
            if int(table):
                origins[int(resno)] = (int(table), int(column))
    return origins


def _scan(text: str, start: int) -> Iterator[tuple[int, str, int]]:
    """Each unescaped character of a node tree from ``start``, with the bracket depth after
    it (an opening bracket counts itself, a closing one no longer does)."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        yield index, char, depth
        index += 1


def _top_level_field(text: str, field: str) -> int:
    """Where the value of ``field`` of the outermost node starts, or -1."""
    for index, char, depth in _scan(text, 0):
        if depth == 2 and char not in "(){}" and text.startswith(field + " ", index):
            return index + len(field) + 1
    return -1


def _list_items(text: str, start: int) -> list[str]:
    """The ``{...}`` items of the parenthesised list that begins at ``start``."""
    if start >= len(text) or text[start] != "(":
        return []
    items = []
    item_start = -1
    for index, char, depth in _scan(text, start):
        if char == "{" and depth == 2:
            item_start = index
        elif char == "}" and depth == 1 and item_start >= 0:
            items.append(text[item_start : index + 1])
            item_start = -1
        elif char in ")}" and depth == 0:
            break
    return items
