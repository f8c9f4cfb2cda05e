"""``inv db.dump`` and ``inv db.restore``: pg_dump archives of a target, and the way back.

The documented way back after a bad production migration is fix-forward (a new migration);
restore is the emergency path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from dbflow.errors import DbflowError
from dbflow.pgtools import find_tool, libpq_command_target, run_tool, server_major

DumpKind = Literal["full", "schema", "data"]


def backup_path(project_root: Path, target: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    return project_root / "backups" / f"{target}-{stamp}.dump"


def dump(url: str, path: Path, *, kind: DumpKind = "full", pg_bin_dir: Path | None = None) -> Path:
    """Write a custom-format archive of the database at ``url`` to ``path``."""
    tool = find_tool("pg_dump", server_major(url), pg_bin_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    target, env = libpq_command_target(url)
    command = [str(tool), "--format=custom", f"--file={path}", "--no-password"]
    if kind == "schema":
        command.append("--schema-only")
    elif kind == "data":
        command.append("--data-only")
    run_tool([*command, target], env, "pg_dump")
    return path


def restore(url: str, path: Path, *, pg_bin_dir: Path | None = None) -> None:
    """Restore a custom-format archive into ``url`` (objects in the archive are replaced)."""
    if not path.is_file():
        raise DbflowError(
            f"{path}: no such archive", hint="inv db.dump writes archives to backups/ by default"
        )
    tool = find_tool("pg_restore", server_major(url), pg_bin_dir)
    target, env = libpq_command_target(url)
    run_tool(
        [
            str(tool),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={target}",
            str(path),
        ],
        env,
        "pg_restore",
    )
