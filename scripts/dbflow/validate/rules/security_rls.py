"""Supabase security, row level security: tables exposed without it, policies that cannot
work, policies that let anyone write or trust what users can edit."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import (
    Node,
    alter_commands,
    is_true,
    names,
    qualified,
    walk,
)
from dbflow.validate.declared import BYPASS_RLS
from dbflow.validate.rules import (
    HistoryContext,
    Hit,
    StatementContext,
    flags,
    informs,
    passes,
    rule,
    warns,
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
    cases=[
        warns(
            "create table public.notes (id bigint primary key);\n"
            'create policy "notes: read" on public.notes for select using (true);',
            "every policy is USING (true): what it allows is what the table gives: a warning",
        ),
    ],
)
def policy_without_rls(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if table.created is not None and table.policies and not table.rls_enabled:
            first = next(iter(table.policies.values()))
            name = f"{table.key[0]}.{table.key[1]}"
            if all(policy.unrestricted for policy in table.policies.values()):
                yield Hit(
                    f"Table {name} has policies but RLS is not enabled; each policy is USING "
                    "(true), so they would open every row anyway: enable RLS, or drop them",
                    location=first.location,
                    severity="warning",
                )
                continue
            yield Hit(f"Table {name} has policies but RLS is not enabled", location=first.location)


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
    cases=[
        passes(
            "create table public.drafts (id bigint primary key);\n"
            "alter table public.drafts enable row level security;\n"
            "alter table public.drafts disable row level security;",
            "a table this file created: SEC01 judges its RLS at the end",
        ),
        warns(
            'create policy "notes: all" on public.notes for all using (true) with check (true);\n'
            "alter table public.notes disable row level security;",
            "every policy was USING (true): a warning, not an error",
        ),
    ],
)
def rls_disabled(ctx: StatementContext) -> Iterator[Hit]:
    schema, _ = ctx.relation
    table = ctx.table(ctx.relation)
    if not ctx.exposed(schema) or not ctx.holds_data():
        return  # a table this file created: SEC01 judges its RLS at the end of the history
    policies = list(table.policies.values()) if table else []
    open_anyway = bool(policies) and all(policy.unrestricted for policy in policies)
    for command in alter_commands(ctx.node):
        subtype = command.get("subtype")
        if subtype == "AT_NoForceRowSecurity":
            yield Hit(
                "NO FORCE ROW LEVEL SECURITY lets the table's owner past its policies",
                severity="warning",
            )
        elif subtype == "AT_DisableRowSecurity" and open_anyway:
            yield Hit(
                "Disabling row level security on a table whose every policy is USING (true): "
                "rows were open to the policies' roles already, and now to every role",
                severity="warning",
            )
        elif subtype == "AT_DisableRowSecurity":
            yield Hit()


@rule(
    id="SEC11",
    name="permissive-write-policy",
    severity="warning",
    message="A write policy with USING (true) or WITH CHECK (true) lets anyone change any row",
    why="""For UPDATE, DELETE or ALL, a condition of true means every caller in the policy's
    roles may change or delete every row (or, with WITH CHECK (true), move rows it may change
    to any values). An INSERT policy WITH CHECK (true) only lets them add rows, which a sign-up
    or a contact form may intend: that is reported as info.""",
    given="create table public.notes (id bigint primary key, user_id uuid);",
    bad='create policy "notes: write" on public.notes for update to authenticated using (true);',
    good='create policy "notes: write" on public.notes for update to authenticated '
    "using ((select auth.uid()) = user_id);",
    fix="Restrict the policy to the rows the caller owns (e.g. (select auth.uid()) = user_id).",
    kinds=["CreatePolicyStmt", "AlterPolicyStmt"],
    cases=[
        informs(
            'create policy "notes: add" on public.notes for insert to authenticated '
            "with check (true);",
            "an INSERT policy WITH CHECK (true) only adds rows: info",
        ),
        passes(
            'create policy "notes: server" on public.notes for all to service_role '
            "using (true) with check (true);",
            "service_role bypasses RLS: the policy opens nothing",
        ),
        informs(
            'create policy "notes: edit" on public.notes for update to authenticated '
            "with check (true);",
            "UPDATE with only WITH CHECK (true): without USING it opens no row",
        ),
        flags(
            'create policy "notes: edit" on public.notes for update to authenticated '
            "using (true) with check ((select auth.uid()) = user_id);",
            "USING (true) lets every caller change every row",
        ),
        passes(
            'create policy "notes: write" on public.notes for update to authenticated '
            "using (true);",
            "a later migration drops the policy",
            later='drop policy "notes: write" on public.notes;',
        ),
    ],
)
def permissive_write_policy(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    table = ctx.table(qualified(node.get("table")))
    declared = table.policies.get(ctx.policy[3]) if table else None
    command = node.get("cmd_name") or (declared.command if declared else "all")
    roles = _roles(node) or (set(declared.roles) if declared else {"public"})
    if command == "select" or roles <= BYPASS_RLS:
        return
    who = ", ".join(sorted(roles))
    using, check = node.get("qual"), node.get("with_check")
    if declared is not None and ctx.kind == "AlterPolicyStmt" and not using and not check:
        return  # a rename or new roles: the conditions are judged where they were written
    if command == "insert" and is_true(check):
        yield Hit(
            f"Every caller in {who} may insert rows with any values (WITH CHECK (true)); "
            "right for a sign-up or a contact form, wrong for owned data",
            subject=ctx.policy,
            severity="info",
        )
    elif command in ("update", "all") and not using and is_true(check):
        # Without USING, the policy makes no existing row visible to UPDATE (or DELETE):
        # PostgreSQL combines only the USING conditions of the permissive policies.
        what = "insert rows with any values" if command == "all" else "update no row through it"
        yield Hit(
            f"This {command.upper()} policy has only WITH CHECK (true), no USING: callers in "
            f"{who} may {what} (another policy's USING decides which rows they change)",
            subject=ctx.policy,
            severity="info",
        )
    elif is_true(using) or is_true(check):
        yield Hit(subject=ctx.policy)


def _roles(node: Node) -> set[str]:
    return {
        "public"
        if item.get("RoleSpec", {}).get("roletype") == "ROLESPEC_PUBLIC"
        else item.get("RoleSpec", {}).get("rolename", "")
        for item in node.get("roles") or []
    }


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
    if public:
        yield Hit(subject=ctx.policy)


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
    if "meta" not in ctx.statement.text:
        return  # neither name appears: nothing to read
    node = ctx.node
    if _mentions_user_metadata(node.get("qual")) or _mentions_user_metadata(node.get("with_check")):
        yield Hit(subject=ctx.policy)
