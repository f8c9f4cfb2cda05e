"""Files a command writes for the user (``--output``, ``--sql``, ``--report``...): the path is
checked before any work, and the file is written whole or not at all.

A folder, or a path under a file, is refused at once (exit 2), before a push is applied or a
schema is compared, so a command never does its work and then fails on its output. Every
file goes through a partial file beside it and a rename: a killed command leaves the old
file (or none), never one cut short that looks complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from dbflow.errors import DbflowError


class OutputPathError(DbflowError):
    """An output flag names something that cannot be written as a file."""

    exit_code = 2


def check_output_file(path: Path | str, flag: str) -> Path:
    """``path`` as a file to write later; refused now when it is a folder or lies under one
    that is a file."""
    target = Path(path)
    if target.is_dir():
        raise OutputPathError(
            f"{flag} {target}: that is a folder; name a file to write",
            hint=f"for example {flag} {target / 'output.txt'}",
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputPathError(f"{flag} {target}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputPathError(f"{flag} {target}: {parent} is not writable")
            break
    return target


@contextlib.contextmanager
def output_stream(path: Path) -> Iterator[TextIO]:
    """Write ``path`` through a partial file in its folder, renamed into place on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            yield out
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole, or leave ``path`` as it was."""
    with output_stream(path) as out:
        out.write(text)
