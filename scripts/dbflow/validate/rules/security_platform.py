"""Supabase security, the platform's own schemas: extensions in public, foreign keys into
auth that do not reference a key, and changes to schemas Supabase manages."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.sql.tree import (
    alter_commands,
    names,
    qualified,
    qualified_from_names,
    string_value,
    table_constraints,
)
from dbflow.validate.rules import Hit, StatementContext, flags, passes, rule

# User migrations add triggers and policies in the managed schemas, nothing else.
MANAGED = frozenset(MANAGED_SCHEMAS)

# Extensions whose control file fixes their own schema (CREATE EXTENSION cannot put them in
# public), and the procedural language.
_SELF_PLACED_EXTENSIONS = frozenset(
    {"plpgsql", "pg_graphql", "supabase_vault", "pg_cron", "pgsodium", "pgmq", "pg_net"}
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
    cases=[
        passes(
            'create extension if not exists "uuid-ossp";',
            "the platform installs uuid-ossp: IF NOT EXISTS does nothing",
        ),
        passes(
            "create extension if not exists pg_trgm;",
            "a later migration moves it out of public",
            later="alter extension pg_trgm set schema extensions;",
        ),
    ],
)
def extension_in_public(ctx: StatementContext) -> Iterator[Hit]:
    name = ctx.node.get("extname", "")
    schema = string_value(ctx.node.options.get("schema"))
    if name in _SELF_PLACED_EXTENSIONS:
        return
    if ctx.node.flag("if_not_exists") and name in ctx.model.extensions:
        return  # installed already (by the platform or an earlier migration): a no-op
    if schema is None or ctx.exposed(schema):
        yield Hit(
            f"Extension {name} lands in an exposed schema: add WITH SCHEMA extensions",
            subject=("extension", name),
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
    for body in table_constraints(ctx.node):
        if body.get("contype") == "CONSTR_FOREIGN":
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
    cases=[
        passes(
            "create extension if not exists pg_cron;\ncreate schema if not exists cron;",
            "pg_cron made the cron schema already",
        ),
        passes(
            'CREATE SCHEMA IF NOT EXISTS "supabase_migrations";\n'
            'CREATE TABLE IF NOT EXISTS "supabase_migrations"."schema_migrations" '
            '("version" "text" NOT NULL, "statements" "text"[], "name" "text");\n'
            'ALTER TABLE "supabase_migrations"."schema_migrations" OWNER TO "postgres";',
            "a pg_dump baseline's history table: the CLI made it before the first migration",
        ),
        flags(
            "create table if not exists supabase_migrations.my_log (id bigint primary key);",
            "a table of your own in the history's schema",
        ),
    ],
)
def managed_schema_change(ctx: StatementContext) -> Iterator[Hit]:
    existing = ctx.node.get("schemaname") in ctx.model.schemas
    if ctx.kind == "CreateSchemaStmt" and ctx.node.flag("if_not_exists") and existing:
        return  # the schema is there already (pg_cron made cron, say): a no-op
    touched = _schemas_touched(ctx) & MANAGED
    if ctx.kind == "AlterTableStmt":
        commands = alter_commands(ctx.node)
        subtypes = {command.get("subtype") for command in commands}
        if subtypes <= {"AT_EnableRowSecurity", "AT_ForceRowSecurity"}:
            return
        if ctx.relation[0] == "supabase_migrations" and all(
            command.get("subtype") == "AT_ChangeOwner"
            and command.get("newowner", {}).get("rolename") == "postgres"
            for command in commands
        ):
            return  # a pg_dump baseline's OWNER TO postgres: postgres owns it already
    for schema in sorted(touched):
        yield Hit(f"This changes the Supabase-managed schema {schema}")
