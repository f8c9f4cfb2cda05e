"""Parsing the files a run checks on the second core, ahead of the rules.

Rules and the model replay need each file in order, one after the other; parsing a file
needs nothing but its text. So where a run has many files to parse and the machine a second
core, a worker process parses them in order (each statement's node index too) while the run
checks the ones before, and hands each parse over as it is done. What the run receives is
exactly what it would have parsed itself (the tests compare the findings both ways).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

from dbflow.sql.parse import Script, parse_script
from dbflow.validate.cache_writes import fork_is_safe, keep_only

# Below this many files to parse, starting a worker costs about what it saves (measured on
# benchmarks/validate.py's generated history, 2 cores: even at 50 files; 3% faster at 100,
# 12% at 1,000, 5% at 5,000).
AHEAD_FROM_FILES = 80


class ParseAhead:
    """The parses of some files, made in their order by a worker process ahead of the run
    where that pays (many files, a spare core), else by :meth:`take` when asked."""

    def __init__(self, texts: dict[str, str], *, ahead: bool | None = None) -> None:
        self._texts = texts  # content hash -> text, in the order the run reaches them
        if ahead is None:
            ahead = len(texts) >= AHEAD_FROM_FILES and spare_core()
        self._ahead = _in_worker(list(texts.items())) if ahead else None
        self._arrived: dict[str, Script] = {}

    def take(self, sha: str) -> Script | None:
        """The parse of the text with content hash ``sha`` (None: not one of these texts)."""
        text = self._texts.pop(sha, None)
        if text is None:
            return None
        while self._ahead is not None and sha not in self._arrived:
            try:
                key, script = next(self._ahead)
            except (StopIteration, OSError):  # done, or no worker could be started
                self._ahead = None
                break
            self._arrived[key] = script
        return self._arrived.pop(sha, None) or _parsed(text)

    def close(self) -> None:
        """Stop the worker (the run ended, or failed, before taking every parse)."""
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None


def _in_worker(items: list[tuple[str, str]]) -> Generator[tuple[str, Script], None, None]:
    """Parse ``items`` in a forked child that pickles each parse into a pipe; read them here
    as they come (no thread: the parent's own thread unpickles between its files). Only this
    process's own child writes to the pipe: pickle here reads nothing from outside."""
    import pickle

    reading, writing = os.pipe()
    _widen(writing)
    child = os.fork()
    if child == 0:  # the worker: parse, send, and end without running any exit handler
        code = 0
        try:
            keep_only(writing)
            with os.fdopen(writing, "wb") as pipe:
                for key, text in items:  # each parse sent whole as soon as it is made
                    pickle.dump((key, _parsed(text)), pipe, pickle.HIGHEST_PROTOCOL)
                    pipe.flush()
        except BaseException:  # the parent parses what did not arrive
            code = 1
        os._exit(code)
    os.close(writing)
    try:
        with os.fdopen(reading, "rb", buffering=1 << 20) as pipe:
            for _ in items:
                try:
                    yield pickle.load(pipe)
                except (EOFError, pickle.UnpicklingError):
                    return
    finally:
        os.waitpid(child, 0)


def _widen(pipe: int) -> None:
    """Let the pipe hold many parses (Linux: up to the system's limit, 1 MiB by default), so
    the worker runs ahead instead of waiting for each one to be read."""
    try:
        import fcntl

        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), min(limit, 1 << 24))
    except (OSError, ValueError, ImportError):
        pass  # the default size: slower, not wrong


def _parsed(text: str) -> Script:
    script = parse_script(text)
    for statement in script.statements:
        statement.nodes  # noqa: B018  (the node index, built here and handed over with it)
    for statement in script.embedded:
        statement.nodes  # noqa: B018
    return script


def spare_core() -> bool:
    """A second core, and a process a worker can be forked from safely (one thread)."""
    if os.environ.get("DBFLOW_PARSE_AHEAD") == "0" or not fork_is_safe():
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) >= 2
