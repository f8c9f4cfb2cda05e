"""What the Supabase platform's images hold, per PostgreSQL major: facts read from the
platform image's published sources (the supabase/postgres repository), recorded here.

- Extension versions: ``nix/ext/version-history.json``, its newest period (dated 2026-07-15,
  PostgreSQL 15.14 and 17.6). Versions are the ones ``CREATE EXTENSION ... VERSION`` takes
  (a release 1.6.4 of pg_cron installs as '1.6').
- Before the first migration: ``migrations/db/init-scripts/`` (the extensions schema with
  uuid-ossp and pgcrypto, auth, storage, realtime, the pg_cron and pg_net event triggers) and
  ``migrations/db/migrations/`` (pg_graphql and graphql_public; pgsodium and supabase_vault,
  pgsodium on 15 only, ``20221207154255_create_pgsodium_and_vault.sql`` against
  ``20221207154255_create_vault.sql``; pg_net and supabase_functions,
  ``20240822021428_enable_webhooks_by_default.sql``; pgbouncer); pg_stat_statements in
  extensions, as a new project lists it.
"""

from __future__ import annotations

from dbflow.config import DEFAULT_PLATFORM_MAJOR

PLATFORM_MAJORS = (15, 17)
__all__ = ["DEFAULT_PLATFORM_MAJOR"]

# extension -> major -> the versions offered there (oldest first; the last is the default)
PLATFORM_EXTENSION_VERSIONS: dict[str, dict[int, tuple[str, ...]]] = {
    "http": {15: ("1.5", "1.6"), 17: ("1.6",)},
    "hypopg": {15: ("1.3.1", "1.4.1"), 17: ("1.4.1",)},
    "index_advisor": {15: ("0.2.0",), 17: ("0.2.0",)},
    "pg_cron": {15: ("1.3", "1.4", "1.5", "1.6"), 17: ("1.6",)},
    "pg_graphql": {
        15: ("1.5.1", "1.5.4", "1.5.6", "1.5.7", "1.5.9", "1.5.11", "1.6.1"),
        17: ("1.5.9", "1.5.11", "1.6.1"),
    },
    "pg_hashids": {15: ("1.2.1", "1.3"), 17: ("1.2.1", "1.3")},
    "pg_jsonschema": {15: ("0.2.0", "0.3.1", "0.3.3"), 17: ("0.3.3",)},
    "pg_net": {
        15: (
            "0.7.1",
            "0.8.0",
            "0.10.0",
            "0.11.0",
            "0.13.0",
            "0.14.0",
            "0.19.5",
            "0.20.0",
            "0.20.3",
            "0.20.4",
        ),
        17: ("0.11.0", "0.13.0", "0.14.0", "0.19.5", "0.20.0", "0.20.3", "0.20.4"),
    },
    "pg_tle": {15: ("1.0.1", "1.0.4", "1.3.0", "1.4.0"), 17: ("1.0.4", "1.3.0", "1.4.0")},
    "pgjwt": {15: ("0.2.0",), 17: ("0.2.0",)},
    "pgmq": {15: ("1.4.4", "1.5.1"), 17: ("1.5.1",)},
    "pgroonga": {15: ("3.0.7", "3.2.5"), 17: ("3.2.5",)},
    "pgsodium": {15: ("3.0.4", "3.1.5", "3.1.6", "3.1.7", "3.1.8"), 17: ("3.1.8",)},
    "postgis": {15: ("3.3.2",), 17: ("3.3.7",)},
    "supabase_vault": {15: ("0.2.8", "0.3.1"), 17: ("0.2.8", "0.3.1")},
    "timescaledb": {15: ("2.9.1", "2.16.1")},
    "vector": {
        15: ("0.4.0", "0.5.1", "0.6.0", "0.6.2", "0.7.0", "0.7.4", "0.8.0", "0.8.2"),
        17: ("0.5.1", "0.6.0", "0.6.2", "0.7.0", "0.7.4", "0.8.0", "0.8.2"),
    },
    "wrappers": {
        15: (
            "0.3.0",
            "0.4.1",
            "0.4.2",
            "0.4.3",
            "0.4.4",
            "0.4.5",
            "0.4.6",
            "0.5.0",
            "0.5.3",
            "0.5.4",
            "0.5.5",
            "0.5.6",
            "0.5.7",
            "0.6.0",
            "0.6.1",
            "0.6.2",
        ),
        17: (
            "0.4.4",
            "0.4.5",
            "0.4.6",
            "0.5.0",
            "0.5.3",
            "0.5.4",
            "0.5.5",
            "0.5.6",
            "0.5.7",
            "0.6.0",
            "0.6.1",
            "0.6.2",
        ),
    },
}

# Schemas a new project has before its first migration, per major.
_COMMON_SCHEMAS = (
    "auth",
    "extensions",
    "graphql",
    "graphql_public",
    "net",
    "pgbouncer",
    "public",
    "realtime",
    "storage",
    "supabase_functions",
    "vault",
)
PLATFORM_SCHEMAS: dict[int, tuple[str, ...]] = {
    15: tuple(sorted((*_COMMON_SCHEMAS, "pgsodium"))),
    17: tuple(sorted(_COMMON_SCHEMAS)),
}

# Extensions installed before the first migration, per major, with their schema.
_COMMON_EXTENSIONS = {
    "pg_graphql": "graphql",
    "pg_net": "extensions",
    "pg_stat_statements": "extensions",
    "pgcrypto": "extensions",
    "plpgsql": "pg_catalog",
    "supabase_vault": "vault",
    "uuid-ossp": "extensions",
}
PLATFORM_EXTENSIONS: dict[int, dict[str, str]] = {
    15: {**_COMMON_EXTENSIONS, "pgsodium": "pgsodium"},
    17: dict(_COMMON_EXTENSIONS),
}

# Roles the image creates (cluster-wide), per major.
_COMMON_ROLES = (
    "anon",
    "authenticated",
    "authenticator",
    "dashboard_user",
    "pgbouncer",
    "postgres",
    "service_role",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_etl_admin",
    "supabase_functions_admin",
    "supabase_read_only_user",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_storage_admin",
    "supabase_superuser",
)
PLATFORM_ROLES: dict[int, tuple[str, ...]] = {
    15: (*_COMMON_ROLES, "pgsodium_keyholder", "pgsodium_keyiduser", "pgsodium_keymaker"),
    17: _COMMON_ROLES,
}

# Event triggers the image installs (the grants that follow CREATE EXTENSION and schemas).
PLATFORM_EVENT_TRIGGERS = (
    "issue_graphql_placeholder",
    "issue_pg_cron_access",
    "issue_pg_graphql_access",
    "issue_pg_net_access",
)


def platform_default_version(extension: str) -> str | None:
    """The newest version the platform offers on any major."""
    offered = PLATFORM_EXTENSION_VERSIONS.get(extension)
    if not offered:
        return None
    return max((versions[-1] for versions in offered.values()), key=version_key)


def platform_versions(extension: str) -> tuple[str, ...]:
    """Every version the platform offers on any major, oldest first."""
    offered = PLATFORM_EXTENSION_VERSIONS.get(extension, {})
    return tuple(sorted({v for versions in offered.values() for v in versions}, key=version_key))


def version_key(version: str) -> tuple[int, ...]:
    """A version's numbers, for comparing '0.20.4' with '0.8.2'."""
    parts = []
    for part in version.replace("-", ".").split("."):
        digits = "".join(char for char in part if char.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


# Where a platform extension comes from for a local PostgreSQL: the Debian package ({major}
# is the server's major; PGDG's repository where Debian has none) and the Homebrew formula.
EXTENSION_PACKAGES: dict[str, tuple[str, str]] = {
    "vector": ("postgresql-{major}-pgvector (PGDG's repository)", "pgvector"),
    "postgis": ("postgresql-{major}-postgis-3", "postgis"),
    "pgroonga": ("postgresql-{major}-pgdg-pgroonga (Groonga's apt repository)", "pgroonga"),
    "pgrouting": ("postgresql-{major}-pgrouting", "pgrouting"),
    "pg_repack": ("postgresql-{major}-repack", "pg_repack"),
    "pg_partman": ("postgresql-{major}-partman", "pg_partman"),
    "pgaudit": ("postgresql-{major}-pgaudit", "pgaudit"),
    "rum": ("postgresql-{major}-rum", "rum"),
    "plv8": ("postgresql-{major}-plv8 (PGDG's repository)", "plv8"),
    "plpgsql_check": ("postgresql-{major}-plpgsql-check", "plpgsql_check"),
    "pgtap": ("postgresql-{major}-pgtap", "pgtap"),
    "pg_stat_monitor": ("postgresql-{major}-pg-stat-monitor (Percona's repository)", ""),
    "wal2json": ("postgresql-{major}-wal2json", "wal2json"),
}


def install_hint(extension: str, major: int) -> str:
    """How to get ``extension`` for a local PostgreSQL ``major``: apt and Homebrew."""
    debian, brew = EXTENSION_PACKAGES.get(
        extension, (f"postgresql-{{major}}-{extension.replace('_', '-')}", "")
    )
    hint = f"apt-get install {debian.format(major=major)}"
    if brew:
        hint += f", or brew install {brew}"
    return hint
