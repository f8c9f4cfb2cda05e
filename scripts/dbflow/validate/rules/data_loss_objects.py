"""Data loss, other objects: dropping schemas, databases, views, functions, types and
extensions, and what CASCADE takes with them. Objects that live on (made again in the same
file, moved, renamed away) and drops that do nothing are not reported."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.parse import Statement
from dbflow.sql.tree import qualified, qualified_from_names
from dbflow.validate.declared import Key
from dbflow.validate.dependents import dependents
from dbflow.validate.effects import dropped_objects
from dbflow.validate.rules import Hit, StatementContext, flags, once, passes, rule

_KINDS = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "view",
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "function",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type",
    "OBJECT_EXTENSION": "extension",
}
# What creates an object of each kind again: a later statement of one of these kinds.
_CREATES = {
    "table": ("CreateStmt",),
    "view": ("ViewStmt", "CreateTableAsStmt"),
    "function": ("CreateFunctionStmt",),
    "type": ("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt", "CreateRangeStmt"),
    "sequence": ("CreateSeqStmt",),
    "extension": ("CreateExtensionStmt",),
}


def _exists(ctx: StatementContext, kind: str, key: Key) -> bool:
    """Whether the history (or the platform) has the object a DROP names."""
    model = ctx.model
    if kind == "table":
        return key in model.tables
    if kind == "view":
        return key in model.views
    if kind == "function":
        return key in model.functions
    if kind == "type":
        return key in model.types
    if kind == "sequence":
        return key in model.sequences
    return key[1] in model.extensions


def _created_name(statement: Statement) -> Key | None:
    """The (schema, name) a CREATE statement makes."""
    node = statement.node
    if statement.kind in ("CreateStmt", "CreateSeqStmt"):
        return qualified(node.get("relation") or node.get("sequence"))
    if statement.kind == "ViewStmt":
        return qualified(node.get("view"))
    if statement.kind == "CreateTableAsStmt":
        into = node.get("into", {})
        return qualified(into.get("IntoClause", into).get("rel"))
    if statement.kind == "CreateFunctionStmt":
        return qualified_from_names(node.get("funcname"))
    if statement.kind in ("CreateEnumStmt", "CreateRangeStmt"):
        return qualified_from_names(node.get("typeName"))
    if statement.kind == "CreateDomainStmt":
        return qualified_from_names(node.get("domainname"))
    if statement.kind == "CompositeTypeStmt":
        return qualified(node.get("typevar"))
    if statement.kind == "CreateExtensionStmt":
        return ("", node.get("extname", ""))
    return None


def _survives(ctx: StatementContext, kind: str, key: Key) -> bool:
    """True when the object lives on: created in this file (nothing else uses it yet), made
    again later in this file (a function also under another schema: moved), or renamed away
    earlier in this file so that a new one could take its name."""
    if ctx.new_in_file((kind, *key)):
        return True
    if kind == "function" and any(
        other[1] == key[1] and other != key and ctx.new_in_file(("function", *other))
        for other in ctx.model.functions
    ):
        return True  # made under another schema earlier in this file: moved
    for later in ctx.later:
        if later.kind in _CREATES.get(kind, ()):
            made = _created_name(later)
            if made == key or (made is not None and kind in ("function", "extension")
                               and made[1] == key[1]):  # fmt: skip
                return True
    for earlier in ctx.source.statements:
        if earlier.offset >= ctx.statement.offset:
            break
        if earlier.kind == "RenameStmt" and earlier.node.get("newname") == key[1]:
            return True
    return False


def _only_the_database_uses(ctx: StatementContext, kind: str, key: Key) -> bool:
    """True for objects only other database objects can use: a trigger function (only a
    trigger calls it) and a type (columns and signatures use it). The database records those
    uses and refuses a plain DROP while they exist, so nothing breaks silently."""
    if kind == "function":
        function = ctx.model.functions.get(key)
        return function is not None and function.returns == "trigger"
    return kind == "type"


def _dropped(ctx: StatementContext) -> Iterator[tuple[str, Key]]:
    """The objects a DROP really removes: not those IF EXISTS names that the history never
    had, nor those that live on (see :func:`_survives`)."""
    kind = _KINDS.get(ctx.node.get("removeType", ""))
    if kind is None:
        return
    for key, _ in dropped_objects(ctx.node):
        if kind == "extension":
            key = ("", key[1])
        if not _exists(ctx, kind, key) and ctx.node.flag("missing_ok"):
            continue
        if not _survives(ctx, kind, key):
            yield kind, key


@rule(
    id="DAT03",
    name="drop-schema",
    severity="error",
    message="Dropping a schema deletes every object and all the data in it",
    why="""DROP SCHEMA ... CASCADE removes tables, functions and policies it contains in one go.
    (Without CASCADE, PostgreSQL drops only an empty schema.)""",
    bad="drop schema reporting cascade;",
    good="-- move what is still needed elsewhere, then drop objects one by one\n"
    "drop schema if exists reporting;",
    fix="Drop the objects you mean to drop explicitly, each reviewed on its own.",
    kinds=["DropStmt"],
)
def drop_schema(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    cascade = node.get("behavior") == "DROP_CASCADE"
    yield from once(node.get("removeType") == "OBJECT_SCHEMA" and cascade)


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
    id="DAT08",
    name="drop-object",
    severity="warning",
    message="Dropping a view, function, type, sequence or extension breaks what still uses it",
    why="""Clients may still call the function or select from the view, and PL/pgSQL bodies may
    still call the function; they fail as soon as the migration commits. (A trigger function or
    a type is only used by database objects, whose use PostgreSQL records: a plain DROP is
    refused while they exist; what DROP ... CASCADE takes with them is reported by DAT11.)""",
    bad="drop function public.order_total(bigint);",
    good="create or replace function public.order_total(bigint) returns bigint "
    "language sql set search_path = '' as $$ select 0::bigint $$;",
    fix="Make sure nothing uses the object any more, then drop it with a suppression that says so.",
    kinds=["DropStmt"],
    cases=[
        passes(
            "drop function if exists public.order_total(bigint);",
            "IF EXISTS on a function never created",
        ),
        passes(
            "drop function public.order_total(bigint);\n"
            "create function public.order_total(bigint) returns bigint language sql "
            "set search_path = '' as $$ select 1::bigint $$;",
            "dropped and created again in the same file",
            given="create function public.order_total(bigint) returns bigint language sql "
            "set search_path = '' as $$ select 0::bigint $$;",
        ),
        passes(
            "create function private.touch() returns trigger language plpgsql "
            "set search_path = '' as $$ begin return new; end $$;\n"
            "drop function public.touch();",
            "a function moved to another schema",
            given="create schema private;\ncreate function public.touch() returns trigger "
            "language plpgsql set search_path = '' as $$ begin return new; end $$;",
        ),
        passes(
            "drop function public.touch();",
            "a trigger function: PostgreSQL refuses the drop while a trigger uses it",
            given="create function public.touch() returns trigger language plpgsql "
            "set search_path = '' as $$ begin return new; end $$;",
        ),
        passes(
            "drop function public.touch() cascade;",
            "a trigger function with CASCADE: what it takes along is DAT11's finding",
            given="create function public.touch() returns trigger language plpgsql "
            "set search_path = '' as $$ begin return new; end $$;",
        ),
        passes(
            "alter type public.status rename to status_old;\n"
            "create type public.status as enum ('open', 'closed', 'archived');\n"
            "drop type public.status_old;",
            "a type renamed away, made again, then the old one dropped",
            given="create type public.status as enum ('open', 'closed');",
        ),
        flags(
            "drop view public.order_totals;",
            "a view an earlier migration made",
            given="create view public.order_totals with (security_invoker = on) as select 1 as n;",
        ),
    ],
)
def drop_object(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.get("removeType") == "OBJECT_TABLE":
        return
    for kind, key in _dropped(ctx):
        if _only_the_database_uses(ctx, kind, key):
            # PostgreSQL refuses a plain drop while anything uses it; what CASCADE takes with
            # it is DAT11's finding
            continue
        name = f"{key[0]}.{key[1]}" if key[0] else key[1]
        yield Hit(f"Dropping {kind} {name} breaks whatever still uses it")


@rule(
    id="DAT11",
    name="cascade",
    severity="warning",
    message="CASCADE also removes every object that depends on this one, without listing them",
    why="""DROP ... CASCADE and TRUNCATE ... CASCADE silently reach dependent views, foreign keys,
    policies, triggers, columns and tables that the author may not know about. The finding
    names what the history has that depends on the object; a CASCADE that reaches nothing is
    a plain drop and is not reported (an extension's or sequence's dependents are not
    modelled: those are always reported).""",
    bad="drop view public.order_totals cascade;",
    good="drop view public.big_totals;\ndrop view public.order_totals;",
    fix="Drop the dependent objects explicitly first, so the review sees each of them.",
    kinds=["DropStmt", "TruncateStmt"],
    given="create table public.orders (id bigint primary key, total int);\n"
    "create view public.order_totals with (security_invoker = on) as "
    "select sum(total) as total from public.orders;\n"
    "create view public.big_totals with (security_invoker = on) as "
    "select total from public.order_totals where total > 100;",
    cases=[
        passes(
            "drop view if exists public.order_sums cascade;",
            "IF EXISTS on a view never created drops nothing",
        ),
        passes(
            "drop view public.big_totals cascade;",
            "nothing depends on the view: a plain drop",
        ),
        flags(
            "drop table public.orders cascade;",
            "views read the table: CASCADE drops them",
        ),
        passes(
            "drop view public.big_totals, public.order_totals cascade;",
            "the one dependent is dropped by the same statement",
        ),
        flags(
            "truncate public.customers cascade;",
            "a table with a foreign key to it is emptied too",
            given="create table public.customers (id bigint primary key);\n"
            "create table public.orders (id bigint primary key, "
            "customer_id bigint references public.customers (id));",
        ),
        passes(
            "drop function public.touch() cascade;",
            "a function no trigger, policy, default or view uses",
            given="create function public.touch() returns trigger language plpgsql "
            "set search_path = '' as $$ begin return new; end $$;",
        ),
        flags(
            "drop function public.touch() cascade;",
            "a trigger executes the function: CASCADE drops the trigger",
            given="create table public.orders (id bigint primary key);\n"
            "create function public.touch() returns trigger language plpgsql "
            "set search_path = '' as $$ begin return new; end $$;\n"
            "create trigger orders_touch before update on public.orders "
            "for each row execute function public.touch();",
        ),
        flags(
            "drop type public.status cascade;",
            "a column has the type: CASCADE drops the column",
            given="create type public.status as enum ('open', 'closed');\n"
            "create table public.orders (id bigint primary key, status public.status);",
        ),
        passes(
            "drop schema archive cascade;",
            "an empty schema",
            given="create schema archive;",
        ),
    ],
)
def cascade(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.get("behavior") != "DROP_CASCADE":
        return
    if ctx.kind == "TruncateStmt":
        keys = [qualified(item) for item in ctx.node.get("relations") or []]
        reached = sorted({item for key in keys for item in dependents(ctx.model, "table", key)})
        reached = [item for item in reached if not any(_names(item, key) for key in keys)]
        yield from _reaching(reached)
        return
    remove = ctx.node.get("removeType", "")
    kind = "schema" if remove == "OBJECT_SCHEMA" else _KINDS.get(remove)
    if kind is None:
        yield Hit()  # what depends on it is not in the model: say what CASCADE may do
        return
    dropped = [
        key
        for key, parts in dropped_objects(ctx.node)
        if kind == "schema" or _exists(ctx, kind, key) or not ctx.node.flag("missing_ok")
    ]
    if kind == "schema":
        dropped = [("", parts[-1]) for _, parts in dropped_objects(ctx.node)]
    dropped = [key for key in dropped if not ctx.new_in_file((kind, *key))]
    if dropped and kind in ("extension", "sequence"):
        yield Hit()  # what depends on it is not in the model: say what CASCADE may do
        return
    reached = sorted({item for key in dropped for item in dependents(ctx.model, kind, key)})
    reached = [item for item in reached if not any(_names(item, key) for key in dropped)]
    yield from _reaching(reached)


def _names(item: str, key: Key) -> bool:
    """True when a dependent ("view public.v", "foreign key x of public.t") is the object
    ``key`` itself, dropped by the same statement."""
    return item.endswith(f" {key[0]}.{key[1]}")


def _reaching(reached: list[str]) -> Iterator[Hit]:
    if reached:
        more = f" and {len(reached) - 3} more" if len(reached) > 3 else ""
        yield Hit(f"CASCADE also drops {', '.join(reached[:3])}{more}")
