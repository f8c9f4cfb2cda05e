"""Supabase security, exposure through the API: views that bypass row level security or
show auth.users, materialized views, and write grants to the anon role."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import Node, qualified, walk
from dbflow.validate.rules import HistoryContext, Hit, StatementContext, passes, rule


@rule(
    id="SEC05",
    name="view-without-security-invoker",
    severity="error",
    message="View in an exposed schema runs as its owner: it bypasses the RLS of its tables",
    why="""A view runs with its owner's rights (postgres, which bypasses RLS), so a view over a
    protected table hands every row to anyone with the anon key. PostgreSQL 15+ lets the view run
    as the caller with security_invoker. Judged at the end of the history, so a later
    ALTER VIEW ... SET (security_invoker = on) counts.""",
    bad="create view public.my_notes as select id from public.notes;",
    good="create view public.my_notes with (security_invoker = on) as select id from public.notes;",
    fix="Create the view WITH (security_invoker = on), or move it out of exposed schemas.",
    scope="history",
    cases=[
        passes(
            "create view public.my_notes as select 1 as id;",
            "a later migration sets security_invoker",
            later="alter view public.my_notes set (security_invoker = on);",
        ),
        passes(
            "create view public.my_notes as select 1 as id;",
            "a later migration moves it to a private schema",
            later="create schema private;\nalter view public.my_notes set schema private;",
        ),
    ],
)
def view_without_security_invoker(ctx: HistoryContext) -> Iterator[Hit]:
    for view in ctx.model.views.values():
        schema, name = view.key
        if not view.materialized and not view.security_invoker and schema in ctx.exposed:
            yield Hit(
                f"View {schema}.{name} bypasses RLS: create it with (security_invoker = on)",
                location=view.created,
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
        key = qualified(ctx.node.get("view"))
    else:
        key = qualified(_into(ctx.node).get("rel"))
    if ctx.exposed(key[0]) and _reads_auth_users(ctx.node.get("query", {})):
        yield Hit(subject=("view", *key))


@rule(
    id="SEC07",
    name="materialized-view-in-exposed-schema",
    severity="warning",
    message="Materialized view in an exposed schema: it has no RLS, every row is readable",
    why="""Materialized views cannot have row level security; the API serves all their rows.
    Judged at the end of the history, so a later move to a private schema counts.""",
    bad="create materialized view public.totals as select 1 as total;",
    good="create schema if not exists private;\n"
    "create materialized view private.totals as select 1 as total;",
    fix="Put it in a schema that is not exposed, and serve it through a function if needed.",
    scope="history",
)
def materialized_view_in_exposed_schema(ctx: HistoryContext) -> Iterator[Hit]:
    for view in ctx.model.views.values():
        if view.materialized and view.key[0] in ctx.exposed:
            yield Hit(location=view.created)


@rule(
    id="SEC10",
    name="grant-to-anon",
    severity="warning",
    message="Write access for anon (or PUBLIC) on a table that has no row level security",
    why="""anon is every unauthenticated caller holding the public key; PUBLIC is every role. A
    write grant to them on a table without RLS lets anyone change every row, once the schema is
    exposed. (Supabase grants anon everything on tables in public by default; with RLS on, the
    policies decide, so such grants are not flagged. Tables in the exposed schemas without RLS
    are reported by SEC01.) Judged at the end of the history.""",
    bad="create schema api;\ncreate table api.notes (id bigint primary key);\n"
    "grant insert, update, delete on api.notes to anon;",
    good="create schema api;\ncreate table api.notes (id bigint primary key);\n"
    "alter table api.notes enable row level security;\n"
    "grant insert, update, delete on api.notes to anon;",
    fix="Enable row level security on the table and write policies, or grant to "
    "authenticated or service_role only.",
    scope="history",
    cases=[
        passes(
            "create table public.notes (id bigint primary key);\n"
            "alter table public.notes enable row level security;\n"
            "grant all on table public.notes to anon;",
            "Supabase's default grant on a table with RLS",
        ),
        passes(
            "create schema api;\ncreate table api.notes (id bigint primary key);\n"
            "grant select on api.notes to anon;",
            "read access only",
        ),
    ],
)
def grant_to_anon(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if table.anon_write is None or table.rls_enabled or table.key[0] in ctx.exposed:
            continue
        yield Hit(
            f"anon may write to {table.key[0]}.{table.key[1]}, which has no row level security",
            location=table.anon_write,
        )
