"""Supabase security, functions: SECURITY DEFINER and a search_path that callers can change."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.sql.tree import (
    Node,
    defelems,
    qualified_from_names,
    string_value,
)
from dbflow.validate.rules import Hit, StatementContext, once, rule


def _function_facts(node: Node) -> tuple[bool, bool]:
    options = defelems(node.get("options"))
    definer = string_value(options.get("security")) == "true"
    search_path = any(
        option.get("DefElem", {}).get("defname") == "set"
        and option["DefElem"].get("arg", {}).get("VariableSetStmt", {}).get("name") == "search_path"
        for option in node.get("options", []) or []
    )
    return definer, search_path


@rule(
    id="SEC08",
    name="security-definer-without-search-path",
    severity="error",
    message="SECURITY DEFINER function without SET search_path can be hijacked",
    why="""A SECURITY DEFINER function runs with its owner's rights; without a fixed search_path a
    caller can create an object with the same name in a schema earlier on their path and have
    the function run it with those rights.""",
    bad="create function public.is_admin() returns boolean language sql security definer "
    "as $$ select true $$;",
    good="create function public.is_admin() returns boolean language sql security definer "
    "set search_path = '' as $$ select true $$;",
    fix="Add SET search_path = '' and schema-qualify every name in the body.",
    kinds=["CreateFunctionStmt"],
)
def definer_without_search_path(ctx: StatementContext) -> Iterator[Hit]:
    definer, search_path = _function_facts(ctx.node)
    name = ".".join(qualified_from_names(ctx.node.get("funcname")))
    yield from once(
        definer and not search_path, f"SECURITY DEFINER function {name} has no SET search_path"
    )


@rule(
    id="SEC22",
    name="function-search-path-mutable",
    severity="warning",
    message="Function without SET search_path resolves names through the caller's path",
    why="""Names in the body resolve through whatever search_path the caller has, so the function
    can call a different object than the author meant (Supabase's advisor flags this too).""",
    bad="create function public.add_one(i int) returns int language sql as $$ select i + 1 $$;",
    good="create function public.add_one(i int) returns int language sql set search_path = '' "
    "as $$ select i + 1 $$;",
    fix="Add SET search_path = '' (and qualify names), or SET search_path = public.",
    kinds=["CreateFunctionStmt"],
)
def function_search_path_mutable(ctx: StatementContext) -> Iterator[Hit]:
    definer, search_path = _function_facts(ctx.node)
    schema, _ = qualified_from_names(ctx.node.get("funcname"))
    yield from once(not definer and not search_path and schema not in MANAGED_SCHEMAS)
