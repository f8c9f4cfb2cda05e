"""Keeping the validator's caches without making the run that made them wait.

A cold run's caches (the model after every file, the report) take a noticeable part of the
run to encode and write. The command prints its report first and then hands the writes to a
detached process, so the user has the answer and the command's exit at once. Any run that
reads the caches first waits for a write still going on (a lock beside the caches), so the
run after a run always sees its caches, and a write is whole or absent (a partial file
renamed over the old one).

Where a detached process cannot be made (no ``fork``, no ``flock``), or when
``DBFLOW_CACHE_WRITES=inline`` is set, the writes happen in the command itself, after its
report.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Write = Callable[[], None]
LOCK_FILE = ".writing"  # held by the process writing the caches


def write_detached(folder: Path, writes: list[Write]) -> None:
    """Run ``writes`` (each writes one file of ``folder``) in a detached process, holding the
    folder's lock until they are done; in this process where that cannot be done."""
    if not writes:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # a cache that cannot be written only costs the next run speed
    if not _can_detach():
        _run(writes)
        return
    import fcntl

    try:
        lock = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        _run(writes)
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the writer before us (if any) is done
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        child = os.fork()
        if child == 0:
            _detached(lock, writes)  # never returns
        os.waitpid(child, 0)  # the child forks the writer and ends at once
    except OSError:
        _run(writes)
    finally:
        os.close(lock)  # the writer holds the lock through its own copy of the descriptor


@contextmanager
def settled(folder: Path | None) -> Iterator[None]:
    """While reading the caches of ``folder`` (None: no caches): wait for a write still
    going on, whoever started it."""
    try:
        import fcntl
    except ImportError:  # no flock: writes were made in the commands themselves
        yield
        return
    try:
        lock = os.open(folder / LOCK_FILE, os.O_RDONLY) if folder is not None else -1
    except OSError:  # no cache was ever written here
        lock = -1
    if lock < 0:
        yield
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield
    finally:
        os.close(lock)


def fork_is_safe() -> bool:
    """This process can fork a helper: the system has fork, and no other thread runs (one
    holding a lock at the fork could stall the helper)."""
    import threading

    return hasattr(os, "fork") and threading.active_count() == 1


def _can_detach() -> bool:
    if os.environ.get("DBFLOW_CACHE_WRITES") == "inline" or not fork_is_safe():
        return False
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    return True


def _detached(lock: int, writes: list[Write]) -> None:
    """The child: fork the writer (so nothing waits for it), which runs detached from the
    terminal and the command's output streams."""
    code = 0
    try:
        os.setsid()
        if os.fork() == 0:
            keep_only(lock)  # no terminal, no pipe of the caller's, no lock but the caches'
            _run(writes)
            os.close(lock)
    except BaseException:  # a child must never return into the command
        code = 1
    os._exit(code)


def keep_only(descriptor: int) -> None:
    """In a forked helper: standard streams to /dev/null and every other descriptor closed
    but ``descriptor``, so nothing the command had open (a pipe its caller reads to the end,
    a lock) stays open for as long as the helper runs."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    highest = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 1024
    os.closerange(3, descriptor)
    os.closerange(descriptor + 1, highest)


def _run(writes: list[Write]) -> None:
    for write in writes:
        write()
