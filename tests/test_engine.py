"""The local engine's lifecycle on a real cluster: idempotent start, stale pid, busy port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dbflow.connection import connect
from dbflow.engine.cluster import LocalEngine
from dbflow.errors import EngineError
from dbflow.testing.plugin import free_port, scratch_dir
from tests.cli_helpers import DBFLOW, assert_no_traceback, project_dir, run


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    root = scratch_dir("dbflow-engine-")
    engine = LocalEngine(root, free_port(), server_settings={"fsync": "off"})
    try:
        yield engine
    finally:
        try:
            engine.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def test_start_is_idempotent_and_stop_stops(engine: LocalEngine) -> None:
    first = engine.start()
    assert first.initialized_now and not first.already_running
    assert first.state.running and first.state.port == engine.port
    second = engine.start()
    assert second.already_running
    assert second.state.pid == first.state.pid
    with connect(engine.admin_url(), autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("supabase_admin",)
        listen = conn.execute("SHOW listen_addresses").fetchone()
    assert listen == ("127.0.0.1",)
    assert engine.stop() is True
    assert engine.stop() is False
    assert not engine.state().running


def test_kill_9_leaves_a_stale_pid_file_that_is_cleaned(engine: LocalEngine) -> None:
    started = engine.start()
    assert started.state.pid is not None
    os.kill(started.state.pid, signal.SIGKILL)
    _wait_until_gone(started.state.pid)
    state = engine.state()
    assert not state.running
    assert state.cleaned_stale_pid == started.state.pid
    assert not (engine.pgdata / "postmaster.pid").exists()
    restarted = engine.start()
    assert restarted.state.running and not restarted.already_running


def test_pid_file_naming_a_live_non_postgres_process_is_stale(engine: LocalEngine) -> None:
    engine.start()
    engine.stop()
    pid_file = engine.pgdata / "postmaster.pid"
    pid_file.write_text(
        f"{os.getpid()}\n{engine.pgdata}\n0\n{engine.port}\n\n127.0.0.1\n0 0\nready\n"
    )
    state = engine.state()
    assert not state.running and state.cleaned_stale_pid == os.getpid()
    assert engine.start().state.running


def test_busy_port_is_a_clear_error(engine: LocalEngine) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", engine.port))
        squatter.listen()
        with pytest.raises(EngineError) as error:
            engine.start()
    message = str(error.value)
    assert f"port {engine.port} on 127.0.0.1 is already in use" in message
    assert "DBFLOW_PORT" in message and "[tool.dbflow]" in message


def test_server_runs_as_an_unprivileged_account(engine: LocalEngine) -> None:
    state = engine.start().state
    owner = Path(f"/proc/{state.pid}").stat().st_uid
    assert owner != 0
    assert (engine.pgdata.stat().st_mode & 0o777) == 0o700


def _wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1][:1] == "Z":
            return
        time.sleep(0.05)


def test_a_pid_file_naming_another_postgresql_never_stops_it(engine: LocalEngine) -> None:
    """After a crash or a reboot the pid in ``postmaster.pid`` may belong to another
    PostgreSQL: `db.status` calls the file stale, `db.start` starts this project's server,
    and `db.stop` leaves the other one running."""
    other = engine.start().state
    assert other.pid is not None
    with project_dir("dbflow-pid-reuse-") as project:
        assert run(project, DBFLOW, "db.start").returncode == 0
        assert run(project, DBFLOW, "db.stop").returncode == 0
        pgdata = next(project.glob(".dbflow/engines/*/pgdata"))
        port = free_port()
        (pgdata / "postmaster.pid").write_text(
            f"{other.pid}\n{pgdata}\n0\n{port}\n/tmp\n127.0.0.1\n0 0\nready\n"
        )
        status = run(project, DBFLOW, "db.status")
        assert_no_traceback(status)
        assert "not reachable" not in status.stdout + status.stderr
        assert not (pgdata / "postmaster.pid").exists()
        (pgdata / "postmaster.pid").write_text(
            f"{other.pid}\n{pgdata}\n0\n{port}\n/tmp\n127.0.0.1\n0 0\nready\n"
        )
        stopped = run(project, DBFLOW, "db.stop")
        assert stopped.returncode == 0, stopped.stderr
        assert "was not running" in stopped.stdout
        assert engine.state().running, "db.stop stopped another PostgreSQL"
        started = run(project, DBFLOW, "db.start")
        assert started.returncode == 0, started.stderr
        assert "started PostgreSQL" in started.stdout
    assert engine.state().running
    with connect(engine.admin_url(), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
