"""The bootstrap itself: idempotent, strict mode, stand-ins announced, missing extensions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbflow.bootstrap.install import BOOTSTRAP_VERSION, bootstrap_status, install_bootstrap
from dbflow.connection import connect
from dbflow.errors import BootstrapError
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.testing.plugin import TemplateDatabases, admin_url_for

Conn = psycopg.Connection[Any]


def test_bootstrap_is_recorded_and_a_second_run_changes_nothing(
    bare_db_url: str, dbflow_databases: TemplateDatabases
) -> None:
    status = bootstrap_status(bare_db_url)
    assert status.installed and status.version == BOOTSTRAP_VERSION and status.strict is False
    assert {"pg_net", "pg_graphql", "supabase_vault", "pgjwt", "pg_cron"} <= set(
        status.standins_available
    )
    assert set(status.standins_installed) == {"pg_graphql", "supabase_vault", "pg_net", "pgsodium"}
    again = install_bootstrap(admin_url_for(dbflow_databases, bare_db_url))
    assert not again.changed
    forced = install_bootstrap(admin_url_for(dbflow_databases, bare_db_url), force=True)
    assert forced.changed


def test_standin_announces_itself_with_a_notice(db: Conn) -> None:
    notices: list[str] = []
    db.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
    db.execute("DROP EXTENSION pg_net")  # installed by the bootstrap, as on the platform
    db.execute("CREATE EXTENSION IF NOT EXISTS pg_net")
    assert any('extension "pg_net" is a dbflow stand-in' in notice for notice in notices)
    request = db.execute(
        "SELECT net.http_post('https://hooks.example.test/x', '{\"a\": 1}'::jsonb)"
    ).fetchone()
    assert request is not None
    queued = db.execute(
        "SELECT method, url FROM net.http_request_queue WHERE id = %s", (request[0],)
    ).fetchone()
    assert queued == ("POST", "https://hooks.example.test/x")


def test_pgjwt_standin_signs_real_hs256_tokens(db: Conn) -> None:
    db.execute("CREATE EXTENSION IF NOT EXISTS pgjwt WITH SCHEMA extensions")
    row = db.execute("SELECT sign('{\"sub\": \"42\"}'::json, 'top-secret')").fetchone()
    assert row is not None
    token: str = row[0]
    header, payload, signature = token.split(".")
    expected = hmac.new(b"top-secret", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert signature == base64.urlsafe_b64encode(expected).decode().rstrip("=")
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == {"sub": "42"}
    verified = db.execute("SELECT valid FROM verify(%s, 'top-secret')", (token,)).fetchone()
    assert verified == (True,)
    assert db.execute("SELECT valid FROM verify(%s, 'wrong')", (token,)).fetchone() == (False,)


def test_missing_extension_fails_before_anything_is_applied(
    tmp_path: Path, bare_db_url: str
) -> None:
    (tmp_path / "20250101000000_notes.sql").write_text("create table public.notes (id int);\n")
    (tmp_path / "20250101000100_vectors.sql").write_text(
        "-- embeddings\n\ncreate extension if not exists no_such_extension;\n"
    )
    with pytest.raises(BootstrapError) as error:
        migrate(bare_db_url, tmp_path, RunOptions())
    message = str(error.value)
    assert "20250101000100_vectors.sql:3" in message
    assert 'extension "no_such_extension" is not available' in message
    with connect(bare_db_url) as conn:
        assert conn.execute("SELECT to_regclass('public.notes')").fetchone() == (None,)


@pytest.fixture
def strict_db_url(bare_db_url: str, dbflow_databases: TemplateDatabases) -> Iterator[str]:
    admin = admin_url_for(dbflow_databases, bare_db_url)
    install_bootstrap(admin, strict=True)
    try:
        yield bare_db_url
    finally:
        # postgres's superuser flag is cluster-wide: give the other tests their cluster back
        install_bootstrap(admin, strict=False)


def test_strict_mode_postgres_is_no_superuser_and_migrations_still_apply(
    strict_db_url: str, dbflow_settings: Any
) -> None:
    status = bootstrap_status(strict_db_url)
    assert status.strict is True and status.postgres_is_superuser is False
    migrate(strict_db_url, dbflow_settings.migrations_dir, RunOptions())
    with connect(strict_db_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_trgm WITH SCHEMA extensions")  # trusted: allowed
        conn.execute("CREATE EXTENSION pg_cron")  # stand-ins are trusted, as on the platform
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="file_fdw"):
            conn.execute("CREATE EXTENSION file_fdw")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "CREATE FUNCTION public.f() RETURNS event_trigger LANGUAGE plpgsql "
                "AS $$ BEGIN END $$; CREATE EVENT TRIGGER t ON ddl_command_end "
                "EXECUTE FUNCTION public.f()"
            )
