"""dbflow's own PostgreSQL cluster: initdb, start, stop and status, with no stale state.

Layout under the data directory (``.dbflow/`` by default):

- ``pgdata/``   the cluster, owned by the server account, mode 0700; ``server.log`` inside;
- ``run/``      the private socket directory (or a short one under the temp dir when the
                project path is too long for a Unix socket);
- ``engine/``   the extension overlay (see :mod:`dbflow.engine.overlay`);
- ``engine.json`` what was started: kind, version, binaries, port.

The server listens on 127.0.0.1 only and authenticates with scram-sha-256. The cluster's
bootstrap superuser is ``supabase_admin`` as on the hosted platform; ``postgres`` is created by
the bootstrap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.engine.account import ServerAccount, check_can_run, server_account
from dbflow.engine.binaries import Binaries, find_binaries
from dbflow.engine.overlay import Overlay, build_overlay
from dbflow.engine.process import (
    PidFile,
    die_with_parent,
    is_server_of,
    port_in_use,
    read_pid_file,
)
from dbflow.errors import EngineError
from dbflow.urls import tcp_url

LOCAL_PASSWORD = "postgres"  # the Supabase stack's local password, for the same URLs
SUPERUSER = "supabase_admin"
APP_USER = "postgres"
APP_DATABASE = APP_USER  # the database the local URL names: postgres, as on Supabase
MAINTENANCE_DATABASE = "template1"  # where dbflow connects to create, drop and rename databases
_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.NNNNN.lock"
_START_TIMEOUT_S = 60
_CRASH_GRACE_S = 10


@dataclass(frozen=True)
class EngineState:
    """What ``status`` finds: running or not, and what was cleaned on the way."""

    running: bool
    initialized: bool
    pid: int | None = None
    port: int | None = None
    cleaned_stale_pid: int | None = None
    info: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StartOutcome:
    already_running: bool
    initialized_now: bool
    state: EngineState


class LocalEngine:
    """One cluster in one data directory, on one loopback port."""

    def __init__(
        self,
        root: Path,
        port: int,
        *,
        pg_bin_dir: Path | None = None,
        run_as: str | None = None,
        server_settings: Mapping[str, str] | None = None,
    ) -> None:
        self.root = root.resolve()
        self.port = port
        self.pgdata = self.root / "pgdata"
        self.log_file = self.pgdata / "server.log"
        self.state_file = self.root / "engine.json"
        self._pg_bin_dir = pg_bin_dir
        self._run_as = run_as
        self._server_settings = dict(server_settings or {})
        self._binaries: Binaries | None = None
        self._account: ServerAccount | None = None
        self._attached: subprocess.Popen[bytes] | None = None

    # -- public API ---------------------------------------------------------------------

    def url(self, database: str = "postgres", user: str = APP_USER) -> str:
        return tcp_url(user, LOCAL_PASSWORD, "127.0.0.1", self.port, database)

    def admin_url(self, database: str = "postgres") -> str:
        return self.url(database, SUPERUSER)

    @property
    def binaries(self) -> Binaries:
        if self._binaries is None:
            self._binaries = find_binaries(self._pg_bin_dir)
        return self._binaries

    @property
    def account(self) -> ServerAccount:
        if self._account is None:
            self._account = server_account(self._run_as)
        return self._account

    @property
    def socket_dir(self) -> Path:
        own = self.root / "run"
        if len(str(own)) <= _SOCKET_PATH_LIMIT - 25:
            return own
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"dbflow-{digest}"

    def state(self) -> EngineState:
        """Whether the server is up; a stale pid file (crash, kill -9, a reboot, or a pid now
        held by another program or another PostgreSQL) is removed on the way."""
        initialized = (self.pgdata / "PG_VERSION").is_file()
        pid_file = read_pid_file(self.pgdata)
        info = self._read_state_file()
        if pid_file is None:
            return EngineState(False, initialized, info=info)
        if not is_server_of(pid_file.pid, self.pgdata):
            self._remove_stale_files(pid_file)
            return EngineState(False, initialized, cleaned_stale_pid=pid_file.pid, info=info)
        return EngineState(True, initialized, pid_file.pid, pid_file.port, info=info)

    def initialize(self) -> bool:
        """Run initdb if the cluster does not exist yet; return whether it did."""
        if (self.pgdata / "PG_VERSION").is_file():
            return False
        binaries = self.binaries
        account = self.account
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.root.chmod(0o755)  # dbflow's own folder: the server account must traverse it
        if self.pgdata.exists() and any(self.pgdata.iterdir()):
            raise EngineError(
                f"{self.pgdata} exists but holds no cluster",
                hint=f"remove {self.pgdata} (it has no PG_VERSION file) and run again",
            )
        self.pgdata.mkdir(exist_ok=True)
        account.own(self.pgdata)
        check_can_run(account, binaries.tool("initdb"))
        with tempfile.NamedTemporaryFile("w", dir=self.root, delete=False) as handle:
            handle.write(LOCAL_PASSWORD + "\n")
            password_file = Path(handle.name)
        try:
            account.own(password_file, 0o600)
            self._run_as_server(
                [
                    str(binaries.tool("initdb")),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                what="initdb",
            )
        finally:
            password_file.unlink(missing_ok=True)
        return True

    def start(self, *, attach: bool = False) -> StartOutcome:
        """Start the server (initdb first if needed); a no-op if it is already up.

        ``attach`` runs ``postgres`` as a child that dies with this process (for test runs);
        otherwise ``pg_ctl`` starts a server that outlives the command (``inv db.start``).
        """
        current = self.state()
        if current.running:
            return StartOutcome(True, False, current)
        initialized_now = self.initialize()
        self._check_port_free()
        overlay = build_overlay(self.binaries, self.root / "engine")
        check_can_run(self.account, overlay.postgres)
        # the server writes here the extensions that pg_tle (its stand-in) installs
        self.account.own(overlay.extension_dir, 0o755)
        socket_dir = self.socket_dir
        socket_dir.mkdir(parents=True, exist_ok=True)
        self.account.own(socket_dir)
        options = self._server_options(socket_dir)
        deadline = time.monotonic() + (_CRASH_GRACE_S if current.cleaned_stale_pid else 0)
        while True:
            try:
                if attach:
                    self._start_attached(overlay, options)
                else:
                    self._start_with_pg_ctl(overlay, options)
                break
            except EngineError:
                # After a crash the old server's backends may hold its shared memory for a
                # moment; they exit on their own once they notice the postmaster is gone.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self._write_state_file(overlay)
        state = self.state()
        if not state.running:
            raise EngineError(
                f"PostgreSQL did not stay up on port {self.port}",
                detail=self._log_tail(),
                hint=f"see {self.log_file}",
            )
        return StartOutcome(False, initialized_now, state)

    def stop(self) -> bool:
        """Stop the server (fast shutdown); return False if it was not running."""
        current = self.state()
        if not current.running:
            return False
        if self._attached is not None:
            self._attached.send_signal(signal.SIGINT)
            self._attached.wait(timeout=_START_TIMEOUT_S)
            self._attached = None
            return True
        self._run_as_server(
            [
                str(self.binaries.tool("pg_ctl")),
                "stop",
                "-D",
                str(self.pgdata),
                "-m",
                "fast",
                "-w",
                "-t",
                str(_START_TIMEOUT_S),
            ],
            what="pg_ctl stop",
        )
        return True

    # -- internals ----------------------------------------------------------------------

    def _server_options(self, socket_dir: Path) -> list[str]:
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(socket_dir),
            "unix_socket_permissions": "0700",
            "wal_level": "logical",
        }
        if (self.binaries.pkglib_dir / "pg_stat_statements.so").is_file():
            settings["shared_preload_libraries"] = "pg_stat_statements"
        settings.update(self._server_settings)
        options: list[str] = []
        for key, value in settings.items():
            options += ["-c", f"{key}={value}"]
        return options

    def _start_with_pg_ctl(self, overlay: Overlay, options: list[str]) -> None:
        self._run_as_server(
            [
                str(self.binaries.tool("pg_ctl")),
                "start",
                "-w",
                "-t",
                str(_START_TIMEOUT_S),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.log_file),
                "-p",
                str(overlay.postgres),
                "-o",
                shlex.join(options),
            ],
            what="pg_ctl start",
        )

    def _start_attached(self, overlay: Overlay, options: list[str]) -> None:
        log = self.log_file.open("ab")
        account = self.account
        if os.geteuid() == 0:
            os.chown(self.log_file, account.uid, account.gid)
        try:
            process = subprocess.Popen(
                [str(overlay.postgres), "-D", str(self.pgdata), *options],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.pgdata,
                preexec_fn=die_with_parent,
                **account.subprocess_options(),
            )
        finally:
            log.close()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EngineError(
                    f"PostgreSQL exited while starting on port {self.port}",
                    detail=self._log_tail(),
                )
            pid_file = read_pid_file(self.pgdata)
            if pid_file and pid_file.pid == process.pid and pid_file.status == "ready":
                self._attached = process
                return
            time.sleep(0.02)
        process.kill()
        raise EngineError(f"PostgreSQL did not become ready in {_START_TIMEOUT_S} s")

    def _run_as_server(self, command: list[str], *, what: str) -> None:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=self.pgdata if self.pgdata.is_dir() else self.root,
            check=False,
            **self.account.subprocess_options(),
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise EngineError(
                f"{what} failed (exit {result.returncode})",
                detail="\n".join(filter(None, [output, self._log_tail()])) or None,
                hint=f"the server log is {self.log_file}",
            )

    def _check_port_free(self) -> None:
        if port_in_use(self.port):
            raise EngineError(
                f"port {self.port} on 127.0.0.1 is already in use by another program",
                hint="stop that program, or choose another port: set port in [tool.dbflow] "
                f"(pyproject.toml) or DBFLOW_PORT={self.port + 1} in .env",
            )

    def _remove_stale_files(self, pid_file: PidFile) -> None:
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        if pid_file.socket_dir and pid_file.port:
            for name in (f".s.PGSQL.{pid_file.port}", f".s.PGSQL.{pid_file.port}.lock"):
                with contextlib.suppress(OSError):
                    (Path(pid_file.socket_dir) / name).unlink()

    def _write_state_file(self, overlay: Overlay) -> None:
        binaries = self.binaries
        state = {
            "kind": binaries.kind,
            "version": binaries.version,
            "bin_dir": str(binaries.bin_dir),
            "port": str(self.port),
            "standins": ",".join(overlay.standins),
        }
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")

    def _read_state_file(self) -> dict[str, str]:
        try:
            data = json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
