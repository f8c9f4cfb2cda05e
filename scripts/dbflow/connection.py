"""Connections to PostgreSQL through psycopg 3, with errors that never carry a password."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from dbflow.errors import EngineError
from dbflow.redact import redact_text, redact_url
from dbflow.urls import URL_SHAPE, url_problem


def connect(url: str, *, autocommit: bool = False, **options: Any) -> psycopg.Connection[Any]:
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


def database_exists(admin_url: str, name: str) -> bool:
    with connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def with_database(url: str, database: str) -> str:
    """``url`` pointing at ``database`` instead (a URL's path is its database)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))
