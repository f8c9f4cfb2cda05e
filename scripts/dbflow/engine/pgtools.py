"""pg_dump and pg_restore: finding a version that fits the server, running them safely.

The password never appears on a command line: the URL given to the tool has it removed and
libpq reads it from PGPASSWORD in the child's environment.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from dbflow.connection import connect
from dbflow.engine.binaries import find_binaries, find_embedded
from dbflow.errors import DbflowError
from dbflow.redact import redact_text
from dbflow.urls import UrlProblem, without_password


def libpq_command_target(url: str) -> tuple[str, dict[str, str]]:
    """``url`` as a connection string without its password, and an environment carrying the
    password as PGPASSWORD."""
    try:
        target, password = without_password(url)
    except UrlProblem as exc:
        raise DbflowError(f"the database URL cannot be used: {exc}") from None
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    return target, env


def server_major(url: str) -> int:
    with connect(url, autocommit=True) as conn:
        return int(conn.info.server_version // 10000)


def find_tool(name: str, server: int, pg_bin_dir: Path | None = None) -> Path:
    """``pg_dump``/``pg_restore`` whose major version is at least the server's."""
    candidates: list[Path] = []
    with contextlib.suppress(DbflowError):  # no server binaries: look on PATH and in /usr/lib
        candidates.append(find_binaries(pg_bin_dir).tool(name))
    embedded = find_embedded()
    if embedded is not None:
        candidates.append(embedded.tool(name))
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        candidates.append(directory / name)
    seen: set[Path] = set()
    found_versions = []
    for candidate in candidates:
        if candidate in seen or not candidate.is_file():
            continue
        seen.add(candidate)
        major = _tool_major(candidate)
        found_versions.append(f"{candidate} ({major})")
        if major is not None and major >= server:
            return candidate
    raise DbflowError(
        f"no {name} can handle a PostgreSQL {server} server",
        detail="found: " + (", ".join(found_versions) or "none"),
        hint=f"install the PostgreSQL {server} client tools (apt-get install "
        f"postgresql-client-{server}) or set PG_BIN_DIR to a PostgreSQL {server}+ bin directory",
    )


class ToolFailed(DbflowError):
    """A PostgreSQL client program exited with an error or was killed by a signal."""

    def __init__(self, what: str, returncode: int, stderr: str) -> None:
        how = f"crashed (signal {-returncode})" if returncode < 0 else f"failed (exit {returncode})"
        super().__init__(f"{what} {how}", detail=redact_text(stderr.strip()[-2000:]) or None)
        self.returncode = returncode
        self.stderr = stderr


def run_tool(command: list[str], env: dict[str, str], what: str, *, umask: int = -1) -> None:
    """Run a client program; ToolFailed (with its redacted stderr) when it does not succeed."""
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, umask=umask
    )
    if result.returncode != 0:
        raise ToolFailed(what, result.returncode, result.stderr)


def _tool_major(path: Path) -> int | None:
    try:
        output = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(match.group(1)) if match else None
