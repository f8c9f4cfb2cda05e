"""What the operating system says about a cluster's server: its ``postmaster.pid``, whether
that process is a live postgres, whether a port is taken; and a child that dies with its
parent."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PidFile:
    """The first lines of ``postmaster.pid``."""

    pid: int
    port: int | None
    socket_dir: str | None
    status: str | None


def read_pid_file(pgdata: Path) -> PidFile | None:
    """The cluster's ``postmaster.pid`` (None: there is none; pid 0: it is unreadable)."""
    path = pgdata / "postmaster.pid"
    try:
        lines = path.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if not lines or not lines[0].strip().isdigit():
        return PidFile(0, None, None, None)
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
    return PidFile(
        pid=int(lines[0]),
        port=port,
        socket_dir=lines[4].strip() if len(lines) > 4 else None,
        status=lines[7].strip() if len(lines) > 7 else None,
    )


def is_postgres_process(pid: int) -> bool:
    """True when ``pid`` is a running (not zombie) postgres process."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return True
    try:
        executable = cmdline.read_bytes().split(b"\0", 1)[0]
        process_state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1][:1]
    except OSError:
        return False
    is_postgres = b"postgres" in executable or b"postmaster" in executable
    return is_postgres and process_state != "Z"


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def die_with_parent() -> None:
    """In the child: ask the kernel for SIGINT (fast shutdown) when the parent dies."""
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGINT)
