"""Act as an API caller the way PostgREST does: a role, and JWT claims in request.jwt.claims.

Each helper opens a transaction (a savepoint inside one already open), sets the role and the
claims for that transaction only, and clears them on the way out, so the connection is
itself again afterwards. A statement that fails inside the block ends it (rolled back).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg

from dbflow.connection import Conn


@contextmanager
def as_user(
    conn: Conn,
    user_id: uuid.UUID | str,
    claims: Mapping[str, Any] | None = None,
) -> Iterator[Conn]:
    """Run the block as the signed-in user ``user_id`` (role ``authenticated``)."""
    payload = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}
    payload.update(claims or {})
    with _acting_as(conn, "authenticated", payload):
        yield conn


@contextmanager
def as_anon(conn: Conn) -> Iterator[Conn]:
    """Run the block as an unauthenticated caller (role ``anon``)."""
    with _acting_as(conn, "anon", {"role": "anon"}):
        yield conn


@contextmanager
def as_service_role(conn: Conn) -> Iterator[Conn]:
    """Run the block with the service key (role ``service_role``, which bypasses RLS)."""
    with _acting_as(conn, "service_role", {"role": "service_role"}):
        yield conn


@contextmanager
def expect_denied(conn: Conn) -> Iterator[None]:
    """Assert that the block is refused by a privilege or RLS check.

    The block runs in a savepoint, so the connection (and an ``as_user`` block around it)
    stays usable after the refusal.
    """
    try:
        with conn.transaction():
            yield
    except psycopg.errors.InsufficientPrivilege:
        return
    raise AssertionError("expected a permission or row-level security refusal; it was allowed")


def create_auth_user(
    conn: Conn,
    email: str,
    *,
    user_id: uuid.UUID | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> uuid.UUID:
    """Insert a confirmed email user into auth.users (and auth.identities); return its id."""
    user_id = user_id or uuid.uuid4()
    meta = json.dumps(dict(metadata or {}))
    conn.execute(
        """
        INSERT INTO auth.users (
            instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
            confirmation_token, recovery_token, email_change_token_new, email_change,
            raw_app_meta_data, raw_user_meta_data, created_at, updated_at
        ) VALUES (
            '00000000-0000-0000-0000-000000000000', %(id)s, 'authenticated', 'authenticated',
            %(email)s, '', now(), '', '', '', '',
            '{"provider": "email", "providers": ["email"]}', %(meta)s, now(), now()
        )
        """,
        {"id": user_id, "email": email, "meta": meta},
    )
    conn.execute(
        """
        INSERT INTO auth.identities (
            provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at
        ) VALUES (
            %(id)s::text, %(id)s,
            jsonb_build_object('sub', %(id)s::text, 'email', %(email)s::text,
                               'email_verified', true),
            'email', now(), now(), now()
        )
        """,
        {"id": user_id, "email": email},
    )
    return user_id


@contextmanager
def _acting_as(conn: Conn, role: str, claims: Mapping[str, Any]) -> Iterator[None]:
    with conn.transaction():
        conn.execute(
            "SELECT set_config('role', %s, true), set_config('request.jwt.claims', %s, true)",
            (role, json.dumps(claims)),
        )
        yield
        conn.execute("RESET ROLE")
        conn.execute("SELECT set_config('request.jwt.claims', '', true)")
