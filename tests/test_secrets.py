"""Passwords, backups and caches: nothing leaks, nothing is left readable, nothing runs."""

from __future__ import annotations

import base64
import json
import os
import pickle
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pyrage
import pytest

from dbflow.connection import connect
from dbflow.engine.pgtools import find_tool
from dbflow.validate.cache_writes import settled
from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

DBFLOW_VALIDATE = str(Path(sys.executable).with_name("dbflow-validate"))
LEAKY = "postgresql://postgres:Leak-77123@x@127.0.0.1:{port}/postgres"

COMMANDS: list[tuple[str, ...]] = [
    ("db.start",),
    ("db.status",),
    ("db.up",),
    ("db.up", "--dry-run"),
    ("db.list",),
    ("db.repair", "20250101000000", "--status", "applied"),
    ("db.reset",),
    ("db.seed-dev",),
    ("db.seed-test",),
    ("db.dump",),
    ("db.restore", "backups/none.dump"),
    ("db.diff",),
    ("db.types",),
]


@pytest.fixture
def project() -> Iterator[Path]:
    with project_dir("dbflow-secrets-", app=True) as root:
        yield root


def test_a_password_with_an_unescaped_at_sign_is_never_shown(project: Path) -> None:
    url = LEAKY.format(port=54322)
    for command in COMMANDS:
        result = run(project, INV, *command, env={"DATABASE_URL": url})
        output = result.stdout + result.stderr
        assert_no_traceback(result)
        assert result.returncode == 1, (command, output)
        assert "Leak" not in output and "77123" not in output, (command, output)
        assert "unescaped '@'" in output, (command, output)
    for target in ("staging", "production"):
        variable = f"{target.upper()}_DATABASE_URL"
        for command in (("db.push", "--target", target), ("db.diff", "--to", target)):
            result = run(project, INV, *command, env={variable: url})
            output = result.stdout + result.stderr
            assert result.returncode == 1, (command, output)
            assert "Leak" not in output and "77123" not in output, (command, output)
            assert f"{variable} is not a valid PostgreSQL URL" in output, (command, output)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backups_are_private_and_a_failed_dump_leaves_nothing(
    project: Path, bare_db_url: str
) -> None:
    env = {"STAGING_DATABASE_URL": bare_db_url}
    written = run(project, INV, "db.dump", "--target", "staging", env=env)
    assert written.returncode == 0, written.stderr
    archive = project / written.stdout.split("wrote ", 1)[1].strip()
    assert _mode(archive) == 0o600
    assert _mode(archive.parent) == 0o700

    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.secret_rows (id int)")
        conn.execute("DROP ROLE IF EXISTS dump_reader")
        conn.execute("CREATE ROLE dump_reader LOGIN PASSWORD 'reader-pw-1'")
    reader = bare_db_url.replace("postgres:postgres@", "dump_reader:reader-pw-1@")
    target = project / "backups" / "denied.dump"
    failed = run(
        project,
        INV,
        "db.dump",
        "--target",
        "staging",
        "--file",
        str(target),
        env={"STAGING_DATABASE_URL": reader},
    )
    assert failed.returncode == 1
    assert "pg_dump failed" in failed.stderr and "permission denied" in failed.stderr
    assert sorted(path.name for path in target.parent.iterdir()) == [archive.name]
    with connect(bare_db_url, autocommit=True) as conn:
        conn.execute("DROP TABLE public.secret_rows")
        conn.execute("DROP ROLE dump_reader")


def test_a_damaged_archive_is_called_damaged(project: Path, bare_db_url: str) -> None:
    env = {"STAGING_DATABASE_URL": bare_db_url}
    good = project / "good.dump"
    assert (
        run(project, INV, "db.dump", "--target", "staging", "--file", str(good), env=env).returncode
        == 0
    )
    damaged = project / "damaged.dump"
    damaged.write_bytes(_crashing_copy(good))
    truncated = project / "truncated.dump"
    truncated.write_bytes(good.read_bytes()[:100])
    for archive in (damaged, truncated):
        result = run(project, INV, "db.restore", str(archive), env={"DATABASE_URL": bare_db_url})
        assert_no_traceback(result)
        assert result.returncode == 1
        assert f"{archive}: the archive is damaged or truncated" in result.stderr, result.stderr


def _crashing_copy(archive: Path) -> bytes:
    """``archive`` with 4 bytes of its table of contents overwritten so that pg_restore dies
    of a signal reading it (the first such offset; the search is deterministic)."""
    tool = find_tool("pg_restore", 0)
    data = archive.read_bytes()
    for offset in range(16, 600):
        candidate = data[:offset] + b"\xff\xff\xff\x7f" + data[offset + 4 :]
        probe = archive.with_name("probe.dump")
        probe.write_bytes(candidate)
        listed = subprocess.run([str(tool), "--list", str(probe)], capture_output=True, check=False)
        probe.unlink()
        if listed.returncode < 0:
            return candidate
    raise AssertionError("no 4-byte change of the archive's header crashes pg_restore")


class _Payload:
    """Unpickling this creates a file: proof that a cache ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_validator_cache_runs_nothing(project: Path) -> None:
    cache = project / ".dbflow" / "cache"
    cache.mkdir(parents=True)
    marker = project / "pwned"
    (cache / "validate.pickle").write_bytes(pickle.dumps(_Payload(marker)))
    first = run(project, DBFLOW_VALIDATE, "--format", "json")
    assert first.returncode == 0, first.stderr
    assert not marker.exists()
    with settled(cache):  # the caches are written after the report, by a detached writer
        pass
    clean = json.loads(first.stdout)["findings"]

    # The last report answers a run where nothing changed; crafted, it is ignored too.
    report = cache / "validate-report.json"
    assert report.is_file()
    report.write_text(json.dumps({"key": 1, "findings": [{"$type": "system"}]}))
    stale = run(project, DBFLOW_VALIDATE, "--format", "json")
    assert stale.returncode == 0 and json.loads(stale.stdout)["findings"] == clean
    with settled(cache):
        report.unlink()  # so that the run reads the model cache below

    document = json.loads((cache / "validate.json").read_text())
    document["model"] = {"$T": "system", "v": [f"touch {marker}"]}
    (cache / "validate.json").write_text(json.dumps(document))
    crafted = run(project, DBFLOW_VALIDATE, "--format", "json")
    assert crafted.returncode == 0
    assert "note: ignored the validator cache" in crafted.stderr
    assert json.loads(crafted.stdout)["findings"] == clean
    assert not marker.exists()

    with settled(cache):
        (cache / "validate.json").write_text("{not json")
        (cache / "validate-report.json").unlink()
    garbage = run(project, DBFLOW_VALIDATE, "--format", "json")
    assert "could not be read" in garbage.stderr
    assert json.loads(garbage.stdout)["findings"] == clean


@contextmanager
def webhook_server(status: int) -> Iterator[tuple[int, list[dict[str, str]]]]:
    """A local webhook answering ``status``: its port and the headers it received."""
    received: list[dict[str, str]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(dict(self.headers))
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port, received
    finally:
        server.shutdown()


def test_a_failed_webhook_shows_its_host_and_never_its_secret(dbflow_databases: Any) -> None:
    """The path and query of a webhook URL are its secret: a failure names the host only,
    and credentials in the URL go as basic authentication, not to the name resolver."""
    with (
        project_dir("dbflow-webhook-", app=True) as root,
        dbflow_databases.clone(dbflow_databases.base_template) as staging,
        webhook_server(404) as (port, _),
        webhook_server(200) as (good_port, received),
    ):
        env = {"STAGING_DATABASE_URL": staging}
        urls = [
            f"http://127.0.0.1:{port}/services/T0/B0/Secret-Path-4417?token=Query-Token-8812",
            "http://127.0.0.1:9/services/T0/B0/Secret-Path-4417?token=Query-Token-8812",
        ]
        for url in urls:
            for command in (
                ("db.push", "--target", "staging", "--dry-run", "--webhook", url),
                ("db.diff", "--from", "migrations", "--to", "staging", "--webhook", url),
            ):
                result = run(root, INV, *command, env=env)
                assert_no_traceback(result)
                output = result.stdout + result.stderr
                assert "webhook to 127.0.0.1:" in output, output
                assert "Secret-Path-4417" not in output and "Query-Token-8812" not in output
        with_user = f"http://hook-user:Pass-Word-5521@127.0.0.1:{good_port}/hook"
        result = run(
            root,
            INV,
            "db.push",
            "--target",
            "staging",
            "--dry-run",
            "--webhook",
            with_user,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert "webhook" not in result.stderr and "Pass-Word-5521" not in result.stdout
        expected = base64.b64encode(b"hook-user:Pass-Word-5521").decode()
        assert received and received[0]["Authorization"] == f"Basic {expected}"


SECRET_SQL = (
    "create role reporting login password 'Hunter-Secret-9931';\n"
    "select vault.create_secret('whsec_live_Secret-4410', 'stripe_webhook');\n"
)


def test_the_validator_and_the_runner_never_print_a_literal_secret() -> None:
    """HYG02 finds a password written in a migration; no output format repeats it, and
    neither does db.up when that statement fails."""
    with project_dir("dbflow-literal-secret-") as root:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (folder / "20250101000000_roles.sql").write_text(SECRET_SQL)
        for output in ("text", "json", "github", "sarif"):
            result = run(root, INV, "db.validate", "--format", output)
            assert result.returncode == 1, result.stdout
            shown = result.stdout + result.stderr
            assert "HYG02" in shown, shown
            assert "Hunter-Secret-9931" not in shown and "Secret-4410" not in shown, output
            assert "'***'" in shown or output in ("github", "sarif")  # these show no SQL
        (folder / "20250101000000_roles.sql").write_text(
            "create role reporting login password 'Hunter-Secret-9931' in role no_such_role;\n"
        )
        failed = run(root, INV, "db.up")
        assert_no_traceback(failed)
        assert failed.returncode == 1 and "no_such_role" in failed.stderr, failed.stderr
        assert "Hunter-Secret-9931" not in failed.stdout + failed.stderr


def test_production_archives_are_encrypted_to_the_admins(dbflow_databases: Any) -> None:
    """A dump of production (and the backup before a production push) is age-encrypted to
    backup_recipients; without recipients it is refused unless --plaintext; db.restore reads
    it only with an identity that is one of them."""
    admin = pyrage.x25519.Identity.generate()
    stranger = pyrage.x25519.Identity.generate()
    with (
        project_dir("dbflow-encrypted-", app=True) as root,
        dbflow_databases.clone(dbflow_databases.base_template) as production,
    ):
        (root / "admin.key").write_text(f"{admin}\n")
        (root / "stranger.key").write_text(f"{stranger}\n")
        with connect(production, autocommit=True) as conn:
            conn.execute("create table public.customers (email text)")
            conn.execute("insert into public.customers values ('ceo@customer-secret.example')")
        env = {"PRODUCTION_DATABASE_URL": production, "DBFLOW_STAGING_SOAK": "0"}
        refused = run(root, INV, "db.dump", "--target", "production", env=env)
        assert_no_traceback(refused)
        assert refused.returncode == 1 and "backup_recipients is not set" in refused.stderr
        assert not (root / "backups").exists()
        schema = run(root, INV, "db.dump", "--target", "production", "--schema-only", env=env)
        assert schema.returncode == 0, schema.stderr  # no rows: nothing to encrypt
        plain = run(root, INV, "db.dump", "--target", "production", "--plaintext",
                    "--file", str(root / "plain.dump"), env=env)  # fmt: skip
        assert plain.returncode == 0, plain.stderr
        pushed = run(root, INV, "db.push", "--target", "production", "--yes", env={
            **env, "DBFLOW_APPROVED_TARGET": "production", "CI": "true"})  # fmt: skip
        assert pushed.returncode == 1 and "backup_recipients is not set" in pushed.stderr
        listed = run(root, INV, "db.list", "--target", "production", "--json", env=env)
        assert '"ok"' not in listed.stdout  # refused before anything was applied

        env["DBFLOW_BACKUP_RECIPIENTS"] = str(admin.to_public())
        dumped = run(root, INV, "db.dump", "--target", "production", env=env)
        assert dumped.returncode == 0, dumped.stderr
        (archive,) = (root / "backups").glob("production-*.dump.age")
        content = archive.read_bytes()
        assert content.startswith(b"age-encryption.org/v1")
        assert b"customer-secret" not in content
        assert oct(archive.stat().st_mode & 0o777) == "0o600"
        local = run(root, INV, "db.restore", str(archive), env=env)
        assert local.returncode == 1 and "is encrypted (age)" in local.stderr, local.stderr
        wrong = run(root, INV, "db.restore", str(archive), "--identity",
                    str(root / "stranger.key"), env=env)  # fmt: skip
        assert wrong.returncode == 1 and "cannot decrypt it" in wrong.stderr, wrong.stderr
        restored = run(root, INV, "db.restore", str(archive), "--identity",
                       str(root / "admin.key"), env=env)  # fmt: skip
        assert restored.returncode == 0, restored.stderr
        status = run(root, INV, "db.status", "--env").stdout.strip().split("=", 1)[1]
        with connect(status) as conn:
            assert conn.execute("select email from public.customers").fetchall() == [
                ("ceo@customer-secret.example",)
            ]
        approved = {**env, "DBFLOW_APPROVED_TARGET": "production", "CI": "true"}
        pushed = run(root, INV, "db.push", "--target", "production", "--yes", env=approved)
        assert pushed.returncode == 0, pushed.stderr
        assert len(list((root / "backups").glob("production-*.dump.age"))) == 2
