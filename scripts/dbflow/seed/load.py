"""Write a seed plan with binary COPY, streamed, inside the caller's transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb

from dbflow.catalog.model import Column, Table, TableKey
from dbflow.connection import Conn
from dbflow.seed.aliases import Value
from dbflow.seed.evaluate import holds
from dbflow.seed.keep import describe_kept, keep_rows
from dbflow.seed.model import NO_RULE, ColumnPlan, SeedPlan, TablePlan, person_value
from dbflow.seed.parallel import copy_in_parallel, worker_count
from dbflow.seed.shape import join_keys, one_to_one
from dbflow.seed.type_forms import TEXT_FORM_TYPES
from dbflow.seed.values import column_hashes, edge_values, row_digest

RowProgress = Callable[[TablePlan, int], None]  # (table, rows written so far)
_PROGRESS_EVERY = 5000


@dataclass(frozen=True)
class TableResult:
    name: str
    rows: int
    seconds: float
    mode: str  # "copy", "upsert" (rows made by triggers or seed files were updated)


def copy_type(column: Column) -> str:
    """The type psycopg should send for ``column`` in binary COPY (text for enums, varchar...)."""
    base = column.base_type
    if column.is_array and base in ("varchar", "bpchar"):
        return f"{base}[]"  # an array's binary form names its element type: it must match
    if column.enum_labels or base in ("varchar", "bpchar", "citext", "name", *TEXT_FORM_TYPES):
        base = "text"
    return f"{base}[]" if column.is_array else base


def copy_format(columns: list[ColumnPlan]) -> str:
    """BINARY, or TEXT when an array of an enum is written (binary arrays name their element
    type, and psycopg knows no enum's; in text the server reads the array as the column's)
    or a value is written in its type's input syntax (``seed.type_forms``)."""
    if any(c.column.is_array and c.column.enum_labels for c in columns):
        return "TEXT"
    if any(c.column.base_type in TEXT_FORM_TYPES for c in columns):
        return "TEXT"
    return "BINARY"


def rows(
    seed_plan: SeedPlan,
    plan: TablePlan,
    columns: list[ColumnPlan],
    first: int = 0,
    last: int | None = None,
) -> Iterator[list[Value]]:
    """The plan's rows ``first`` to ``last`` (all by default), one list of values per row,
    generated on the fly."""
    last = plan.total if last is None else last
    seed = seed_plan.seed
    name = plan.table.name
    width = max((c.position for c in columns), default=0) + 1
    simple = all(
        c.has_fixed or (c.foreign_key is None and (c.person is None or c.person[0] is None))
        for c in columns
    )
    if simple and plan.edge_rows == 0:
        # The common case, kept tight: every value is a constant or a producer of (row, hash).
        steps = [(c.producer, c.position, c.fixed, c.has_fixed) for c in columns]
        offset = plan.row_offset
        sources = range(first, last) if plan.source_rows is None else plan.source_rows[first:last]
        for source in sources:
            row = source + offset
            hashes = column_hashes(row_digest(seed, name, row), width)
            yield [
                fixed if has_fixed else producer(row, hashes[position])  # type: ignore[misc]
                for producer, position, fixed, has_fixed in steps
            ]
        return
    for row in range(first, last):
        yield row_values(seed_plan, plan, columns, row)


def row_values(
    seed_plan: SeedPlan, plan: TablePlan, columns: list[ColumnPlan], row: int
) -> list[Value]:
    """Row ``row`` of the plan (an edge-case row past ``plan.count``), as COPY takes it."""
    row = plan.source(row)
    variant = row - (plan.planned if plan.planned >= 0 else plan.count)
    if variant < 0 or not plan.rules.conditions:
        return plain_values(seed_plan, plan, columns, row, variant)
    # Edge values the CHECKs refuse give way to ordinary ones, column by column.
    edged = plain_values(seed_plan, plan, columns, row, variant)
    refused = _refused_columns(plan, columns, edged)
    if not refused:
        return edged
    plain = plain_values(seed_plan, plan, columns, row, -1)
    mixed = [
        ordinary if c.column.name in refused else edge
        for c, edge, ordinary in zip(columns, edged, plain, strict=True)
    ]
    return plain if _refused_columns(plan, columns, mixed) else mixed


def _refused_columns(plan: TablePlan, columns: list[ColumnPlan], values: list[Value]) -> set[str]:
    named = {c.column.name: value for c, value in zip(columns, values, strict=True)}
    return {
        name
        for condition in plan.rules.conditions
        if holds(condition.expr, named) is not True
        for name in condition.columns
    }


def plain_values(
    seed_plan: SeedPlan, plan: TablePlan, columns: list[ColumnPlan], row: int, variant: int
) -> list[Value]:
    digest = row_digest(seed_plan.seed, plan.table.name, row + plan.row_offset)
    hashes = column_hashes(digest, max((c.position for c in columns), default=0) + 1)
    rules = plan.rules.columns
    values: list[Value] = []
    for column_plan in columns:
        if column_plan.has_fixed:
            values.append(column_plan.fixed)
            continue
        if column_plan.foreign_key is not None:
            if column_plan.deferred:
                values.append(None)
                continue
            chooser = plan.fk_choosers[column_plan.foreign_key.name]
            parent_row = chooser(row, digest)
            if parent_row is None or (variant == 0 and not column_plan.column.not_null):
                values.append(None)
                continue
            target = column_plan.foreign_key.target_columns[column_plan.fk_index]
            values.append(seed_plan.key_value(column_plan.foreign_key.target, parent_row, target))
            continue
        if variant >= 0 and not column_plan.unique:
            rule = rules.get(column_plan.column.name) or NO_RULE
            edge = edge_values(column_plan.column, rule, variant)
            if edge is not ...:
                values.append(edge)
                continue
        if column_plan.person is not None:
            values.append(person_value(seed_plan, plan, column_plan, row, digest))
            continue
        assert column_plan.producer is not None
        values.append(column_plan.producer(row + plan.row_offset, hashes[column_plan.position]))
    return values


def load_table(
    conn: Conn, seed_plan: SeedPlan, plan: TablePlan, progress: RowProgress
) -> TableResult:
    started = time.perf_counter()
    table = plan.table
    columns = [column_plan for column_plan in plan.columns]
    if plan.total == 0 or not columns:
        return TableResult(table.name, 0, 0.0, "skipped")
    target = sql.Identifier(*table.key)
    names = sql.SQL(", ").join(sql.Identifier(c.column.name) for c in columns)
    existing = conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(target)).fetchone()
    has_rows = bool(existing and existing[0])
    numbered = [c for c in columns if c.numbered]
    if numbered and has_rows:  # generated rows come after the rows already there
        highest = conn.execute(
            sql.SQL("SELECT coalesce(max({}), 0) FROM {}").format(
                sql.Identifier(numbered[0].column.name), target
            )
        ).fetchone()
        plan.row_offset = int(highest[0]) if highest else 0
    merge_key = _arbiter(table, {c.column.name for c in columns}) if has_rows else ()
    kept = keep_rows(
        conn, seed_plan, plan, has_rows=has_rows, merge_key=merge_key, row_values=row_values
    )
    if kept.rows < kept.asked:
        plan.notes.append(describe_kept(kept))
    if plan.total == 0:
        return TableResult(table.name, 0, time.perf_counter() - started, "none kept")
    mode = "upsert" if has_rows else "copy"
    destination = target
    if has_rows:
        destination = sql.Identifier("dbflow_seed_rows")
        conn.execute("DROP TABLE IF EXISTS pg_temp.dbflow_seed_rows")
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE dbflow_seed_rows ON COMMIT DROP AS "
                "SELECT {} FROM {} WITH NO DATA"
            ).format(names, target)
        )
    types = [copy_type(c.column) for c in columns]
    json_positions = [i for i, c in enumerate(columns) if c.column.base_type == "json"]
    written = 0
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT {})").format(
        destination, names, sql.SQL(copy_format(columns))
    )
    workers = worker_count(plan, copy_format(columns) == "BINARY")
    with conn.cursor().copy(statement) as copy:
        copy.set_types(types)
        if workers:
            written = copy_in_parallel(
                copy, seed_plan, plan, columns, rows, workers, lambda n: progress(plan, n)
            )
        for values in rows(seed_plan, plan, columns, 0, 0 if workers else None):
            for position in json_positions:
                if isinstance(values[position], Jsonb):
                    values[position] = Json(values[position].obj)
            copy.write_row(values)
            written += 1
            if written % _PROGRESS_EVERY == 0:
                progress(plan, written)
    if has_rows:
        _merge(conn, plan, columns, names, target)
    progress(plan, written)
    return TableResult(table.name, written, time.perf_counter() - started, mode)


def _merge(
    conn: Conn,
    plan: TablePlan,
    columns: list[ColumnPlan],
    names: sql.Composable,
    target: sql.Composable,
) -> None:
    """Rows already there (made by a trigger or a seed file): update them, insert the rest."""
    written = {c.column.name for c in columns}
    key = _arbiter(plan.table, written)
    if key:
        _avoid_written_values(conn, plan, key, target)
        _remember_written_rows(conn, plan, key, target)
    overriding: sql.Composable = sql.SQL("")
    if any(c.column.identity == "a" for c in columns):
        overriding = sql.SQL("OVERRIDING SYSTEM VALUE ")
    if key:
        primary = set(plan.table.primary_key) - set(key)
        updates = [c.column for c in columns if c.column.name not in key]
        # What a seed file or a trigger set on purpose wins; a column still NULL or at its
        # default (now(), false, ...) takes the generated, reproducible value. A row a
        # trigger made for a parent takes the generated primary key, which children use.
        action = (
            sql.SQL("DO UPDATE SET {}").format(
                sql.SQL(", ").join(
                    sql.SQL("{} = excluded.{}").format(
                        sql.Identifier(column.name), sql.Identifier(column.name)
                    )
                    if column.name in primary
                    else _keep_deliberate(target, column)
                    for column in updates
                )
            )
            if updates
            else sql.SQL("DO NOTHING")
        )
        conflict: sql.Composable = sql.SQL("ON CONFLICT ({}) {}").format(
            sql.SQL(", ").join(sql.Identifier(n) for n in key), action
        )
    else:
        conflict = sql.SQL("ON CONFLICT DO NOTHING")
    rules = _rules(conn, plan)
    if rules and key:
        _insert_missing(conn, plan, rules, key, names, target, overriding)
    else:
        conn.execute(
            sql.SQL("INSERT INTO {} ({}) {}SELECT {} FROM dbflow_seed_rows {}").format(
                target, names, overriding, names, conflict
            )
        )
    conn.execute("DROP TABLE pg_temp.dbflow_seed_rows")


def _rules(conn: Conn, plan: TablePlan) -> list[str]:
    return [
        str(row[0])
        for row in conn.execute(
            "SELECT rulename FROM pg_rules WHERE schemaname = %s AND tablename = %s", plan.key
        )
    ]


def _insert_missing(
    conn: Conn,
    plan: TablePlan,
    rules: list[str],
    key: tuple[str, ...],
    names: sql.Composable,
    target: sql.Composable,
    overriding: sql.Composable,
) -> None:
    """A table with rules (an append-only table) takes no ON CONFLICT: its rows already there
    stay as they are, the others are inserted, with its rules paused."""
    match = sql.SQL(" AND ").join(
        sql.SQL("t.{} = s.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in key
    )
    for rule in rules:
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE RULE {}").format(target, sql.Identifier(rule)))
    conn.execute(
        sql.SQL(
            "INSERT INTO {} ({}) {}SELECT {} FROM dbflow_seed_rows s "
            "WHERE NOT EXISTS (SELECT FROM {} t WHERE {})"
        ).format(target, names, overriding, names, target, match)
    )
    for rule in rules:
        conn.execute(sql.SQL("ALTER TABLE {} ENABLE RULE {}").format(target, sql.Identifier(rule)))


_EXTRA_ROWS_KEPT = 1000


def _arbiter(table: Table, written: set[str]) -> tuple[str, ...]:
    """The key that says a generated row is already there: the key of a one-row-per-parent
    table (credits of an organization, made by a trigger on organizations), else the
    primary key."""
    one = one_to_one(table)
    if (
        one is not None
        and set(one.columns) <= written
        and set(one.columns) != set(table.primary_key)
    ):
        return one.columns
    joined = tuple(column for fk in join_keys(table) for column in fk.columns)
    if joined and set(joined) <= written and set(joined) != set(table.primary_key):
        return joined  # a join table's pair: a trigger may already have linked the two
    key = table.primary_key
    return key if key and set(key) <= written else ()


def _remember_written_rows(
    conn: Conn, plan: TablePlan, key: tuple[str, ...], target: sql.Composable
) -> None:
    """Rows the seed files wrote (and that no generated row replaces): children may pick
    them as parents, in the order of their primary keys."""
    primary = plan.table.primary_key
    if not plan.seed_file_keys or not primary:
        return
    match = sql.SQL(" AND ").join(
        sql.SQL("s.{} = t.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in key
    )
    order = sql.SQL(", ").join(sql.SQL("t.{}::text").format(sql.Identifier(n)) for n in primary)
    found = conn.cursor(row_factory=dict_row).execute(
        sql.SQL(
            "SELECT t.* FROM {} t WHERE NOT EXISTS (SELECT FROM dbflow_seed_rows s WHERE {}) "
            "ORDER BY {}"
        ).format(target, match, order)
    )
    plan.extra_rows = [
        row for row in found if tuple(row[n] for n in primary) in plan.seed_file_keys
    ][:_EXTRA_ROWS_KEPT]


def rows_already_there(conn: Conn, tables: list[Table]) -> dict[TableKey, list[dict[str, Value]]]:
    """The rows tables with a primary key hold before anything is generated (a lookup table a
    migration filled, a seed file's rows), up to a thousand each, in key order."""
    keyed = [table for table in tables if table.primary_key]
    if not keyed:
        return {}
    probe = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {} WHERE EXISTS (SELECT FROM {})").format(
            sql.Literal(index), sql.Identifier(*table.key)
        )
        for index, table in enumerate(keyed)
    )
    filled = [keyed[int(row[0])] for row in conn.execute(probe)]
    found: dict[TableKey, list[dict[str, Value]]] = {}
    for table in filled:
        order = sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(name)) for name in table.primary_key
        )
        cursor = conn.cursor(row_factory=dict_row).execute(
            sql.SQL("SELECT * FROM {} ORDER BY {} LIMIT {}").format(
                sql.Identifier(*table.key), order, sql.Literal(_EXTRA_ROWS_KEPT)
            )
        )
        found[table.key] = list(cursor)
    return found


def rows_outside(conn: Conn, tables: list[Table]) -> dict[TableKey, list[dict[str, Value]]]:
    """The rows of tables that foreign keys point at but dbflow does not seed (a bucket a
    migration made in ``storage.buckets``): their key columns, up to a thousand rows each."""
    seeded = {table.key for table in tables}
    wanted: dict[TableKey, set[str]] = {}
    for table in tables:
        for fk in table.foreign_keys:
            if fk.target not in seeded:
                wanted.setdefault(fk.target, set()).update(fk.target_columns)
    found: dict[TableKey, list[dict[str, Value]]] = {}
    for key, columns in sorted(wanted.items()):
        names = sorted(columns)
        listed = sql.SQL(", ").join(sql.Identifier(name) for name in names)
        try:
            with conn.transaction():
                cursor = conn.cursor(row_factory=dict_row).execute(
                    sql.SQL("SELECT {} FROM {} ORDER BY {} LIMIT {}").format(
                        listed, sql.Identifier(*key), listed, sql.Literal(_EXTRA_ROWS_KEPT)
                    )
                )
                found[key] = list(cursor)
        except psycopg.Error:  # not readable here: its children are said to lack rows
            found[key] = []
    return found


def primary_keys(conn: Conn, plan: TablePlan) -> set[tuple[Value, ...]]:
    """The primary keys of the rows a table holds now."""
    primary = plan.table.primary_key
    if not primary:
        return set()
    found = conn.execute(
        sql.SQL("SELECT {} FROM {}").format(
            sql.SQL(", ").join(sql.Identifier(n) for n in primary), sql.Identifier(*plan.key)
        )
    )
    return {tuple(row) for row in found}


def _avoid_written_values(
    conn: Conn, plan: TablePlan, key: tuple[str, ...], target: sql.Composable
) -> None:
    """A generated value of a unique text column that a seed file's row already holds is
    changed (a short suffix) before the generated rows are merged."""
    same_row = sql.SQL(" AND ").join(
        sql.SQL("t.{} = s.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in key
    )
    texts = {
        c.column.name
        for c in plan.columns
        if c.column.base_type in _TEXT and not c.column.is_array and c.producer and not c.has_fixed
    }
    for unique in plan.table.unique_keys:
        columns = unique.columns if not unique.expression and not unique.predicate else ()
        if len(columns) != 1 or columns[0] not in texts or columns[0] in key:
            continue
        name = sql.Identifier(columns[0])
        conn.execute(
            sql.SQL(
                "UPDATE dbflow_seed_rows s SET {name} = "
                "left(s.{name}, greatest(length(s.{name}) - 7, 1)) || '-' || "
                "substr(md5(s.{name}), 1, 6) "
                "WHERE EXISTS (SELECT FROM {target} t WHERE t.{name} = s.{name} "
                "AND NOT ({same_row}))"
            ).format(name=name, target=target, same_row=same_row)
        )


_TEXT = ("text", "varchar", "citext")


def _keep_deliberate(target: sql.Composable, column: Column) -> sql.Composable:
    name = sql.Identifier(column.name)
    if column.default is None:
        return sql.SQL("{} = coalesce({}.{}, excluded.{})").format(name, target, name, name)
    # The default expression comes from the database's own catalog (pg_get_expr).
    return sql.SQL(
        "{} = CASE WHEN {}.{} IS NULL OR {}.{} IS NOT DISTINCT FROM ({}) "
        "THEN excluded.{} ELSE {}.{} END"
    ).format(name, target, name, target, name, sql.SQL(column.default), name, target, name)


def fill_deferred(conn: Conn, seed_plan: SeedPlan) -> None:
    """Cycle breaks: set the foreign keys inserted as NULL, one set-based UPDATE per edge."""
    for key, fk in seed_plan.cycle_breaks:
        plan = seed_plan.by_key[key]
        primary = plan.table.primary_key
        if not primary or plan.total == 0:
            continue
        by_name = {c.column.name: c for c in plan.columns}
        chooser = plan.fk_choosers[fk.name]
        columns = [by_name[name].column for name in (*primary, *fk.columns)]
        conn.execute("DROP TABLE IF EXISTS pg_temp.dbflow_seed_edges")
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE dbflow_seed_edges ON COMMIT DROP AS "
                "SELECT {} FROM {} WITH NO DATA"
            ).format(
                sql.SQL(", ").join(sql.Identifier(c.name) for c in columns),
                sql.Identifier(*key),
            )
        )
        with conn.cursor().copy(
            sql.SQL("COPY dbflow_seed_edges ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
            )
        ) as copy:
            copy.set_types([copy_type(c) for c in columns])
            for row in range(plan.total):
                source = plan.source(row)
                digest = row_digest(seed_plan.seed, plan.table.name, source + plan.row_offset)
                parent_row = chooser(source, digest)
                keys = [seed_plan.key_value(key, row, name) for name in primary]
                values = [
                    seed_plan.key_value(fk.target, parent_row, target)
                    if parent_row is not None
                    else None
                    for target in fk.target_columns
                ]
                copy.write_row([*keys, *values])
        conn.execute(
            sql.SQL("UPDATE {} AS t SET {} FROM dbflow_seed_edges AS e WHERE {}").format(
                sql.Identifier(*key),
                sql.SQL(", ").join(
                    sql.SQL("{} = e.{}").format(sql.Identifier(n), sql.Identifier(n))
                    for n in fk.columns
                ),
                sql.SQL(" AND ").join(
                    sql.SQL("t.{} = e.{}").format(sql.Identifier(n), sql.Identifier(n))
                    for n in primary
                ),
            )
        )
        conn.execute("DROP TABLE pg_temp.dbflow_seed_edges")


def reset_sequences(conn: Conn, seed_plan: SeedPlan) -> None:
    """Move every identity and serial sequence past the ids that were loaded."""
    for plan in seed_plan.tables:
        advance_sequences(conn, plan)


def advance_sequences(conn: Conn, plan: TablePlan) -> None:
    """Move a table's identity and serial sequences past its ids (right after its load, so
    rows a trigger adds to it later do not collide with generated ones)."""
    for column_plan in plan.columns:
        column = column_plan.column
        if column.base_type not in ("int2", "int4", "int8") or not (
            column.identity or column.has_default
        ):
            continue
        conn.execute(
            sql.SQL(
                "SELECT setval(seq, coalesce((SELECT max({}) FROM {}), 0) + 1, false) "
                "FROM pg_get_serial_sequence({}, {}) AS seq WHERE seq IS NOT NULL"
            ).format(
                sql.Identifier(column.name),
                sql.Identifier(*plan.table.key),
                sql.Literal(sql.Identifier(*plan.table.key).as_string(conn)),
                sql.Literal(column.name),
            )
        )


# A value the clock gave during the seed (now(), a trigger's clock_timestamp(), UTC or local
# wall time); generated times are never in this window.
_CLOCK_TYPES = {
    "timestamptz": "BETWEEN now() - interval '1 day' AND clock_timestamp() + interval '1 day'",
    "timestamp": "BETWEEN localtimestamp - interval '1 day' "
    "AND clock_timestamp()::timestamp + interval '1 day'",
}


def normalize_clock(conn: Conn, seed_plan: SeedPlan, epoch: Value) -> None:
    """Time values a default or a trigger took from now() become a fixed epoch.

    now() is constant within the seed's transaction, so a value equal to it was not written
    by the generator. User triggers are paused for the update (an updated_at trigger would
    otherwise put now() back).
    """
    # auth first: its triggers stay on (the platform's tables), and what they write into
    # the application's tables is then pinned with the rest.
    ordered = sorted(seed_plan.tables, key=lambda plan: plan.key[0] != "auth")
    for plan in ordered:
        columns = [
            c
            for c in plan.table.columns
            if c.base_type in _CLOCK_TYPES and not c.is_array and not c.generated
        ]
        if not columns:
            continue
        target = sql.Identifier(*plan.table.key)
        stale = sql.SQL(" OR ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(_CLOCK_TYPES[c.base_type]))
            for c in columns
        )
        found = conn.execute(
            sql.SQL("SELECT EXISTS (SELECT FROM {} WHERE {})").format(target, stale)
        ).fetchone()
        if not found or not found[0]:
            continue
        pause = plan.key[0] != "auth"
        rules: list[str] = []
        if pause:
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(target))
            # Rules that turn an UPDATE into nothing (an append-only table) pause too.
            rules = _rules(conn, plan)
            for rule in rules:
                conn.execute(
                    sql.SQL("ALTER TABLE {} DISABLE RULE {}").format(target, sql.Identifier(rule))
                )
        # One pass over the table: each clock-made value becomes the epoch.
        assignments = sql.SQL(", ").join(
            sql.SQL("{name} = CASE WHEN {name} {window} THEN {epoch} ELSE {name} END").format(
                name=sql.Identifier(column.name),
                window=sql.SQL(_CLOCK_TYPES[column.base_type]),
                epoch=sql.Literal(
                    epoch if column.base_type == "timestamptz" else epoch.replace(tzinfo=None)
                ),
            )
            for column in columns
        )
        conn.execute(sql.SQL("UPDATE {} SET {} WHERE {}").format(target, assignments, stale))
        if pause:
            conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(target))
            for rule in rules:
                conn.execute(
                    sql.SQL("ALTER TABLE {} ENABLE RULE {}").format(target, sql.Identifier(rule))
                )
