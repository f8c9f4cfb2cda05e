"""GitHub Actions workflow commands (``::error file=...,line=...::message``): the one writer
every check uses, escaping what GitHub would otherwise read as the command's own syntax (a
``%``, a newline, and in properties a ``:`` or ``,``), so that a message with a colon or a
file name with a comma lands on its line."""

from __future__ import annotations

from typing import Literal

Level = Literal["error", "warning", "notice"]


def annotation(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    title: str | None = None,
) -> str:
    """One workflow command: an annotation on ``file``:``line`` (or on the run, without a
    file)."""
    properties = []
    if file:
        properties.append(f"file={_escape_property(file)}")
        if line:
            properties.append(f"line={line}")
        if column:
            properties.append(f"col={column}")
    if title:
        properties.append(f"title={_escape_property(title)}")
    joined = f" {','.join(properties)}" if properties else ""
    return f"::{level}{joined}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
