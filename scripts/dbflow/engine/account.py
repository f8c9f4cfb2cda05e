"""The unprivileged account that runs the server binaries when dbflow runs as root.

PostgreSQL refuses to run as root. Only initdb, pg_ctl and postgres run as this account;
clients (psycopg, psql, pg_dump) stay as the caller and connect over loopback TCP. dbflow
changes ownership only of directories it created itself, never of their parents.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbflow.errors import EngineError

DEDICATED_ACCOUNT = "dbflow"


@dataclass(frozen=True)
class ServerAccount:
    """Who the server processes run as."""

    name: str
    uid: int
    gid: int

    def subprocess_options(self) -> dict[str, Any]:
        """Keyword arguments for subprocess that run a command as this account."""
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path, mode: int = 0o700) -> None:
        """Give ``path`` (a directory dbflow created) to this account with ``mode``."""
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)
        path.chmod(mode)


def server_account(configured: str | None = None) -> ServerAccount:
    """The account for the server: the caller, or when root, a configured or system one."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return ServerAccount(me.pw_name, me.pw_uid, me.pw_gid)
    if configured:
        entry = _lookup(configured)
        if entry is None:
            raise EngineError(
                f"run_as account {configured!r} does not exist",
                hint="create it, or unset DBFLOW_RUN_AS / [tool.dbflow] run_as to let dbflow "
                "use the postgres account",
            )
        if entry.pw_uid == 0:
            raise EngineError(f"run_as account {configured!r} is root; PostgreSQL refuses root")
        return ServerAccount(entry.pw_name, entry.pw_uid, entry.pw_gid)
    for name in ("postgres", DEDICATED_ACCOUNT):
        candidate = _lookup(name)
        if candidate is not None and candidate.pw_uid != 0:
            return ServerAccount(candidate.pw_name, candidate.pw_uid, candidate.pw_gid)
    return _create_dedicated_account()


def check_can_run(account: ServerAccount, executable: Path) -> None:
    """Fail clearly if ``account`` cannot execute ``executable`` (e.g. under a 0700 home)."""
    try:
        result = subprocess.run(
            [str(executable), "--version"],
            capture_output=True,
            timeout=30,
            check=False,
            **account.subprocess_options(),
        )
    except PermissionError:
        result = None
    if result is None or result.returncode != 0:
        raise EngineError(
            f"the server account {account.name!r} cannot run {executable}",
            detail="a directory above it is not searchable by that account",
            hint="keep the project (and its .dbflow/ folder) where that account can reach it, "
            "or set PG_BIN_DIR to binaries it can run",
        )


def _lookup(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _create_dedicated_account() -> ServerAccount:
    useradd = shutil.which("useradd")
    if useradd is None:
        raise EngineError(
            "running as root and no unprivileged account exists for the server",
            hint=f"create one (useradd --system {DEDICATED_ACCOUNT}) or set DBFLOW_RUN_AS",
        )
    shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
    result = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", shell, DEDICATED_ACCOUNT],
        capture_output=True,
        text=True,
        check=False,
    )
    entry = _lookup(DEDICATED_ACCOUNT)
    if entry is None:
        raise EngineError(
            f"could not create the system account {DEDICATED_ACCOUNT!r} for the server",
            detail=result.stderr.strip() or None,
            hint="create an unprivileged account and set DBFLOW_RUN_AS to its name",
        )
    return ServerAccount(entry.pw_name, entry.pw_uid, entry.pw_gid)
