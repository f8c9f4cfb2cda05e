"""Supabase auth users as a real sign-in needs them, plus their identities.

The password hash is computed once (bcrypt with a fixed salt, so seed-test stays
byte-identical) and reused for every user; empty strings go in the token columns GoTrue
scans, and the generated columns are left alone.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from psycopg.types.json import Jsonb

from dbflow.connection import Conn
from dbflow.seed.aliases import Value
from dbflow.seed.fixtures import PASSWORD
from dbflow.seed.model import TablePlan
from dbflow.seed.people import person
from dbflow.seed.values import EPOCH

INSTANCE_ID = uuid.UUID(int=0)
# bcrypt of PASSWORD with the fixed salt below, for engines whose pgcrypto has no crypt().
_FIXED_SALT = "$2a$06$dbflowdbflowdbflowdbfl"
_PRECOMPUTED_HASH = "$2a$06$dbflowdbflowdbflowdbfenb9t077hTtz1WiZ03uOisOPaRlebVeC"

_EMPTY_TOKENS = (
    "confirmation_token",
    "recovery_token",
    "email_change_token_new",
    "email_change",
    "email_change_token_current",
    "reauthentication_token",
    "phone_change",
    "phone_change_token",
)  # fmt: skip  (a word list, several to a line)
_NULLS = (
    "invited_at",
    "confirmation_sent_at",
    "recovery_sent_at",
    "email_change_sent_at",
    "phone",
    "phone_confirmed_at",
    "phone_change_sent_at",
    "banned_until",
    "reauthentication_sent_at",
    "deleted_at",
    "is_super_admin",
)  # fmt: skip  (a word list, several to a line)


def password_hash(conn: Conn) -> str:
    """bcrypt of the seed password, computed once by the server when it can."""
    available = conn.execute("SELECT to_regproc('extensions.crypt') IS NOT NULL").fetchone()
    if available and available[0]:
        row = conn.execute("SELECT extensions.crypt(%s, %s)", (PASSWORD, _FIXED_SALT)).fetchone()
        if row:
            return str(row[0])
    return _PRECOMPUTED_HASH


def shape_auth_users(plan: TablePlan, hashed: str, seed: int) -> None:
    """Replace the generic producers of auth.users with what GoTrue expects; each user is one
    person (``seed.people``), whose e-mail and metadata every profile row repeats."""

    def email(row: int, h: int) -> str:
        return person(seed, "auth.users", row).email

    def metadata(row: int, h: int) -> Jsonb:
        who = person(seed, "auth.users", row)
        return Jsonb(
            {
                "full_name": who.full_name,
                "name": who.full_name,
                "user_name": who.username,
                "avatar_url": who.avatar_url,
                "email_verified": True,
            }
        )

    def created(row: int, h: int) -> dt.datetime:
        return EPOCH - dt.timedelta(days=400) + dt.timedelta(minutes=row)

    constants: dict[str, Value] = {
        "instance_id": INSTANCE_ID,
        "aud": "authenticated",
        "role": "authenticated",
        "encrypted_password": hashed,
        "raw_app_meta_data": Jsonb({"provider": "email", "providers": ["email"]}),
        "is_sso_user": False,
        "is_anonymous": False,
        "email_change_confirm_status": 0,
    }
    constants.update({name: "" for name in _EMPTY_TOKENS})
    constants.update({name: None for name in _NULLS})
    producers = {
        "email": email,
        "raw_user_meta_data": metadata,
        "created_at": created,
        "updated_at": created,
        "email_confirmed_at": created,
        "last_sign_in_at": lambda row, h: EPOCH - dt.timedelta(hours=h % 2000),
    }
    for column_plan in plan.columns:
        name = column_plan.column.name
        if name in constants:
            column_plan.fixed, column_plan.has_fixed = constants[name], True
        elif name in producers:
            column_plan.producer = producers[name]
            column_plan.distinct = name == "email"  # each user's address carries its number


def add_identities(conn: Conn) -> int:
    """One email identity per seeded user that has none (what GoTrue's sign-in reads)."""
    cursor = conn.execute(
        """
        INSERT INTO auth.identities
            (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at,
             updated_at)
        SELECT md5(u.id::text || ':identity')::uuid, u.id::text, u.id,
               jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true,
                                  'phone_verified', false),
               'email', u.last_sign_in_at, u.created_at, u.updated_at
        FROM auth.users u
        WHERE NOT EXISTS (SELECT FROM auth.identities i WHERE i.user_id = u.id)
        """
    )
    return cursor.rowcount


def act_as_first_user(conn: Conn, user_id: Value) -> None:
    """Until the seed's transaction ends, ``auth.uid()`` is the first seeded user (the admin
    fixture), as when a signed-in user writes: triggers that stamp ``created_by =
    auth.uid()`` or refuse anonymous writes see a real user."""
    claims = json.dumps({"sub": str(user_id), "role": "authenticated"})
    conn.execute(
        "SELECT set_config('request.jwt.claims', %s, true), "
        "set_config('request.jwt.claim.sub', %s, true), "
        "set_config('request.jwt.claim.role', 'authenticated', true)",
        (claims, str(user_id)),
    )
