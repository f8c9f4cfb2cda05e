"""Reading SQL files: UTF-8 text (a leading byte-order mark dropped), or a clear reason not."""

from __future__ import annotations

from pathlib import Path

from dbflow.errors import DbflowError

BOM = "\ufeff"


class SqlFileError(DbflowError):
    """A file that is meant to hold SQL cannot be read as SQL text."""


def decode_sql(data: bytes) -> str:
    """``data`` as text; ValueError naming the line and column of the first bad byte."""
    if b"\x00" in data:
        raise ValueError("the file is binary (it contains NUL bytes), not SQL text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ValueError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {column})"
        ) from None
    return text.removeprefix(BOM)


def read_sql_file(path: Path) -> str:
    """The SQL text of ``path``; a SqlFileError names the file and what is wrong with it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SqlFileError(f"{path}: cannot read the file: {exc.strerror}") from None
    try:
        return decode_sql(data)
    except ValueError as exc:
        raise SqlFileError(
            f"{path}: {exc}",
            hint="save it as UTF-8 text, or move it out of the folder if it is not SQL",
        ) from None
