"""Install the Supabase-compatibility bootstrap into a database, idempotently and versioned.

The SQL lives in ``sql/`` beside this module and runs in file order, in one transaction, as
the cluster's superuser. Roles are cluster-wide, everything else is per database; the
version and mode are recorded in ``_dbflow.bootstrap`` so a second run is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from dbflow.bootstrap.platform import DEFAULT_PLATFORM_MAJOR
from dbflow.connection import Conn, connect
from dbflow.engine.overlay import STANDIN_COMMENT_PREFIX
from dbflow.errors import BootstrapError

BOOTSTRAP_VERSION = 3

# The Supabase stack's well-known local JWT secret, so tokens minted by local tooling verify.
LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"


@dataclass(frozen=True)
class BootstrapStatus:
    """What a database has of the bootstrap, and which stand-ins it offers or uses."""

    installed: bool
    version: int | None
    strict: bool | None
    standins_installed: tuple[str, ...]
    standins_available: tuple[str, ...]
    postgres_is_superuser: bool | None


@dataclass(frozen=True)
class InstallResult:
    changed: bool
    notices: tuple[str, ...]


def install_bootstrap(
    admin_url: str,
    *,
    strict: bool = False,
    force: bool = False,
    platform_major: int = DEFAULT_PLATFORM_MAJOR,
) -> InstallResult:
    """Install or upgrade the bootstrap in the database ``admin_url`` points at, holding what
    the platform's image of ``platform_major`` has before a project's first migration."""
    notices: list[str] = []
    with connect(admin_url, autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: _keep_standin_notice(notices, diag))
        current = _recorded(conn)
        if not force and current == (BOOTSTRAP_VERSION, strict, platform_major):
            return InstallResult(False, ())
        with conn.transaction():
            conn.execute(
                "SELECT set_config('dbflow.strict', %s, true), "
                "set_config('dbflow.platform_major', %s, true)",
                ("on" if strict else "off", str(platform_major)),
            )
            for name, text in _bootstrap_files():
                try:
                    conn.execute(text.encode())
                except psycopg.Error as exc:
                    raise _bootstrap_error(name, exc) from None
            conn.execute(
                "INSERT INTO _dbflow.bootstrap (version, strict, platform_major) "
                "VALUES (%s, %s, %s) ON CONFLICT (singleton) DO UPDATE SET "
                "version = excluded.version, strict = excluded.strict, "
                "platform_major = excluded.platform_major, installed_at = now()",
                (BOOTSTRAP_VERSION, strict, platform_major),
            )
        apply_database_settings(conn)
    return InstallResult(True, tuple(notices))


def apply_database_settings(conn: Conn) -> None:
    """Per-database settings (not copied by CREATE DATABASE ... TEMPLATE): the JWT secret."""
    database = conn.execute("SELECT current_database()").fetchone()
    assert database is not None
    name = sql.Identifier(database[0])
    conn.execute(
        sql.SQL("ALTER DATABASE {} SET app.settings.jwt_secret = {}").format(
            name, sql.Literal(LOCAL_JWT_SECRET)
        )
    )
    conn.execute(sql.SQL("ALTER DATABASE {} SET app.settings.jwt_exp = '3600'").format(name))


def bootstrap_status(url: str) -> BootstrapStatus:
    """Read what the database at ``url`` has (works as any role, and on a real Supabase)."""
    with connect(url, autocommit=True) as conn:
        recorded = _recorded(conn)
        like = STANDIN_COMMENT_PREFIX + "%"
        available = conn.execute(
            "SELECT name, installed_version IS NOT NULL FROM pg_available_extensions "
            "WHERE comment LIKE %s ORDER BY name",
            (like,),
        ).fetchall()
        superuser = conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'"
        ).fetchone()
    return BootstrapStatus(
        installed=recorded is not None,
        version=recorded[0] if recorded else None,
        strict=recorded[1] if recorded else None,
        standins_installed=tuple(name for name, installed in available if installed),
        standins_available=tuple(name for name, _ in available),
        postgres_is_superuser=superuser[0] if superuser else None,
    )


def _recorded(conn: Conn) -> tuple[int, bool, int | None] | None:
    exists = conn.execute("SELECT to_regclass('_dbflow.bootstrap') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("SELECT version, strict FROM _dbflow.bootstrap").fetchone()
    if not row:
        return None
    major = conn.execute(
        "SELECT platform_major FROM _dbflow.bootstrap"
        if _has_major_column(conn)
        else "SELECT NULL::integer"
    ).fetchone()
    return (int(row[0]), bool(row[1]), major[0] if major else None)


def _has_major_column(conn: Conn) -> bool:
    found = conn.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = '_dbflow.bootstrap'::regclass "
        "AND attname = 'platform_major' AND NOT attisdropped"
    ).fetchone()
    return found is not None


def _bootstrap_files() -> list[tuple[str, str]]:
    folder = resources.files("dbflow.bootstrap") / "sql"
    entries = sorted(
        (entry.name, entry) for entry in folder.iterdir() if entry.name.endswith(".sql")
    )
    return [(name, entry.read_text(encoding="utf-8")) for name, entry in entries]


def _bootstrap_error(name: str, exc: psycopg.Error) -> BootstrapError:
    diag = exc.diag
    return BootstrapError(
        f"the Supabase bootstrap failed in {name}: {diag.message_primary or exc}",
        detail=diag.message_detail,
        hint=diag.message_hint,
    )


def _keep_standin_notice(notices: list[str], diag: psycopg.errors.Diagnostic) -> None:
    message = diag.message_primary or ""
    if STANDIN_COMMENT_PREFIX in message:
        notices.append(message)
