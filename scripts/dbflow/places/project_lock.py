"""The project's lock: one command at a time changes the local database.

``db.reset`` (which drops and recreates the database), ``db.up`` on the local database and
the seed commands take it; a second one waits for the first (``lock_wait_seconds``), then
stops with one line that says which command holds it. It is a lock on a file in the
project's data folder, held by the process: a command killed outright frees it with its
process, so a stale lock never blocks the next one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from dbflow.config import Settings
from dbflow.errors import DbflowError
from dbflow.progress import Notify, quiet

_POLL_SECONDS = 0.2


class ProjectBusy(DbflowError):
    """Another dbflow command of this project held the lock for longer than the wait."""


@contextlib.contextmanager
def project_lock(settings: Settings, command: str, notify: Notify = quiet) -> Iterator[None]:
    """Hold the project's lock for ``command`` (``db.reset``...), waiting for another holder
    up to ``settings.lock_wait_seconds``."""
    if sys.platform == "win32":  # no advisory file locks there: the runner's lock remains
        yield
        return
    import fcntl

    path = settings.data_dir / "project.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + settings.lock_wait_seconds
        said = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    raise ProjectBusy(
                        f"{holder} is changing this project's local database: {command} did "
                        f"not start (waited {settings.lock_wait_seconds:g} s)",
                        hint="run it again when that command is done (lock_wait_seconds in "
                        "[tool.dbflow] sets how long to wait)",
                    ) from None
                if not said:
                    notify(f"waiting for {holder} to finish")
                    said = True
                time.sleep(_POLL_SECONDS)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{command} (pid {os.getpid()})\n".encode())
        yield
    finally:
        os.close(descriptor)  # closing the file releases the lock


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return f"another dbflow command ({text})" if text else "another dbflow command"
