"""Supabase security, functions: SECURITY DEFINER and a search_path that callers can change."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.sql.parse import parse_expression, parse_script, plpgsql_expressions, plpgsql_queries
from dbflow.sql.tree import (
    Node,
    defelems,
    names,
    qualified_from_names,
    string_value,
    type_name,
    walk,
)
from dbflow.validate.rules import Hit, StatementContext, flags, passes, rule, warns


def _function_facts(node: Node) -> tuple[bool, bool]:
    options = defelems(node.get("options"))
    definer = string_value(options.get("security")) == "true"
    search_path = any(
        option.get("DefElem", {}).get("defname") == "set"
        and option["DefElem"].get("arg", {}).get("VariableSetStmt", {}).get("name") == "search_path"
        for option in node.get("options", []) or []
    )
    return definer, search_path


def _body_trees(ctx: StatementContext) -> list[Node] | None:
    """The parse trees of what the body runs, or None when it cannot be read (another
    language). A BEGIN ATOMIC body is bound when created: nothing resolves later."""
    node = ctx.node
    if node.get("sql_body"):
        return []
    options = defelems(node.get("options"))
    language = string_value(options.get("language"))
    body_arg = options.get("as") or {}
    items = body_arg.get("List", {}).get("items") if isinstance(body_arg, dict) else None
    body = string_value(items[0]) if items else string_value(body_arg)
    if body is None:
        return None
    if language == "plpgsql":
        return plpgsql_expressions(ctx.statement.text)
    if language == "sql":
        return [{statement.kind: statement.node} for statement in parse_script(body).statements]
    return None


_WRITES = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")


def unqualified_names(ctx: StatementContext) -> list[str] | None:
    """Names the body resolves through the search path: tables and views without a schema,
    and the history's own functions and types without one (built-in functions, operators and
    types resolve in pg_catalog first and cannot be shadowed). None: the body is unreadable."""
    trees = _body_trees(ctx)
    if trees is None:
        return None
    functions = {key[1] for key in ctx.model.functions}
    types = {key[1] for key in ctx.model.types}
    transition = _transition_tables(ctx)
    found: list[str] = []
    for tree in trees:
        nodes = list(walk(tree))
        ctes = {body.get("ctename") for kind, body in nodes if kind == "CommonTableExpr"}
        for kind, body in nodes:
            # A FROM item is a RangeVar node; the target of INSERT, UPDATE, DELETE and MERGE
            # is a RangeVar held directly in the statement's "relation".
            relation = body if kind == "RangeVar" else body.get("relation")
            if kind in ("RangeVar", *_WRITES) and isinstance(relation, dict):
                name = relation.get("relname", "")
                read_only = transition if kind == "RangeVar" else set()
                if not relation.get("schemaname") and name not in ctes | read_only:
                    found.append(name)
            elif kind == "FuncCall":
                parts = names(body.get("funcname"))
                if len(parts) == 1 and parts[0] in functions:
                    found.append(f"{parts[0]}()")
            elif kind == "TypeName":
                parts = names(body.get("names"))
                if len(parts) == 1 and parts[0] in types:
                    found.append(parts[0])
    return sorted(set(found))


def _transition_tables(ctx: StatementContext) -> set[str]:
    """Names a trigger function may read as transition tables (REFERENCING NEW TABLE AS x):
    those the file's CREATE TRIGGER statements give, and, in a trigger function, relation
    names the history never created (a transition table is no object a caller can shadow
    that the function was meant to reach)."""
    if type_name(ctx.node.get("returnType")) != "trigger":
        return set()
    found = {
        transition.get("TriggerTransition", {}).get("name", "")
        for statement in ctx.source.statements
        if statement.kind == "CreateTrigStmt"
        for transition in statement.node.get("transitionRels") or []
    }
    known = {key[1] for key in ctx.model.tables} | {key[1] for key in ctx.model.views}
    for tree in _body_trees(ctx) or []:
        for kind, body in walk(tree):
            name = body.get("relname", "")
            if kind == "RangeVar" and not body.get("schemaname") and name not in known:
                found.add(name)
    return found


ADVISOR = "the platform's Security Advisor warns too (function_search_path_mutable, lint 0011)"


def _search_path_hit(ctx: StatementContext, what: str, danger: str) -> Iterator[Hit]:
    key = qualified_from_names(ctx.node.get("funcname"))
    subject = ("function", *key)
    if ctx.node.get("sql_body"):
        yield Hit(
            f"{what} {key[0]}.{key[1]} has no SET search_path: {ADVISOR}; its BEGIN ATOMIC body "
            "is bound when created, so SET search_path = '' only silences the advisor",
            subject=subject,
            severity="warning",
        )
        return
    unqualified = unqualified_names(ctx)
    if unqualified == []:
        yield Hit(
            f"{what} {key[0]}.{key[1]} has no SET search_path: {ADVISOR}; its body names "
            "everything with a schema, so set search_path = '' to keep it that way",
            subject=subject,
            severity="warning",
        )
        return
    named = f" and names {', '.join(unqualified[:3])} without a schema" if unqualified else ""
    yield Hit(
        f"{what} {key[0]}.{key[1]} has no SET search_path{named}: {danger}; {ADVISOR}",
        subject=subject,
    )


@rule(
    id="SEC08",
    name="security-definer-without-search-path",
    severity="error",
    message="SECURITY DEFINER function without SET search_path can be hijacked",
    why="""A SECURITY DEFINER function runs with its owner's rights; without a fixed search_path a
    caller can create an object with the same name in a schema earlier on their path and have
    the function run it with those rights. (A trigger function on auth.users also fails,
    "relation does not exist", under the auth service's search_path.) A body that names every
    table, view and own function with its schema is a warning rather than an error: the
    platform's Security Advisor still warns on it (function_search_path_mutable, lint 0011).
    A trigger function's transition tables (REFERENCING NEW TABLE AS ...) are no schema's
    objects.""",
    bad="create function public.is_admin() returns boolean language sql security definer "
    "as $$ select exists (select 1 from admins where user_id = auth.uid()) $$;",
    good="create function public.is_admin() returns boolean language sql security definer "
    "set search_path = '' as $$ select exists (select 1 from public.admins "
    "where user_id = auth.uid()) $$;",
    fix="Add SET search_path = '' and schema-qualify every name in the body.",
    kinds=["CreateFunctionStmt"],
    cases=[
        passes(
            "create function public.is_admin() returns boolean language sql security definer "
            "as $$ select true $$;",
            "a later migration sets the search_path",
            later="alter function public.is_admin() set search_path = '';",
        ),
        flags(
            "create function public.handle_new_user() returns trigger language plpgsql "
            "security definer as $$ begin insert into profiles (id) values (new.id); "
            "return new; end $$;",
            "a PL/pgSQL body with an unqualified table",
        ),
        flags(
            "create function public.is_admin() returns boolean language sql security definer "
            "as $$ select exists (select 1 from admins) $$;",
            "a later ALTER FUNCTION that leaves search_path alone fixes nothing",
            later="alter function public.is_admin() stable;",
        ),
        warns(
            "create function public.is_admin() returns boolean language sql security definer "
            "as $$ select exists (select 1 from public.admins where user_id = auth.uid()) $$;",
            "a body that qualifies its names: a warning, as the platform's advisor gives",
        ),
        warns(
            "create function public.count_new() returns trigger language plpgsql security "
            "definer as $$ begin insert into public.audit (n) select count(*) from new_rows; "
            "return null; end $$;\n"
            "create trigger orders_audit after insert on public.orders referencing new table as "
            "new_rows for each statement execute function public.count_new();",
            "a transition table is not an unqualified name: a warning, not an error",
            given="create table public.orders (id bigint primary key);\n"
            "create table public.audit (n bigint);",
        ),
    ],
)
def security_definer_without_search_path(ctx: StatementContext) -> Iterator[Hit]:
    definer, search_path = _function_facts(ctx.node)
    if definer and not search_path:
        yield from _search_path_hit(
            ctx, "SECURITY DEFINER function", "a caller's search_path decides what it runs"
        )


@rule(
    id="SEC22",
    name="function-search-path-mutable",
    severity="warning",
    message="Function without SET search_path resolves names through the caller's path",
    why="""Names in the body resolve through whatever search_path the caller has, so the function
    can call a different object than the author meant, or fail. Supabase's Security Advisor
    warns on every such function (function_search_path_mutable, lint 0011), whatever its body
    names, and so does this rule.""",
    bad="create function public.order_count() returns bigint language sql "
    "as $$ select count(*) from orders $$;",
    good="create function public.order_count() returns bigint language sql "
    "set search_path = '' as $$ select count(*) from public.orders $$;",
    fix="Add SET search_path = '' (and qualify names), or SET search_path = public.",
    kinds=["CreateFunctionStmt"],
    cases=[
        flags(
            "create function public.add_one(i int) returns int language sql as $$ select i + 1 $$;",
            "only built-in names: the platform's advisor still warns",
        ),
        flags(
            "create function public.order_count() returns bigint language plpgsql as $$ "
            "begin return (select count(*) from public.orders); end $$;",
            "a PL/pgSQL body that qualifies every name: the advisor still warns",
        ),
        flags(
            "create function public.order_count() returns bigint language sql "
            "begin atomic select count(*) from orders; end;",
            "a BEGIN ATOMIC body is bound when created, but the advisor warns on it",
        ),
        passes(
            "create function public.order_count() returns bigint language sql "
            "set search_path = '' as $$ select count(*) from public.orders $$;",
            "a fixed search_path",
        ),
    ],
)
def function_search_path_mutable(ctx: StatementContext) -> Iterator[Hit]:
    definer, search_path = _function_facts(ctx.node)
    schema, _ = qualified_from_names(ctx.node.get("funcname"))
    if not definer and not search_path and schema not in MANAGED_SCHEMAS:
        yield from _search_path_hit(ctx, "Function", "it resolves them through the caller's path")


# Parameter types whose text could carry SQL; numbers, uuids, dates and booleans cannot.
_TEXT_TYPES = frozenset(
    {"text", "varchar", "bpchar", "char", "name", "citext", "json", "jsonb", "anyelement"}
)  # fmt: skip  (a word list, several to a line)
_QUOTING = frozenset({"quote_ident", "quote_literal", "quote_nullable"})


def _text_parameters(node: Node) -> set[str]:
    found = set()
    for item in node.get("parameters", []) or []:
        parameter = item.get("FunctionParameter", {})
        type_names = names(parameter.get("argType", {}).get("names"))
        mode = parameter.get("mode", "FUNC_PARAM_DEFAULT")
        if mode in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE") or not parameter.get("name"):
            continue
        if type_names and type_names[-1] in _TEXT_TYPES:
            found.add(parameter["name"])
    return found


def _spliced(expression: object, parameters: set[str]) -> list[str]:
    """Parameters an EXECUTE's query expression splices in as raw text: outside
    quote_ident/quote_literal/quote_nullable and outside format() with only %I and %L."""
    found: list[str] = []
    stack = [expression]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
            continue
        if not isinstance(value, dict):
            continue
        call = value.get("FuncCall")
        if call is not None:
            function = names(call.get("funcname"))[-1:]
            args = call.get("args") or []
            template = string_value(args[0]) if args else None
            if function and function[0] in _QUOTING:
                continue
            if function == ["format"] and template is not None and "%s" not in template:
                continue
        fields = names(value.get("ColumnRef", {}).get("fields"))
        if len(fields) == 1 and fields[0] in parameters:
            found.append(fields[0])
        stack.extend(value.values())
    return sorted(set(found))


@rule(
    id="SEC23",
    name="definer-dynamic-sql-from-arguments",
    severity="error",
    message="SECURITY DEFINER function runs SQL built from its text arguments: SQL injection",
    why="""EXECUTE of a string that splices in a text argument runs whatever the caller passes,
    with the function owner's rights (usually postgres, which bypasses RLS). Through the API,
    anyone who can call the function can run their own SQL.""",
    bad="create function public.purge(table_name text) returns void language plpgsql "
    "security definer set search_path = '' as $$ begin "
    "execute 'delete from public.' || table_name; end $$;",
    good="create function public.purge(table_name text) returns void language plpgsql "
    "security definer set search_path = '' as $$ begin "
    "execute format('delete from public.%I', table_name); end $$;",
    fix="""Quote identifiers with format('%I') or quote_ident(), pass values with EXECUTE ...
    USING, or avoid dynamic SQL.""",
    kinds=["CreateFunctionStmt"],
    cases=[
        passes(
            "create function public.find(term text) returns setof public.items language plpgsql "
            "security definer set search_path = '' as $$ begin return query execute "
            "'select * from public.items where name = $1' using term; end $$;",
            "a value passed with USING",
            given="create table public.items (id bigint primary key, name text);",
        ),
        passes(
            "create function public.page(n int) returns void language plpgsql "
            "security definer set search_path = '' as $$ begin "
            "execute 'select 1 limit ' || n; end $$;",
            "an integer argument cannot carry SQL",
        ),
    ],
)
def definer_dynamic_sql_from_arguments(ctx: StatementContext) -> Iterator[Hit]:
    definer, _ = _function_facts(ctx.node)
    parameters = _text_parameters(ctx.node)
    if not definer or not parameters:
        return
    for line, kind, query in plpgsql_queries(ctx.statement.text):
        if kind != "dynamic":
            continue
        spliced = _spliced(parse_expression(query), parameters)
        if spliced:
            yield Hit(
                f"EXECUTE builds SQL from {', '.join(spliced)} in a SECURITY DEFINER function",
                ctx.statement.line + line - 1,
                subject=("function", *qualified_from_names(ctx.node.get("funcname"))),
            )
