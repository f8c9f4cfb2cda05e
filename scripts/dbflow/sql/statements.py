"""Positions in SQL text (1-based line and column), and the syntax error that names them."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Protocol

from dbflow.errors import DbflowError

_EXCERPT_LIMIT = 60
_NEAR = re.compile(r' at or near "(?P<excerpt>.*)"$', re.DOTALL)


@dataclass(frozen=True)
class Position:
    line: int
    column: int


class Located(Protocol):
    """Anything that starts somewhere in a file (a statement)."""

    @property
    def offset(self) -> int: ...

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


def short_reason(message: str) -> str:
    """The parser's message with its ``at or near "..."`` excerpt cut to one short line
    (an unterminated quote would otherwise quote the rest of the file)."""
    match = _NEAR.search(message)
    if match is None:
        return message
    excerpt = match["excerpt"]
    first_line = excerpt.split("\n", 1)[0]
    if len(first_line) > _EXCERPT_LIMIT:
        first_line = first_line[:_EXCERPT_LIMIT]
    if first_line != excerpt:
        first_line += "..."
    return f'{message[: match.start()]} at or near "{first_line}"'


class SqlSyntaxError(DbflowError):
    """The text does not parse; carries the 1-based line and column of the error."""

    def __init__(self, message: str, position: Position, source_name: str | None = None):
        message = short_reason(message)
        where = f"{source_name}:" if source_name else "line "
        super().__init__(f"{where}{position.line}:{position.column}: {message}")
        self.position = position
        self.reason = message


def position_at(source: str, offset: int) -> Position:
    """The 1-based line and column of character ``offset`` in ``source``."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return Position(line, column)


class LineIndex:
    """Positions of many offsets in one text, in O(log n) each (for large files)."""

    def __init__(self, source: str) -> None:
        self._length = len(source)
        starts = [0]
        index = source.find("\n")
        while index != -1:
            starts.append(index + 1)
            index = source.find("\n", index + 1)
        self._starts = starts

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, self._length))
        line = bisect.bisect_right(self._starts, offset)
        return Position(line, offset - self._starts[line - 1] + 1)


def error_position(source: str, statement: Located, server_position: str | None) -> Position:
    """Where in ``source`` a server error points: its 1-based offset within ``statement``
    (``diag.statement_position``), or the statement's start when the server gave none."""
    if server_position and server_position.isdigit():
        return position_at(source, statement.offset + int(server_position) - 1)
    return Position(statement.line, statement.column)


def skip_blanks_and_comments(source: str, offset: int) -> int:
    """The offset of the first character at or after ``offset`` that is not blank or comment."""
    index = offset
    length = len(source)
    while index < length:
        if source[index].isspace():
            index += 1
        elif source.startswith("--", index):
            newline = source.find("\n", index)
            index = length if newline == -1 else newline + 1
        elif source.startswith("/*", index):
            depth, index = 1, index + 2
            while index < length and depth:
                if source.startswith("/*", index):
                    depth, index = depth + 1, index + 2
                elif source.startswith("*/", index):
                    depth, index = depth - 1, index + 2
                else:
                    index += 1
        else:
            break
    return index
