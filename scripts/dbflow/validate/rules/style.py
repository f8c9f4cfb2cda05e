"""Style: definitions that work today and cost later."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import Node, added_columns, type_name
from dbflow.validate.rules import HistoryContext, Hit, StatementContext, rule

_MAX_IDENTIFIER_BYTES = 63


def _is_primary_key(column: Node) -> bool:
    return any(
        item.get("Constraint", {}).get("contype") == "CONSTR_PRIMARY"
        for item in column.get("constraints", []) or []
    )


@rule(
    id="STY01",
    name="int-primary-key",
    severity="info",
    message="A 32-bit primary key runs out at 2.1 billion rows: use bigint (or uuid)",
    why="""Changing the type of a primary key later rewrites the table and every table that
    references it; starting with bigint costs four bytes a row.""",
    bad="create table public.events (id serial primary key);",
    good="create table public.events (id bigint generated always as identity primary key);",
    fix="Use bigint generated always as identity, or uuid.",
    kinds=["CreateStmt", "AlterTableStmt"],
)
def int_primary_key(ctx: StatementContext) -> Iterator[Hit]:
    for column in added_columns(ctx.node):
        if _is_primary_key(column) and type_name(column.get("typeName")) in (
            "int4",
            "int2",
            "serial",
            "smallserial",
            "int",
            "integer",
            "smallint",
        ):
            yield ctx.hit_at(column)


@rule(
    id="STY02",
    name="serial-column",
    severity="info",
    message="The serial pseudo-type is legacy: use an identity column",
    why="""serial creates a separately owned sequence with awkward permissions and dump
    behaviour; GENERATED ... AS IDENTITY is the SQL-standard replacement.""",
    bad="create table public.events (id bigserial primary key);",
    good="create table public.events (id bigint generated always as identity primary key);",
    fix="Use bigint generated always as identity.",
    kinds=["CreateStmt", "AlterTableStmt"],
)
def serial_column(ctx: StatementContext) -> Iterator[Hit]:
    for column in added_columns(ctx.node):
        if type_name(column.get("typeName")) in ("serial", "bigserial", "smallserial"):
            yield ctx.hit_at(column)


@rule(
    id="STY03",
    name="varchar-or-char",
    severity="info",
    message="Length limits in varchar(n) and char(n) are costly to change: prefer text + CHECK",
    why="""Raising a varchar limit is cheap, but lowering it or changing char(n) rewrites the
    table; char(n) also pads with spaces. A CHECK on length() can be replaced without a rewrite
    (NOT VALID, then VALIDATE).""",
    bad="create table public.users_extra (id bigint primary key, nickname varchar(30));",
    good="create table public.users_extra (id bigint primary key, "
    "nickname text check (char_length(nickname) <= 30));",
    fix="Use text with CHECK (char_length(col) <= n).",
    kinds=["CreateStmt", "AlterTableStmt"],
)
def varchar_or_char(ctx: StatementContext) -> Iterator[Hit]:
    for column in added_columns(ctx.node):
        if type_name(column.get("typeName")) in ("varchar", "bpchar", "char"):
            kind = type_name(column.get("typeName"))
            yield ctx.hit_at(column, f"Column {column.get('colname')} is {kind}: prefer text")


@rule(
    id="STY04",
    name="timestamp-without-time-zone",
    severity="warning",
    message="A timestamp without time zone loses the offset: use timestamptz",
    why="""timestamp stores a wall-clock time with no zone; values written from servers or users
    in different zones become ambiguous, and comparisons with now() depend on the session's
    TimeZone.""",
    bad="create table public.events (id bigint primary key, happened_at timestamp);",
    good="create table public.events (id bigint primary key, happened_at timestamptz);",
    fix="Use timestamptz.",
    kinds=["CreateStmt", "AlterTableStmt"],
)
def timestamp_without_time_zone(ctx: StatementContext) -> Iterator[Hit]:
    for column in added_columns(ctx.node):
        if type_name(column.get("typeName")) in ("timestamp", "timestamp[]"):
            yield ctx.hit_at(
                column, f"Column {column.get('colname')} is timestamp without time zone"
            )


def _named_nodes(ctx: StatementContext) -> Iterator[tuple[str, Node]]:
    """(name, node with a location) for relations and columns the statement names."""
    node = ctx.node
    for key in ("relation", "view"):
        value = node.get(key)
        if isinstance(value, dict) and value.get("relname"):
            yield value["relname"], value
    for column in added_columns(ctx.node):
        if column.get("colname"):
            yield column["colname"], column


def _written_length(ctx: StatementContext, name: str, node: Node) -> int:
    """The identifier's length in bytes as written: the parser truncates long names to 63."""
    if len(name.encode("utf-8")) < _MAX_IDENTIFIER_BYTES:
        return len(name.encode("utf-8"))
    hit = ctx.hit_at(node)
    if hit.line is None or hit.column is None:
        return len(name.encode("utf-8"))
    line = ctx.source.text.splitlines()[hit.line - 1]
    rest = line[hit.column - 1 :]
    if "." in rest.split(" ", 1)[0].split("(", 1)[0]:
        rest = rest.split(".", 1)[1]
    token = ""
    for char in rest:
        if not (char.isalnum() or char in "_$"):
            break
        token += char
    return len(token.encode("utf-8"))


@rule(
    id="STY05",
    name="identifier-too-long",
    severity="error",
    message="Identifier longer than 63 bytes: PostgreSQL silently truncates it",
    why="""Names longer than 63 bytes are cut without an error, so two long names can collide and
    later statements that use the full name fail to find the object.""",
    bad="create table public.customer_lifetime_value_snapshots_by_region_and_quarter_2025_final "
    "(id bigint primary key);",
    good="create table public.customer_ltv_snapshots (id bigint primary key);",
    fix="Use a shorter name (63 bytes at most).",
    kinds=["CreateStmt", "AlterTableStmt", "ViewStmt"],
)
def identifier_too_long(ctx: StatementContext) -> Iterator[Hit]:
    for name, node in _named_nodes(ctx):
        length = _written_length(ctx, name, node)
        if length > _MAX_IDENTIFIER_BYTES:
            yield ctx.hit_at(node, f"Identifier {name[:30]}... is {length} bytes (max 63)")


@rule(
    id="STY10",
    name="table-without-comment",
    severity="info",
    message="Table without a comment: say what one row is",
    why="""COMMENT ON TABLE shows up in Supabase Studio, the generated API docs and type
    generators; it is the cheapest documentation a schema has.""",
    bad="create table public.invoices (id bigint primary key);",
    good="create table public.invoices (id bigint primary key);\n"
    "comment on table public.invoices is 'An invoice sent to a customer.';",
    fix="Add COMMENT ON TABLE ... IS '...'.",
    scope="history",
)
def table_without_comment(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if table.created is not None and not table.commented:
            yield Hit(f"Table {table.key[0]}.{table.key[1]} has no comment", location=table.created)
