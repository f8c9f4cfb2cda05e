"""``inv db.dump`` and ``inv db.restore``: pg_dump archives of a target, and the way back.

The documented way back after a bad production migration is fix-forward (a new migration);
restore is the emergency path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from dbflow.engine.pgtools import (
    ToolFailed,
    find_tool,
    libpq_command_target,
    run_tool,
    server_major,
)
from dbflow.errors import DbflowError
from dbflow.schema.dump_crypto import ENCRYPTED_SUFFIX, decrypted, encrypt_stream

DumpKind = Literal["full", "schema", "data"]

# What pg_restore says of an archive it cannot read (besides crashing on it).
_DAMAGE = re.compile(
    r"did not find magic string|unsupported version|could not read (?:from )?input file|"
    r"unexpected end of file|invalid (?:OID|dumpId|TOC)|bad dumpId|file offset in dump file "
    r"is too large|error during file seek|compressed data is corrupt|found unexpected block ID|"
    r"corrupt TOC|out of range",
    re.IGNORECASE,
)


def backup_path(project_root: Path, target: str, *, encrypted: bool = False) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    suffix = ".dump" + (ENCRYPTED_SUFFIX if encrypted else "")
    return project_root / "backups" / f"{target}-{stamp}{suffix}"


def dump(
    url: str,
    path: Path,
    *,
    kind: DumpKind = "full",
    pg_bin_dir: Path | None = None,
    recipients: Sequence[str] = (),
) -> Path:
    """Write a custom-format archive of the database at ``url`` to ``path``, readable by its
    owner only; a failed dump leaves nothing behind (and an earlier file at ``path`` as it was).
    With ``recipients`` (age or SSH public keys) the archive is encrypted to them as it streams.
    """
    tool = find_tool("pg_dump", server_major(url), pg_bin_dir)
    make_private_dir(path.parent)
    partial = path.with_name(f".{path.name}.partial")
    target, env = libpq_command_target(url)
    command = [str(tool), "--format=custom", "--no-password"]
    if kind == "schema":
        command.append("--schema-only")
    elif kind == "data":
        command.append("--data-only")
    try:
        if recipients:
            partial.touch(mode=0o600)
            encrypt_stream([*command, target], env, partial, recipients)
        else:
            run_tool([*command, f"--file={partial}", target], env, "pg_dump", umask=0o077)
        partial.chmod(0o600)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (mode 0700) if it is missing; an existing folder is left as it is."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)


def restore(
    url: str, path: Path, *, pg_bin_dir: Path | None = None, identity: Path | None = None
) -> None:
    """Restore a custom-format archive into ``url`` (objects in the archive are replaced); an
    encrypted one is decrypted with ``identity`` first."""
    if not path.is_file():
        raise DbflowError(
            f"{path}: no such archive", hint="inv db.dump writes archives to backups/ by default"
        )
    tool = find_tool("pg_restore", server_major(url), pg_bin_dir)
    target, env = libpq_command_target(url)
    try:
        with decrypted(path, identity) as plain:
            _run_restore(tool, target, env, plain)
    except ToolFailed as failed:
        if failed.returncode < 0 or _DAMAGE.search(failed.stderr):
            raise DbflowError(
                f"{path}: the archive is damaged or truncated; nothing was restored",
                detail=failed.detail,
                hint="restore another archive (inv db.dump writes them to backups/), and check "
                "how this one was copied",
            ) from None
        raise


def _run_restore(tool: Path, target: str, env: dict[str, str], path: Path) -> None:
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
