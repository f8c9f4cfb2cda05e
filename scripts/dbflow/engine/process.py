"""What the operating system says about a cluster's server: its ``postmaster.pid``, whether
that process is a live postgres, whether a port is taken; and a child that dies with its
parent."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
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


def is_server_of(pid: int, pgdata: Path) -> bool:
    """True when ``pid`` is a running (not zombie) postgres serving ``pgdata``.

    A ``postmaster.pid`` outlives a crash or a reboot, and its pid may since belong to
    another program, or to another PostgreSQL: that server is not this cluster's, and must
    never be signalled. On Linux the postmaster's working directory is its data directory
    (it changes into it at start); elsewhere its command line's ``-D`` is compared."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc = Path(f"/proc/{pid}")
    if not proc.parent.joinpath("self").exists():
        return _command_line_serves(pid, pgdata)
    try:
        arguments = (proc / "cmdline").read_bytes().split(b"\0")
        process_state = (proc / "stat").read_text().rsplit(") ", 1)[-1][:1]
    except OSError:
        return False
    executable = arguments[0] if arguments else b""
    if not (b"postgres" in executable or b"postmaster" in executable) or process_state == "Z":
        return False
    try:
        return Path(os.readlink(proc / "cwd")).resolve() == pgdata.resolve()
    except OSError:  # its working directory is not ours to read: its -D must be this one
        return _data_dir_argument(arguments) == pgdata.resolve()


def _data_dir_argument(arguments: list[bytes]) -> Path | None:
    for index, argument in enumerate(arguments):
        if argument == b"-D" and index + 1 < len(arguments):
            return Path(os.fsdecode(arguments[index + 1])).resolve()
        if argument.startswith(b"-D") and len(argument) > 2:
            return Path(os.fsdecode(argument[2:])).resolve()
    return None


def _command_line_serves(pid: int, pgdata: Path) -> bool:
    """Without /proc (macOS): ``ps`` gives the command line; its ``-D`` must be ``pgdata``."""
    try:
        shown = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            check=False,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    arguments = shown.strip().split()
    if not arguments or (b"postgres" not in arguments[0] and b"postmaster" not in arguments[0]):
        return False
    return _data_dir_argument(arguments) == pgdata.resolve()


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
