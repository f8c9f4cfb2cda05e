"""Data loss: statements that delete data a production database holds."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import alter_commands, qualified, qualified_from_names
from dbflow.validate.rules import Hit, StatementContext, once, rule

_GIVEN_ORDERS = "create table public.orders (id bigint primary key, note text, total int);"


def _dropped_keys(ctx: StatementContext) -> list[tuple[str, str]]:
    keys = []
    for item in ctx.node.get("objects", []) or []:
        if "List" in item:
            keys.append(qualified_from_names(item["List"].get("items")))
    return keys


@rule(
    id="DAT01",
    name="drop-table",
    severity="error",
    message="Dropping a table deletes its data and breaks every client that still reads it",
    why="""A table created in an earlier migration may hold production data. DROP TABLE removes
    it at once and cannot be undone without a restore.""",
    given=_GIVEN_ORDERS,
    bad="drop table public.orders;",
    good="-- stop using the table first; drop it in a later release once nothing reads it\n"
    "comment on table public.orders is 'Deprecated: unused since 2025-06, drop after 2025-09';",
    fix="""Ship the code that stops using the table first, keep a backup, then drop it in a later
    migration with a suppression that says why: -- dbflow: ignore DAT01 <reason>.""",
    kinds=["DropStmt"],
)
def drop_table(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.get("removeType") != "OBJECT_TABLE":
        return
    for key in _dropped_keys(ctx):
        if ctx.holds_data(key):
            yield Hit(f"Dropping table {key[0]}.{key[1]} deletes its data and breaks its clients")


@rule(
    id="DAT02",
    name="drop-column",
    severity="error",
    message="Dropping a column deletes its data and breaks clients that select it",
    why="""Running application code (and PostgREST clients using select=*) still reads the column
    until it is deployed without it; the data is gone for good.""",
    given=_GIVEN_ORDERS,
    bad="alter table public.orders drop column note;",
    good="comment on column public.orders.note is "
    "'Deprecated: drop after clients stop reading it';",
    fix="""Expand and contract: stop reading and writing the column in the application, deploy,
    then drop it in a later migration.""",
    kinds=["AlterTableStmt"],
)
def drop_column(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    if not ctx.holds_data(key):
        return
    for command in alter_commands(ctx.node):
        if command.get("subtype") == "AT_DropColumn":
            yield Hit(f"Dropping column {key[1]}.{command.get('name')} deletes its data")


@rule(
    id="DAT03",
    name="drop-schema",
    severity="error",
    message="Dropping a schema deletes every object and all the data in it",
    why="DROP SCHEMA ... CASCADE removes tables, functions and policies it contains in one go.",
    bad="drop schema reporting cascade;",
    good="-- move what is still needed elsewhere, then drop objects one by one",
    fix="Drop the objects you mean to drop explicitly, each reviewed on its own.",
    kinds=["DropStmt"],
)
def drop_schema(ctx: StatementContext) -> Iterator[Hit]:
    yield from once(ctx.node.get("removeType") == "OBJECT_SCHEMA")


@rule(
    id="DAT04",
    name="drop-database",
    severity="error",
    message="Dropping a database deletes everything in it",
    why="A migration never needs to drop a database; this is almost certainly a mistake.",
    bad="drop database analytics;",
    good="-- databases are managed outside migrations",
    fix="Remove the statement; manage databases outside migrations.",
    kinds=["DropdbStmt"],
)
def drop_database(ctx: StatementContext) -> Iterator[Hit]:
    yield Hit()


@rule(
    id="DAT05",
    name="truncate",
    severity="error",
    message="TRUNCATE deletes every row of the table",
    why="""TRUNCATE empties a table that may hold production data, takes an ACCESS EXCLUSIVE
    lock, and with CASCADE empties every table that references it too.""",
    given=_GIVEN_ORDERS,
    bad="truncate public.orders;",
    good="delete from public.orders where total < 0;",
    fix="Delete only the rows you mean to, with a WHERE clause, or move data cleanup out of "
    "migrations.",
    kinds=["TruncateStmt"],
)
def truncate(ctx: StatementContext) -> Iterator[Hit]:
    for relation in ctx.node.get("relations", []) or []:
        key = qualified(relation)
        if ctx.holds_data(key):
            yield Hit(f"TRUNCATE deletes every row of {key[0]}.{key[1]}")


@rule(
    id="DAT06",
    name="delete-without-where",
    severity="error",
    message="DELETE without WHERE deletes every row of the table",
    why="A DELETE with no WHERE clause empties a table that may hold production data.",
    given=_GIVEN_ORDERS,
    bad="delete from public.orders;",
    good="delete from public.orders where total < 0;",
    fix="Add a WHERE clause that selects only the rows to delete.",
    kinds=["DeleteStmt"],
)
def delete_without_where(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    yield from once(ctx.node.where is None and ctx.holds_data(key))


@rule(
    id="DAT07",
    name="update-without-where",
    severity="warning",
    message="UPDATE without WHERE rewrites every row, inside the migration's transaction",
    why="""An unbounded UPDATE overwrites data in every row and holds row locks on all of them
    until the migration commits; on a large table it blocks writers for a long time.""",
    given=_GIVEN_ORDERS,
    bad="update public.orders set note = '';",
    good="update public.orders set note = '' where note is null;",
    fix="Limit the rows with WHERE, and backfill large tables in batches outside the migration.",
    kinds=["UpdateStmt"],
)
def update_without_where(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    yield from once(ctx.node.where is None and ctx.holds_data(key))


_OTHER_OBJECTS = {
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_TYPE": "type",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_DOMAIN": "domain",
    "OBJECT_EXTENSION": "extension",
}


@rule(
    id="DAT08",
    name="drop-object",
    severity="warning",
    message="Dropping a view, function, type, sequence or extension breaks what still uses it",
    why="""Clients and other database objects may still call the function, select from the view
    or use the type; they fail as soon as the migration commits.""",
    bad="drop function public.order_total(bigint);",
    good="create or replace function public.order_total(bigint) returns bigint "
    "language sql set search_path = '' as $$ select 0::bigint $$;",
    fix="Make sure nothing uses the object any more, then drop it with a suppression that says so.",
    kinds=["DropStmt"],
)
def drop_object(ctx: StatementContext) -> Iterator[Hit]:
    what = _OTHER_OBJECTS.get(ctx.node.get("removeType", ""))
    if what:
        yield Hit(f"Dropping a {what} breaks whatever still uses it")


@rule(
    id="DAT09",
    name="drop-constraint",
    severity="warning",
    message="Dropping a constraint lets invalid data in",
    why="""Constraints guard the data's integrity; once dropped, rows that break the rule can be
    written and are hard to find later.""",
    given="create table public.orders (id bigint primary key, total int "
    "constraint orders_total_check check (total >= 0));",
    bad="alter table public.orders drop constraint orders_total_check;",
    good="alter table public.orders add constraint orders_total_max check (total < 1000000) "
    "not valid;",
    fix="Replace the constraint with the new rule in the same migration, or explain with a "
    "suppression why the rule no longer holds.",
    kinds=["AlterTableStmt"],
)
def drop_constraint(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    if not ctx.holds_data(key):
        return
    for command in alter_commands(ctx.node):
        if command.get("subtype") == "AT_DropConstraint":
            yield Hit()


@rule(
    id="DAT11",
    name="cascade",
    severity="warning",
    message="CASCADE also removes every object that depends on this one, without listing them",
    why="""DROP ... CASCADE and TRUNCATE ... CASCADE silently reach dependent views, foreign keys,
    policies and tables that the author may not know about.""",
    bad="drop view public.order_totals cascade;",
    good="drop view public.order_totals;",
    fix="Drop the dependent objects explicitly first, so the review sees each of them.",
    kinds=["DropStmt", "TruncateStmt"],
)
def cascade(ctx: StatementContext) -> Iterator[Hit]:
    yield from once(ctx.node.get("behavior") == "DROP_CASCADE")
