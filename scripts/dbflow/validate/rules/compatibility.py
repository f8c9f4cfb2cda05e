"""Backward compatibility: changes that break clients still running the previous release."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import (
    added_columns,
    alter_commands,
    qualified,
    qualified_from_names,
    type_name,
)
from dbflow.validate.rules import Hit, StatementContext, flags, once, passes, rule

_GIVEN = "create table public.orders (id bigint primary key, note text);"


@rule(
    id="CMP01",
    name="rename-table",
    severity="warning",
    message="Renaming a table breaks every client and query that uses the old name",
    why="""The application version still running during the deploy, PostgREST clients and views
    written as text all use the old name.""",
    given=_GIVEN,
    bad="alter table public.orders rename to purchases;",
    good="create view public.purchases with (security_invoker = on) as "
    "select * from public.orders;",
    fix="Expand and contract: add the new name (a view or a new table), move clients, then "
    "remove the old one later.",
    kinds=["RenameStmt"],
)
def rename_table(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    yield from once(node.get("renameType") == "OBJECT_TABLE" and ctx.holds_data())


@rule(
    id="CMP02",
    name="rename-column",
    severity="warning",
    message="Renaming a column breaks every client that reads or writes the old name",
    why="Clients of the previous release keep using the old column name until they are updated.",
    given=_GIVEN,
    bad="alter table public.orders rename column note to comment;",
    good="alter table public.orders add column comment text;",
    fix="Add the new column, write both, move readers, then drop the old column later.",
    kinds=["RenameStmt"],
)
def rename_column(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    yield from once(node.get("renameType") == "OBJECT_COLUMN" and ctx.holds_data())


@rule(
    id="CMP04",
    name="set-schema",
    severity="warning",
    message="Moving an object to another schema breaks clients that use its qualified name",
    why="ALTER ... SET SCHEMA changes the object's name for every client and every API path.",
    given=_GIVEN,
    bad="alter table public.orders set schema archive;",
    good="-- leave the table where clients expect it",
    fix="Create the object in its new schema and migrate clients before removing the old one.",
    kinds=["AlterObjectSchemaStmt"],
    cases=[
        passes(
            "alter function public.touch() set schema private;",
            "a trigger function: triggers call it by its identity, no client by its name",
            given="create schema private;\ncreate function public.touch() returns trigger "
            "language plpgsql set search_path = '' as $$ begin return new; end $$;",
        ),
        flags(
            "alter function public.order_count() set schema private;",
            "a function clients may call through the API",
            given="create schema private;\ncreate function public.order_count() returns bigint "
            "language sql set search_path = '' as $$ select 1::bigint $$;",
        ),
        passes(
            "create table public.drafts (id bigint primary key);\n"
            "alter table public.drafts set schema archive;",
            "a table made in this file: no client knows its name yet",
            given="create schema archive;",
        ),
    ],
)
def set_schema(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    kind = node.get("objectType", "")
    if kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE"):
        key = qualified_from_names(node.get("object", {}).get("ObjectWithArgs", {}).get("objname"))
        function = ctx.model.functions.get(key)
        if function is not None and function.returns in ("trigger", "event_trigger"):
            return  # only triggers call it, and they hold it by its identity, not its name
        subject: tuple[str, ...] = ("function", *key)
    elif kind in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"):
        key = qualified(node.get("relation"))
        subject = ("table" if kind == "OBJECT_TABLE" else "view", *key)
    else:
        yield Hit()
        return
    if not ctx.new_in_file(subject):  # made in this file: no client knows its name yet
        yield Hit()


@rule(
    id="CMP05",
    name="add-required-column",
    severity="error",
    message="Adding a NOT NULL column without a default fails on a table that has rows",
    why="""Every existing row would get NULL, which the constraint forbids: the migration fails in
    production even though it passed on an empty local database. Inserts from the previous
    release fail too.""",
    given=_GIVEN,
    bad="alter table public.orders add column status text not null;",
    good="alter table public.orders add column status text not null default 'open';",
    fix="Give the column a default, or add it nullable, backfill, then SET NOT NULL.",
    kinds=["AlterTableStmt"],
)
def add_required_column(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.holds_data():
        return
    for column in added_columns(ctx.node):
        kinds = {
            item.get("Constraint", {}).get("contype")
            for item in column.get("constraints", []) or []
        }
        has_value = kinds & {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}
        serial = type_name(column.get("typeName")) in ("serial", "bigserial", "smallserial")
        if "CONSTR_NOTNULL" in kinds and not has_value and not serial:
            yield ctx.hit_at(
                column,
                f"Adding NOT NULL column {column.get('colname')} without a default fails on a "
                "table that has rows",
            )


@rule(
    id="CMP06",
    name="drop-not-null",
    severity="info",
    message="DROP NOT NULL lets clients that assume a value meet NULLs",
    why="Code written for the previous release may not handle NULL in this column.",
    given="create table public.orders (id bigint primary key, note text not null);",
    bad="alter table public.orders alter column note drop not null;",
    good="alter table public.orders alter column note set default '';",
    fix="Make sure every reader handles NULL before dropping the constraint.",
    kinds=["AlterTableStmt"],
)
def drop_not_null(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.holds_data():
        return
    for command in alter_commands(ctx.node):
        if command.get("subtype") == "AT_DropNotNull":
            yield Hit()


@rule(
    id="CMP08",
    name="json-column",
    severity="warning",
    message="The json type stores text and cannot be indexed or compared: use jsonb",
    why="""json keeps the raw text (re-parsed on every access), has no equality operator (so
    DISTINCT and UNION fail) and no GIN index support.""",
    bad="create table public.events (id bigint primary key, payload json);",
    good="create table public.events (id bigint primary key, payload jsonb);",
    fix="Use jsonb.",
    kinds=["CreateStmt", "AlterTableStmt"],
    cases=[
        passes(
            "create table if not exists public.events (id bigint primary key, payload json);",
            "CREATE TABLE IF NOT EXISTS of a table the history has creates none of its columns",
            given="create table public.events (id bigint primary key, payload jsonb);",
        ),
        flags(
            "alter table public.events add column if not exists meta json;",
            "ADD COLUMN IF NOT EXISTS of a column the table does not have",
            given="create table public.events (id bigint primary key, payload jsonb);",
        ),
        passes(
            "alter table public.events add column if not exists payload json;",
            "ADD COLUMN IF NOT EXISTS of a column the table has adds nothing",
            given="create table public.events (id bigint primary key, payload jsonb);",
        ),
    ],
)
def json_column(ctx: StatementContext) -> Iterator[Hit]:
    for column in added_columns(ctx.node):
        if type_name(column.get("typeName")) in ("json", "json[]"):
            yield ctx.hit_at(column, f"Column {column.get('colname')} is json: use jsonb")
