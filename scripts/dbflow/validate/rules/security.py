"""Supabase security: what the platform's advisors find in a live database, found in the SQL."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.sql.tree import (
    Node,
    alter_commands,
    defelems,
    names,
    qualified,
    qualified_from_names,
    string_value,
    walk,
)
from dbflow.validate.rules import HistoryContext, Hit, StatementContext, once, rule

# User migrations add triggers and policies in the managed schemas, nothing else.
MANAGED = frozenset(MANAGED_SCHEMAS)

# Extensions whose control file fixes their own schema (CREATE EXTENSION cannot put them in
# public), and the procedural language.
_SELF_PLACED_EXTENSIONS = frozenset(
    {"plpgsql", "pg_graphql", "supabase_vault", "pg_cron", "pgsodium", "pgmq", "pg_net"}
)


@rule(
    id="SEC01",
    name="rls-not-enabled",
    severity="error",
    message="Table in an exposed schema without row level security: anyone with the anon key "
    "can read and write it",
    why="""Tables in schemas exposed through the API (public by default) are reachable with the
    project's public anon key; without RLS every row is readable and writable. Judged at the end
    of the history, so RLS enabled in a later migration counts.""",
    bad="create table public.invoices (id bigint primary key, total int);",
    good="create table public.invoices (id bigint primary key, total int);\n"
    "alter table public.invoices enable row level security;",
    fix="ALTER TABLE ... ENABLE ROW LEVEL SECURITY, then add policies for who may do what.",
    scope="history",
)
def rls_not_enabled(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if (
            table.created is not None
            and table.key[0] in ctx.options.exposed_schemas
            and not table.rls_enabled
        ):
            yield Hit(
                f"Table {table.key[0]}.{table.key[1]} is exposed through the API and never "
                "gets row level security",
                location=table.created,
            )


@rule(
    id="SEC02",
    name="policy-without-rls",
    severity="error",
    message="Policies on a table whose RLS is off are ignored",
    why="""A policy does nothing until ROW LEVEL SECURITY is enabled on its table: the author
    believes the table is protected while every row is open.""",
    bad="create table public.notes (id bigint primary key, user_id uuid);\n"
    'create policy "notes: own" on public.notes for select to authenticated '
    "using ((select auth.uid()) = user_id);",
    good="create table public.notes (id bigint primary key, user_id uuid);\n"
    "alter table public.notes enable row level security;\n"
    'create policy "notes: own" on public.notes for select to authenticated '
    "using ((select auth.uid()) = user_id);",
    fix="Enable row level security on the table.",
    scope="history",
)
def policy_without_rls(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if table.created is not None and table.policies and not table.rls_enabled:
            first = next(iter(table.policies.values()))
            yield Hit(
                f"Table {table.key[0]}.{table.key[1]} has policies but RLS is not enabled",
                location=first.location,
            )


@rule(
    id="SEC03",
    name="rls-without-policy",
    severity="info",
    message="RLS is enabled but the table has no policy: the API can read nothing",
    why="""With RLS on and no policy, every API request sees zero rows. That is right for a
    server-only table, and a bug otherwise.""",
    bad="create table public.jobs (id bigint primary key);\n"
    "alter table public.jobs enable row level security;",
    good="create table public.jobs (id bigint primary key);\n"
    "alter table public.jobs enable row level security;\n"
    'create policy "jobs: read" on public.jobs for select to authenticated using (true);',
    fix="Add the policies the API needs, or leave a comment that the table is server-only.",
    scope="history",
)
def rls_without_policy(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if (
            table.created is not None
            and table.rls_enabled
            and not table.policies
            and table.key[0] in ctx.options.exposed_schemas
        ):
            yield Hit(
                f"Table {table.key[0]}.{table.key[1]} has RLS enabled and no policy",
                location=table.created,
            )


@rule(
    id="SEC04",
    name="rls-disabled",
    severity="error",
    message="Disabling row level security opens every row of the table to the API",
    why="""DISABLE ROW LEVEL SECURITY (or NO FORCE) on an exposed table makes all its rows
    readable and writable with the anon key at once.""",
    given="create table public.notes (id bigint primary key);\n"
    "alter table public.notes enable row level security;",
    bad="alter table public.notes disable row level security;",
    good="alter table public.notes enable row level security;",
    fix="Keep RLS on; change the policies instead.",
    kinds=["AlterTableStmt"],
)
def rls_disabled(ctx: StatementContext) -> Iterator[Hit]:
    schema, _ = qualified(ctx.node.get("relation"))
    if not ctx.exposed(schema):
        return
    for command in alter_commands(ctx.node):
        subtype = command.get("subtype")
        if subtype in ("AT_DisableRowSecurity", "AT_NoForceRowSecurity"):
            yield Hit()


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
    options = defelems(ctx.node.get("options"))
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
    yield from once(not definer and not search_path and schema not in MANAGED)


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


def _is_true(expression: Node | None) -> bool:
    constant = (expression or {}).get("A_Const", {})
    return "boolval" in constant and bool(constant["boolval"].get("boolval"))


@rule(
    id="SEC11",
    name="permissive-write-policy",
    severity="warning",
    message="A write policy with USING (true) or WITH CHECK (true) lets anyone change any row",
    why="""For INSERT, UPDATE, DELETE or ALL, a condition of true means every caller in the
    policy's roles may write every row.""",
    given="create table public.notes (id bigint primary key, user_id uuid);",
    bad='create policy "notes: write" on public.notes for update to authenticated using (true);',
    good='create policy "notes: write" on public.notes for update to authenticated '
    "using ((select auth.uid()) = user_id);",
    fix="Restrict the policy to the rows the caller owns (e.g. (select auth.uid()) = user_id).",
    kinds=["CreatePolicyStmt"],
)
def permissive_write_policy(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    if node.get("cmd_name", "all") == "select":
        return
    yield from once(_is_true(node.get("qual")) or _is_true(node.get("with_check")))


@rule(
    id="SEC12",
    name="policy-without-role",
    severity="info",
    message="Policy without a TO clause applies to every role, anon included",
    why="""A policy with no TO clause is for PUBLIC: it also grants unauthenticated callers
    whatever it allows, which is rarely what the author meant.""",
    given="create table public.notes (id bigint primary key, user_id uuid);",
    bad='create policy "notes: read" on public.notes for select '
    "using ((select auth.uid()) = user_id);",
    good='create policy "notes: read" on public.notes for select to authenticated '
    "using ((select auth.uid()) = user_id);",
    fix="Name the roles: TO authenticated (or TO anon, authenticated for public data).",
    kinds=["CreatePolicyStmt"],
)
def policy_without_role(ctx: StatementContext) -> Iterator[Hit]:
    roles = ctx.node.get("roles") or []
    public = not roles or any(
        item.get("RoleSpec", {}).get("roletype") == "ROLESPEC_PUBLIC" for item in roles
    )
    yield from once(public)


def _mentions_user_metadata(expression: object) -> bool:
    for kind, body in walk(expression):
        if kind == "ColumnRef" and {"raw_user_meta_data", "user_metadata"} & set(
            names(body.get("fields"))
        ):
            return True
        if kind == "A_Const" and body.get("sval", {}).get("sval") in (
            "user_metadata",
            "raw_user_meta_data",
        ):
            return True
    return False


@rule(
    id="SEC13",
    name="user-metadata-in-policy",
    severity="error",
    message="Policy trusts user_metadata, which every user can change for themselves",
    why="""raw_user_meta_data (user_metadata in the JWT) is editable by the signed-in user through
    the auth API, so a policy that checks it lets users grant themselves access.""",
    given="create table public.reports (id bigint primary key);",
    bad='create policy "reports: admins" on public.reports for select to authenticated '
    "using (((select auth.jwt()) -> 'user_metadata' ->> 'role') = 'admin');",
    good='create policy "reports: admins" on public.reports for select to authenticated '
    "using (((select auth.jwt()) -> 'app_metadata' ->> 'role') = 'admin');",
    fix="Use app_metadata (only the server can set it) or a table of roles.",
    kinds=["CreatePolicyStmt", "AlterPolicyStmt"],
)
def user_metadata_in_policy(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    yield from once(
        _mentions_user_metadata(node.get("qual")) or _mentions_user_metadata(node.get("with_check"))
    )


@rule(
    id="SEC14",
    name="extension-in-public",
    severity="warning",
    message="Extension created without a schema lands in public, exposed through the API",
    why="""CREATE EXTENSION without WITH SCHEMA installs into the first schema on the path
    (public), so its functions and tables become API endpoints.""",
    bad="create extension if not exists pg_trgm;",
    good="create extension if not exists pg_trgm with schema extensions;",
    fix="Add WITH SCHEMA extensions.",
    kinds=["CreateExtensionStmt"],
)
def extension_in_public(ctx: StatementContext) -> Iterator[Hit]:
    name = ctx.node.get("extname", "")
    schema = string_value(defelems(ctx.node.get("options")).get("schema"))
    if name in _SELF_PLACED_EXTENSIONS:
        return
    yield from once(
        schema is None or ctx.exposed(schema),
        f"Extension {name} lands in an exposed schema: add WITH SCHEMA extensions",
    )


@rule(
    id="SEC15",
    name="foreign-key-to-auth-non-key",
    severity="error",
    message="Foreign key to a column of auth.users other than id breaks when auth changes it",
    why="""The auth service updates and deletes auth.users rows freely; only id is stable.
    A reference to email (or another column) blocks those changes or goes stale.""",
    bad="create table public.invites (id bigint primary key, "
    "email varchar(255) references auth.users (email));",
    good="create table public.invites (id bigint primary key, "
    "user_id uuid references auth.users (id) on delete cascade);",
    fix="Reference auth.users (id).",
    kinds=["CreateStmt", "AlterTableStmt"],
)
def foreign_key_to_auth_non_key(ctx: StatementContext) -> Iterator[Hit]:
    for kind, body in walk(ctx.node):
        if kind == "Constraint" and body.get("contype") == "CONSTR_FOREIGN":
            target = qualified(body.get("pktable"))
            columns = names(body.get("pk_attrs"))
            if target[0] == "auth" and columns and columns != ["id"]:
                yield Hit()


_MANAGED_KINDS = {
    "CreateStmt": "relation",
    "AlterTableStmt": "relation",
    "IndexStmt": "relation",
    "ViewStmt": "view",
    "RenameStmt": "relation",
    "CreateFunctionStmt": "funcname",
    "DropStmt": "objects",
    "TruncateStmt": "relations",
    "CreateSchemaStmt": "schemaname",
}


def _schemas_touched(ctx: StatementContext) -> set[str]:
    node = ctx.node
    field = _MANAGED_KINDS[ctx.kind]
    value = node.get(field)
    if field == "funcname":
        return {qualified_from_names(value)[0]}
    if field == "schemaname":
        return {value} if isinstance(value, str) else set()
    if field == "objects":
        if node.get("removeType") in ("OBJECT_POLICY", "OBJECT_TRIGGER"):
            return set()
        schemas = set()
        for item in value or []:
            parts = names(item.get("List", {}).get("items")) if "List" in item else []
            if node.get("removeType") == "OBJECT_SCHEMA":
                parts = names([item]) + parts
                schemas.update(parts)
            elif len(parts) >= 2:
                schemas.add(parts[0])
        return schemas
    if field == "relations":
        return {qualified(item)[0] for item in value or []}
    return {qualified(value)[0]} if value else set()


@rule(
    id="SEC20",
    name="managed-schema-change",
    severity="error",
    message="This changes a schema Supabase manages; the platform may overwrite it or break",
    why="""auth, storage, realtime, vault, graphql, extensions and the other platform schemas are
    owned and migrated by Supabase's services. Tables, columns or functions you add or change
    there are not yours to keep (and fail on the hosted platform with "must be owner").
    Triggers on auth.users and policies on storage.objects are the supported extension points
    and are not flagged.""",
    bad="alter table auth.users add column nickname text;",
    good="create table public.profiles (id uuid primary key references auth.users (id) "
    "on delete cascade, nickname text);",
    fix="Keep your objects in your own schemas (public or a private one) and reference the "
    "platform's tables from there.",
    kinds=list(_MANAGED_KINDS),
)
def managed_schema_change(ctx: StatementContext) -> Iterator[Hit]:
    touched = _schemas_touched(ctx) & MANAGED
    if ctx.kind == "AlterTableStmt":
        subtypes = {command.get("subtype") for command in alter_commands(ctx.node)}
        if subtypes <= {"AT_EnableRowSecurity", "AT_ForceRowSecurity"}:
            return
    for schema in sorted(touched):
        yield Hit(f"This changes the Supabase-managed schema {schema}")
