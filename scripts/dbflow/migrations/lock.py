"""The runner's session and its lock: a session that names its runner (host and process) and
is ended by the server soon after that process is gone, and the advisory lock only one
runner holds at a time, taken back from a runner on this machine that no longer exists."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from dbflow.connection import Conn
from dbflow.migrations.plan import MigrationError
from dbflow.progress import Notify

# pg_try_advisory_lock key shared by every dbflow runner ("dbflow" in ASCII).
ADVISORY_LOCK_KEY = 0x6462666C6F77
_POLL_SECONDS = 0.25
RUNNER_APPLICATION = "dbflow"
# Keepalives: a session whose runner's machine vanished (not only its process) ends too.
_SESSION_SETTINGS = (
    ("tcp_keepalives_idle", "30"),
    ("tcp_keepalives_interval", "10"),
    ("tcp_keepalives_count", "3"),
)


def runner_name() -> str:
    """The application_name of this runner's session: who it is, where, so that another
    runner can tell when the process behind a held lock is gone."""
    return f"{RUNNER_APPLICATION} {socket.gethostname()}:{os.getpid()}"[:63]


def reset_session(conn: Conn) -> None:
    """Clear what an earlier migration SET for the session, then set what a runner needs:
    its name, and (PostgreSQL 14+) a server that notices within seconds when the runner's
    process is gone, even in the middle of a long statement, and ends its session (and so
    releases the lock)."""
    conn.execute("RESET ALL")
    conn.execute("SELECT set_config('application_name', %s, false)", (runner_name(),))
    for name, value in _SESSION_SETTINGS:
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    if conn.info.server_version >= 140000:
        conn.execute("SELECT set_config('client_connection_check_interval', '1s', false)")


@dataclass(frozen=True)
class LockHolder:
    """The session holding the runner lock, as pg_stat_activity shows it."""

    backend_pid: int
    application: str
    user: str

    @property
    def client(self) -> tuple[str, int] | None:
        """The host and process id of a dbflow runner, from its application_name."""
        prefix, _, where = self.application.partition(" ")
        host, _, pid = where.rpartition(":")
        if prefix != RUNNER_APPLICATION or not host or not pid.isdigit():
            return None
        return host, int(pid)

    def client_gone(self) -> bool:
        """True when the holder is a runner on this machine whose process no longer exists."""
        client = self.client
        if client is None or client[0] != socket.gethostname():
            return False
        try:
            os.kill(client[1], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def describe(self) -> str:
        return f"pid {self.backend_pid}, {self.application}, user {self.user}"


@contextmanager
def advisory_lock(conn: Conn, wait_seconds: float, notify: Notify) -> Iterator[None]:
    """Hold dbflow's session advisory lock; poll with a try-lock, never block on it.

    A lock whose holder is a runner on this machine that no longer exists (killed while its
    server session went on) is taken back: that session is ended, rolling back what it had
    not committed.
    """
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()
        if row and row[0]:
            break
        holder = lock_holder(conn)
        if holder is not None and holder.client_gone():
            _end_orphaned_session(conn, holder, notify)
            continue
        described = f" ({holder.describe()})" if holder else ""
        if time.monotonic() >= deadline:
            raise MigrationError(
                f"another migration runner still holds the lock after {wait_seconds:g} s"
                + described,
                detail="nothing was applied",
                hint="wait for it to finish and run again, or raise lock_wait_seconds",
            )
        if not announced:
            notify(
                f"waiting for another migration runner{described} to finish, "
                f"up to {wait_seconds:g} s"
            )
            announced = True
        time.sleep(_POLL_SECONDS)
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def lock_holder(conn: Conn) -> LockHolder | None:
    """Who holds the runner lock, when visible."""
    row = conn.execute(
        "SELECT a.pid, coalesce(nullif(a.application_name, ''), 'unknown'), a.usename "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted "
        "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s LIMIT 1",
        (ADVISORY_LOCK_KEY,),
    ).fetchone()
    if row is None:
        return None
    return LockHolder(int(row[0]), str(row[1]), str(row[2]))


def _end_orphaned_session(conn: Conn, holder: LockHolder, notify: Notify) -> None:
    notify(
        f"the runner holding the lock ({holder.application}) is gone; ending its server "
        f"session (pid {holder.backend_pid}), which rolls back what it had not committed"
    )
    try:
        conn.execute("SELECT pg_terminate_backend(%s)", (holder.backend_pid,))
    except psycopg.Error as exc:
        raise MigrationError(
            f"the runner holding the lock is gone, but its server session (pid "
            f"{holder.backend_pid}) cannot be ended: {exc.diag.message_primary or exc}",
            detail="nothing was applied",
            hint=f"ask an administrator to run SELECT pg_terminate_backend({holder.backend_pid})",
        ) from None
