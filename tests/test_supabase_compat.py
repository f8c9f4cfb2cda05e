"""The bootstrap is real: Supabase-style migrations apply and behave as on the platform."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from dbflow.testing import as_anon, as_service_role, as_user, create_auth_user

Conn = psycopg.Connection[Any]


def _profile_ids(conn: Conn) -> set[uuid.UUID]:
    return {row[0] for row in conn.execute("SELECT id FROM public.profiles")}


def test_signup_trigger_creates_the_profile(db: Conn) -> None:
    user = create_auth_user(db, "ada@example.test", metadata={"full_name": "Ada Lovelace"})
    row = db.execute("SELECT email, full_name FROM public.profiles WHERE id = %s", (user,))
    assert row.fetchone() == ("ada@example.test", "Ada Lovelace")


def test_user_sees_only_own_profile_and_anon_sees_none(db: Conn) -> None:
    alice = create_auth_user(db, "alice@example.test")
    bob = create_auth_user(db, "bob@example.test")
    with as_user(db, alice) as conn:
        assert _profile_ids(conn) == {alice}
    with as_user(db, bob) as conn:
        assert _profile_ids(conn) == {bob}
    with as_anon(db) as conn:
        assert _profile_ids(conn) == set()
    with as_service_role(db) as conn:
        assert _profile_ids(conn) >= {alice, bob}
    # the helpers leave the connection as it was
    assert db.execute("SELECT current_user").fetchone() == ("postgres",)


def test_admin_override_reads_every_profile(db: Conn) -> None:
    admin = create_auth_user(db, "admin@example.test")
    member = create_auth_user(db, "member@example.test")
    db.execute("UPDATE public.profiles SET is_platform_admin = true WHERE id = %s", (admin,))
    with as_user(db, admin) as conn:
        assert _profile_ids(conn) >= {admin, member}


def test_user_cannot_promote_themselves(db: Conn) -> None:
    user = create_auth_user(db, "eve@example.test")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(db, user) as conn:
        conn.execute("UPDATE public.profiles SET is_platform_admin = true WHERE id = %s", (user,))


def test_organization_members_see_their_organization_only(db: Conn) -> None:
    owner = create_auth_user(db, "owner@example.test")
    outsider = create_auth_user(db, "outsider@example.test")
    with as_user(db, owner) as conn:
        conn.execute(
            "INSERT INTO public.organizations (name, slug, created_by) VALUES (%s, %s, %s)",
            ("Acme", "acme", owner),
        )
        assert [r[0] for r in conn.execute("SELECT slug FROM public.organizations")] == ["acme"]
        roles = conn.execute("SELECT role::text FROM public.memberships").fetchall()
        assert roles == [("owner",)]
    with as_user(db, outsider) as conn:
        assert conn.execute("SELECT count(*) FROM public.organizations").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM public.memberships").fetchone() == (0,)


def test_skills_public_read_authenticated_write(db: Conn) -> None:
    user = create_auth_user(db, "writer@example.test")
    with as_user(db, user) as conn:
        conn.execute("INSERT INTO public.skills (name, created_by) VALUES ('sql', %s)", (user,))
    with as_anon(db) as conn:
        assert conn.execute("SELECT name FROM public.skills").fetchall() == [("sql",)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_anon(db) as conn:
        conn.execute("INSERT INTO public.skills (name) VALUES ('spam')")


def test_career_profile_checks_hold(db: Conn) -> None:
    user = create_auth_user(db, "dev@example.test")
    with as_user(db, user) as conn:
        conn.execute(
            "INSERT INTO public.user_career_profiles (user_id, skills, work_mode, "
            "preferred_locations, salary_min, salary_max) "
            "VALUES (%s, '{python,sql}', 'hybrid', '[\"Lisbon\"]', 50000, 90000)",
            (user,),
        )
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "UPDATE public.user_career_profiles SET work_mode = 'moon' WHERE user_id = %s", (user,)
        )


def test_storage_folder_policy_lets_users_write_only_their_own_folder(db: Conn) -> None:
    user = create_auth_user(db, "uploader@example.test")
    other = uuid.uuid4()
    insert = "INSERT INTO storage.objects (bucket_id, name, owner_id) VALUES ('avatars', %s, %s)"
    with as_user(db, user) as conn:
        conn.execute(insert, (f"{user}/face.png", str(user)))
        tokens = conn.execute(
            "SELECT path_tokens, storage.filename(name), storage.extension(name) "
            "FROM storage.objects WHERE name = %s",
            (f"{user}/face.png",),
        ).fetchone()
        assert tokens == ([str(user), "face.png"], "face.png", "png")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(db, user) as conn:
        conn.execute(insert, (f"{other}/face.png", str(user)))


def test_realtime_publication_accepts_tables(db: Conn) -> None:
    db.execute("ALTER PUBLICATION supabase_realtime ADD TABLE public.organizations")
    tables = db.execute(
        "SELECT tablename FROM pg_publication_tables WHERE pubname = 'supabase_realtime' "
        "ORDER BY tablename"
    ).fetchall()
    assert tables == [("memberships",), ("organizations",)]


def test_extension_functions_resolve_unqualified(db: Conn) -> None:
    row = db.execute("SELECT uuid_generate_v4(), length(gen_random_bytes(16))").fetchone()
    assert row is not None
    assert isinstance(row[0], uuid.UUID)
    assert row[1] == 16
    schema = db.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pgcrypto'"
    ).fetchone()
    assert schema == ("extensions",)


def test_auth_helpers_read_claims_like_postgrest(db: Conn) -> None:
    user = uuid.uuid4()
    with as_user(db, user, claims={"email": "x@example.test", "app_role": "x"}) as conn:
        row = conn.execute(
            "SELECT auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'app_role', current_user"
        ).fetchone()
    assert row == (user, "authenticated", "x@example.test", "x", "authenticated")
    # legacy per-claim settings win, as on the platform
    with db.transaction():
        db.execute("SELECT set_config('request.jwt.claim.sub', %s, true)", (str(user),))
        assert db.execute("SELECT auth.uid()").fetchone() == (user,)


def test_auth_users_generated_columns(db: Conn) -> None:
    user = create_auth_user(db, "Gen@Example.test")
    row = db.execute(
        "SELECT u.confirmed_at IS NOT NULL, u.is_anonymous, i.email "
        "FROM auth.users u JOIN auth.identities i ON i.user_id = u.id WHERE u.id = %s",
        (user,),
    ).fetchone()
    assert row == (True, False, "gen@example.test")
    with pytest.raises(psycopg.errors.GeneratedAlways):
        db.execute("UPDATE auth.users SET confirmed_at = now() WHERE id = %s", (user,))


def test_platform_roles_have_their_attributes(db: Conn) -> None:
    rows = {
        name: (bypass_rls, can_login)
        for name, bypass_rls, can_login in db.execute(
            "SELECT rolname, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname IN "
            "('anon', 'authenticated', 'service_role', 'authenticator')"
        )
    }
    assert rows == {
        "anon": (False, False),
        "authenticated": (False, False),
        "service_role": (True, False),
        "authenticator": (False, True),
    }
    members = db.execute(
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'authenticator' ORDER BY 1"
    ).fetchall()
    assert members == [("anon",), ("authenticated",), ("service_role",)]


def test_vault_stand_in_round_trips_a_secret(db: Conn) -> None:
    with as_service_role(db) as conn:
        conn.execute("SELECT vault.create_secret('s3cr3t-value', 'api_key', 'test')")
        row = conn.execute(
            "SELECT decrypted_secret FROM vault.decrypted_secrets WHERE name = 'api_key'"
        ).fetchone()
    assert row == ("s3cr3t-value",)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_anon(db) as conn:
        conn.execute("SELECT * FROM vault.decrypted_secrets")


@pytest.mark.parametrize("schema", ["", " with schema extensions", " with schema pg_catalog"])
def test_pg_cron_is_accepted_in_any_schema_as_on_the_platform(
    bare_db_url: str, schema: str
) -> None:
    with psycopg.connect(bare_db_url, autocommit=True) as conn:
        conn.execute(f"create extension if not exists pg_cron{schema}")
        conn.execute("create schema if not exists cron")  # projects often write this after
        job = conn.execute("select cron.schedule('nightly', '0 3 * * *', 'select 1')").fetchone()
        assert job is not None
        rows = conn.execute("select jobname, schedule, active from cron.job").fetchall()
        assert rows == [("nightly", "0 3 * * *", True)]
        assert conn.execute("select cron.unschedule('nightly')").fetchone() == (True,)
