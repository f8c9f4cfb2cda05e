"""Connections to PostgreSQL through psycopg 3, with errors that never carry a password."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from dbflow.errors import EngineError
from dbflow.redact import redact_text, redact_url
from dbflow.urls import URL_SHAPE, url_problem

Conn = psycopg.Connection[TupleRow]  # a connection whose rows are tuples, as dbflow uses them


def connect(url: str, *, autocommit: bool = False, **options: Any) -> Conn:
    """Open a connection to ``url``; a failure names the (redacted) URL and the server's reason."""
    options.setdefault("connect_timeout", 10)
    problem = url_problem(url)
    if problem:  # checked before libpq sees it: a malformed URL never reaches a name lookup
        raise EngineError(
            f"the database URL is not valid ({problem})",
            hint=f"it should look like {URL_SHAPE}, with special characters in the password "
            "percent-encoded",
        )
    try:
        return psycopg.connect(url, autocommit=autocommit, **options)
    except psycopg.OperationalError as exc:
        raise EngineError(
            f"cannot connect to {redact_url(url)}",
            detail=redact_text(str(exc).strip()),
            hint="is the server running? `inv db.start` starts the local one; "
            "`inv db.status` shows where dbflow looks",
        ) from None


def create_database(admin_url: str, name: str, *, template: str | None = None) -> None:
    """Create database ``name`` owned by ``postgres``, optionally cloned from ``template``."""
    statement = sql.SQL("CREATE DATABASE {} OWNER postgres").format(sql.Identifier(name))
    if template:
        statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, ending any session still connected to it."""
    with connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


# Names a database has while replace_database swaps it, so that an interruption at any point
# leaves either the old database or the new one under the real name, and the rest findable.
REPLACEMENT_SUFFIX = "_dbflow_new"
REPLACED_SUFFIX = "_dbflow_old"
_SWAP_ATTEMPTS = 5


def replace_database(
    admin_url: str,
    name: str,
    template: str,
    prepare: Callable[[str], None] = lambda _: None,
) -> None:
    """Make ``name`` a fresh clone of ``template``: the clone is built under another name,
    ``prepare``d, then swapped in with two renames in one transaction, so that an interruption
    (a crash of the server included) never leaves the cluster without a database ``name``."""
    new, old = name + REPLACEMENT_SUFFIX, name + REPLACED_SUFFIX
    drop_database(admin_url, new)
    drop_database(admin_url, old)
    create_database(admin_url, new, template=template)
    prepare(new)
    for attempt in range(_SWAP_ATTEMPTS):
        try:
            with connect(admin_url, autocommit=True) as conn, conn.transaction():
                if _exists(conn, name):
                    conn.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()",
                        (name,),
                    )
                    conn.execute(_rename(name, old))
                conn.execute(_rename(new, name))
            break
        except psycopg.errors.ObjectInUse:  # a client reconnected between terminate and rename
            if attempt == _SWAP_ATTEMPTS - 1:
                raise
            time.sleep(0.2)
    drop_database(admin_url, old)


def recover_database(admin_url: str, name: str) -> str | None:
    """Give the cluster its database ``name`` back if an interrupted replace_database (or a
    person) left it without one; say what was done, or None when nothing was missing."""
    with connect(admin_url, autocommit=True) as conn:
        if _exists(conn, name):
            return None
        for leftover, what in (
            (name + REPLACEMENT_SUFFIX, "the clone an interrupted reset had finished"),
            (name + REPLACED_SUFFIX, "the copy an interrupted reset had set aside"),
        ):
            if _exists(conn, leftover):
                conn.execute(_rename(leftover, name))
                return f"the database {name} was missing: restored {what}"
        owner = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'postgres'").fetchone()
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            statement = sql.SQL("{} OWNER postgres").format(statement)
        conn.execute(statement)
    return f"the database {name} was missing: created it again (inv db.reset rebuilds its schema)"


def _exists(conn: Conn, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    )


def _rename(old: str, new: str) -> sql.Composed:
    return sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
        sql.Identifier(old), sql.Identifier(new)
    )


def database_exists(admin_url: str, name: str) -> bool:
    with connect(admin_url, autocommit=True) as conn:
        return _exists(conn, name)
