"""Facts about the Supabase platform that several parts of dbflow need."""

from __future__ import annotations

# Schemas the platform (or dbflow itself) owns: not the user's to change, seed, diff or type.
MANAGED_SCHEMAS = (
    "auth",
    "storage",
    "realtime",
    "vault",
    "graphql",
    "graphql_public",
    "extensions",
    "supabase_functions",
    "supabase_migrations",
    "net",
    "cron",
    "pgsodium",
    "pgsodium_masks",
    "_realtime",
    "_analytics",
    "_supavisor",
    "pgbouncer",
    "pgtle",
    "_dbflow",
    "information_schema",
)  # fmt: skip  (a word list, several to a line)

# Trigger functions the platform itself has in its schemas. A restore without owners
# (pg_restore --no-owner) gives them to postgres, so their owner alone cannot tell them from
# a function a user made there.
PLATFORM_TRIGGER_FUNCTIONS = ("storage.update_updated_at_column", "supabase_functions.http_request")
