"""Supabase security, exposure through the API: views that bypass row level security or
show auth.users, materialized views, and write grants to the anon role."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import (
    Node,
    qualified,
    string_value,
    walk,
)
from dbflow.validate.rules import Hit, StatementContext, once, rule


@rule(
    id="SEC05",
    name="view-without-security-invoker",
    severity="error",
    message="View in an exposed schema runs as its owner: it bypasses the RLS of its tables",
    why="""A view runs with its owner's rights (postgres, which bypasses RLS), so a view over a
    protected table hands every row to anyone with the anon key. PostgreSQL 15+ lets the view run
    as the caller with security_invoker.""",
    bad="create view public.my_notes as select id from public.notes;",
    good="create view public.my_notes with (security_invoker = on) as select id from public.notes;",
    fix="Create the view WITH (security_invoker = on), or move it out of exposed schemas.",
    kinds=["ViewStmt"],
)
def view_without_security_invoker(ctx: StatementContext) -> Iterator[Hit]:
    schema, name = qualified(ctx.node.get("view"))
    if not ctx.exposed(schema):
        return
    options = ctx.node.options
    invoker = string_value(options.get("security_invoker")) in ("on", "true", "1", "yes")
    yield from once(
        not invoker, f"View {schema}.{name} bypasses RLS: create it with (security_invoker = on)"
    )


def _into(node: Node) -> Node:
    into: Node = node.get("into", {})
    clause: Node = into.get("IntoClause", into)
    return clause


def _reads_auth_users(query: Node) -> bool:
    for kind, body in walk(query):
        if kind == "RangeVar" and (body.get("schemaname"), body.get("relname")) == (
            "auth",
            "users",
        ):
            return True
    return False


@rule(
    id="SEC06",
    name="view-exposes-auth-users",
    severity="error",
    message="View in an exposed schema reads auth.users: it leaks users' emails and metadata",
    why="""auth.users holds every user's email, phone and metadata; a view over it in an exposed
    schema publishes them through the API.""",
    bad="create view public.people with (security_invoker = on) as "
    "select id, email from auth.users;",
    good="create view public.people with (security_invoker = on) as "
    "select id, full_name from public.profiles;",
    fix="Expose a profiles table maintained by a trigger instead of auth.users.",
    kinds=["ViewStmt", "CreateTableAsStmt"],
)
def view_exposes_auth_users(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.kind == "ViewStmt":
        schema, _ = qualified(ctx.node.get("view"))
    else:
        schema, _ = qualified(_into(ctx.node).get("rel"))
    yield from once(ctx.exposed(schema) and _reads_auth_users(ctx.node.get("query", {})))


@rule(
    id="SEC07",
    name="materialized-view-in-exposed-schema",
    severity="warning",
    message="Materialized view in an exposed schema: it has no RLS, every row is readable",
    why="Materialized views cannot have row level security; the API serves all their rows.",
    bad="create materialized view public.totals as select 1 as total;",
    good="create schema if not exists private;\n"
    "create materialized view private.totals as select 1 as total;",
    fix="Put it in a schema that is not exposed, and serve it through a function if needed.",
    kinds=["CreateTableAsStmt"],
)
def materialized_view_exposed(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.get("objtype") != "OBJECT_MATVIEW":
        return
    schema, _ = qualified(_into(ctx.node).get("rel"))
    yield from once(ctx.exposed(schema))


_WRITE_PRIVILEGES = {"insert", "update", "delete", "truncate", "all"}


def _grantees(node: Node) -> list[str]:
    result = []
    for item in node.get("grantees", []) or []:
        role = item.get("RoleSpec", {})
        if role.get("roletype") == "ROLESPEC_PUBLIC":
            result.append("public")
        elif role.get("rolename"):
            result.append(role["rolename"])
    return result


@rule(
    id="SEC10",
    name="grant-to-anon",
    severity="warning",
    message="Granting write access (or anything by default) to anon or PUBLIC opens data to "
    "everyone",
    why="""anon is every unauthenticated caller holding the public key; PUBLIC is every role.
    Write grants to them, and default privileges for them, are rarely intended.""",
    bad="grant insert, update, delete on public.notes to anon;",
    good="grant select on public.notes to authenticated;",
    fix="Grant to authenticated (and rely on RLS), or to service_role for server code.",
    kinds=["GrantStmt", "AlterDefaultPrivilegesStmt"],
)
def grant_to_anon(ctx: StatementContext) -> Iterator[Hit]:
    node = (
        ctx.node.get("action", ctx.node) if ctx.kind == "AlterDefaultPrivilegesStmt" else ctx.node
    )
    if not node.get("is_grant"):
        return
    targets = {"anon", "public"} & set(_grantees(node))
    if not targets:
        return
    if ctx.kind == "AlterDefaultPrivilegesStmt":
        yield Hit(f"Default privileges grant future objects to {', '.join(sorted(targets))}")
        return
    privileges = {
        item.get("AccessPriv", {}).get("priv_name", "all") for item in node.get("privileges") or []
    } or {"all"}
    if node.get("objtype", "OBJECT_TABLE") == "OBJECT_TABLE" and privileges & _WRITE_PRIVILEGES:
        yield Hit(f"Write access granted to {', '.join(sorted(targets))}")
