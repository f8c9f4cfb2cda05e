"""A linear pre-pass over SQL text: where comments, strings and top-level semicolons are.

PostgreSQL's own lexer is quadratic on two shapes no real migration has but any file can
hold: long runs of operator characters (``+-+-+-...``) and deeply nested block comments
(``/*/*/*...*/*/*/``). Before any text reaches the parser, :func:`parser_safe` neutralises
the second (the comment keeps its extent and position, only its inner ``/`` and ``*`` become
spaces) and refuses the first with a syntax error, so parsing time stays linear in the input.

The same pass cuts a file whose parse fails into pieces at its top-level semicolons, so one
syntax error does not hide the rest of the file, whatever the file's size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

RegionKind = Literal["comment", "string"]

# A run of operator characters this long in code is not SQL anyone writes.
LONG_OPERATOR_RUN = 200
_OPERATOR_RUN = re.compile(r"[~!@#^&|`?+\-*/%<>=]{" + str(LONG_OPERATOR_RUN) + ",}")
_IDENT_START = r"A-Za-z_\u0080-\U0010ffff"
_IDENT_CHAR = _IDENT_START + r"0-9$"
# Where something other than plain code may begin. Identifiers are consumed whole, so a
# ``$`` inside one (``a$b``) is never read as a dollar quote.
# (Compiled on first use: most runs never lex, and its Unicode classes take milliseconds.)
_START_PATTERN = (
    r"--|/\*|[eE]'|'|\"|;"
    rf"|\$(?:[{_IDENT_START}][{_IDENT_START}0-9]*)?\$"
    rf"|[{_IDENT_START}][{_IDENT_CHAR}]*"
    r"|\$[0-9]+"
)
_COMMENT_MARK = re.compile(r"/\*|\*/")
_E_STRING_END = re.compile(r"\\.|''|'", re.DOTALL)


@dataclass(frozen=True)
class Region:
    """A comment or a quoted string (literal, quoted name or dollar-quoted body)."""

    start: int
    end: int  # exclusive; the end of the text when unterminated
    kind: RegionKind
    terminated: bool = True


@dataclass(frozen=True)
class Lexed:
    regions: tuple[Region, ...]
    semicolons: tuple[int, ...]  # offsets of semicolons in code


def lex(text: str) -> Lexed:
    """Comments, strings and code semicolons of ``text``, in one linear pass."""
    regions: list[Region] = []
    semicolons: list[int] = []
    position = 0
    length = len(text)
    code_start = re.compile(_START_PATTERN)  # re keeps the compiled pattern after the first call
    while position < length:
        match = code_start.search(text, position)
        if match is None:
            break
        start, token = match.start(), match.group()
        if token == ";":
            semicolons.append(start)
            position = start + 1
        elif token == "--":
            newline = text.find("\n", start)
            end = length if newline == -1 else newline
            regions.append(Region(start, end, "comment"))
            position = end
        elif token == "/*":
            end, closed = _block_comment_end(text, start)
            regions.append(Region(start, end, "comment", closed))
            position = end
        elif token in ("'", "e'", "E'"):
            end, closed = _string_end(text, match.end(), escapes=token != "'")
            regions.append(Region(start, end, "string", closed))
            position = end
        elif token == '"':
            end, closed = _quoted_end(text, match.end(), '"')
            regions.append(Region(start, end, "string", closed))
            position = end
        elif token.startswith("$") and token.endswith("$"):
            close = text.find(token, match.end())
            end = length if close == -1 else close + len(token)
            regions.append(Region(start, end, "string", close != -1))
            position = end
        else:  # an identifier, keyword or $n parameter: plain code
            position = match.end()
    return Lexed(tuple(regions), tuple(semicolons))


def parser_safe(text: str) -> tuple[str, int | None]:
    """``text`` made safe for PostgreSQL's lexer, and where a long operator run sits in code.

    Nested block comments keep their extent (and every character's offset, in characters and
    in bytes) with their inner ``/`` and ``*`` blanked. The second value is the offset of an
    operator run too long to be SQL, outside comments and strings, or None.
    """
    if _OPERATOR_RUN.search(text) is None:
        return text, None
    lexed = lex(text)
    pieces: list[str] = []
    last = 0
    for region in lexed.regions:
        if region.kind != "comment" or text.startswith("--", region.start):
            continue
        inner_end = region.end - 2 if region.terminated else region.end
        pieces.append(text[last : region.start + 2])
        inner = text[region.start + 2 : inner_end]
        pieces.append(inner.replace("/", " ").replace("*", " "))
        last = inner_end
    pieces.append(text[last:])
    safe = "".join(pieces)
    strings = [region for region in lexed.regions if region.kind == "string"]
    for run in _OPERATOR_RUN.finditer(safe):
        if not any(region.start <= run.start() < region.end for region in strings):
            return safe, run.start()
    return safe, None


def split_pieces(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each piece of ``text`` between top-level semicolons (inclusive)."""
    pieces: list[tuple[int, int]] = []
    start = 0
    for semicolon in lex(text).semicolons:
        pieces.append((start, semicolon + 1))
        start = semicolon + 1
    if text[start:].strip():
        pieces.append((start, len(text)))
    return pieces


def _block_comment_end(text: str, start: int) -> tuple[int, bool]:
    depth = 0
    for mark in _COMMENT_MARK.finditer(text, start):
        depth += 1 if mark.group() == "/*" else -1
        if depth == 0:
            return mark.end(), True
    return len(text), False


def _string_end(text: str, position: int, *, escapes: bool) -> tuple[int, bool]:
    if not escapes:
        return _quoted_end(text, position, "'")
    for mark in _E_STRING_END.finditer(text, position):
        if mark.group() == "'":
            return mark.end(), True
    return len(text), False


def _quoted_end(text: str, position: int, quote: str) -> tuple[int, bool]:
    while True:
        close = text.find(quote, position)
        if close == -1:
            return len(text), False
        if text.startswith(quote * 2, close):
            position = close + 2
            continue
        return close + 1, True
