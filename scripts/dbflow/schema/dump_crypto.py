"""Production archives encrypted to the people allowed to restore them (age, through pyrage).

"Zero production data exposure to developers": a backup before a production push and
``db.dump --target production`` leave the machine that made them only as age-encrypted files
(``.dump.age``), readable by the holders of the identities whose public keys are listed in
``backup_recipients`` (age ``age1...`` keys or SSH ``ssh-ed25519``/``ssh-rsa`` keys).
pg_dump's output is encrypted as it streams: no plaintext copy touches the disk. ``db.restore``
decrypts with the identity file it is given, into a private temporary file removed after.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dbflow.config import Settings
from dbflow.engine.pgtools import ToolFailed
from dbflow.errors import DbflowError

ENCRYPTED_SUFFIX = ".age"
_AGE_HEADER = b"age-encryption.org/v1"


class NoRecipients(DbflowError):
    """A production archive would be written as plaintext."""


def recipients(keys: Sequence[str]) -> list[Any]:
    """The age recipients of ``keys``; a key that is neither age nor SSH is named."""
    import pyrage

    found = []
    for key in keys:
        text = key.strip()
        try:
            if text.startswith("age1"):
                found.append(pyrage.x25519.Recipient.from_str(text))
            elif text.startswith("ssh-"):
                found.append(pyrage.ssh.Recipient.from_str(text))
            else:
                raise ValueError(text)
        except Exception:
            shown = text if len(text) < 24 else text[:20] + "..."
            raise DbflowError(
                f"backup_recipients: {shown!r} is not an age public key (age1...) or an SSH "
                "public key (ssh-ed25519 ..., ssh-rsa ...)",
                hint="age-keygen -y KEYFILE prints the public key of an age identity",
            ) from None
    return found


def is_encrypted(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(_AGE_HEADER)) == _AGE_HEADER
    except OSError:
        return False


def encrypt_stream(
    command: list[str], env: dict[str, str], output: Path, keys: Sequence[str]
) -> str:
    """Run ``command`` (pg_dump writing to standard output) and encrypt what it writes into
    ``output`` for ``keys``; return the command's standard error, raise on its failure."""
    import pyrage

    readers = recipients(keys)
    with tempfile.TemporaryFile() as errors, output.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        try:
            pyrage.encrypt_io(process.stdout, out, readers)
        finally:
            process.stdout.close()
            code = process.wait()
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace")
    if code != 0:
        raise ToolFailed("pg_dump", code, message)
    return message


@contextlib.contextmanager
def decrypted(archive: Path, identity: Path | None) -> Iterator[Path]:
    """``archive`` as a plain pg_dump archive: itself when not encrypted, else decrypted with
    ``identity`` into a private temporary file, removed afterwards."""
    if not is_encrypted(archive):
        yield archive
        return
    if identity is None:
        raise DbflowError(
            f"{archive} is encrypted (age): give the identity that can read it",
            hint=f"inv db.restore {archive} --identity KEYFILE (an age identity file, or an "
            "SSH private key whose public key is in backup_recipients)",
        )
    import pyrage

    keys = _identities(identity)
    descriptor, name = tempfile.mkstemp(prefix="dbflow-restore-", suffix=".dump")
    os.close(descriptor)
    plain = Path(name)
    try:
        try:
            with archive.open("rb") as source, plain.open("wb") as out:
                pyrage.decrypt_io(source, out, keys)
        except pyrage.DecryptError:
            raise DbflowError(
                f"{archive}: {identity} cannot decrypt it (not one of its recipients, or the "
                "file is damaged); nothing was restored"
            ) from None
        yield plain
    finally:
        plain.unlink(missing_ok=True)


def _identities(path: Path) -> list[Any]:
    import pyrage

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DbflowError(f"--identity {path}: cannot be read ({exc})") from None
    if "PRIVATE KEY" in text:
        try:
            return [pyrage.ssh.Identity.from_buffer(text.encode())]
        except Exception:
            raise DbflowError(f"--identity {path}: not an SSH private key age can use") from None
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                found.append(pyrage.x25519.Identity.from_str(line))
            except Exception:
                raise DbflowError(f"--identity {path}: a damaged age identity") from None
    if not found:
        raise DbflowError(f"--identity {path}: holds no age identity (AGE-SECRET-KEY-...)")
    return found


def archive_recipients(settings: Settings, place: str, plaintext: bool) -> tuple[str, ...]:
    """Whom a production archive is encrypted to (``backup_recipients``); without recipients
    a production archive is refused unless ``plaintext`` (--plaintext) asks for one."""
    if place != "production" or plaintext:
        return ()
    if not settings.backup_recipients:
        raise NoRecipients(
            "refusing to write an unencrypted archive of production: backup_recipients is not set",
            detail="production holds every user's data; its archives are encrypted to the "
            "people allowed to restore them",
            hint='set backup_recipients = ["age1..."] in [tool.dbflow] (age-keygen makes a key '
            "pair; the admins keep the identity files), or pass --plaintext on purpose",
        )
    return settings.backup_recipients
