"""Text that matches a regular expression, built from the expression's own structure.

The pattern is read by Python's regular-expression parser (PostgreSQL's POSIX classes and
word boundaries translated first); literals, classes, alternations, groups and bounded or
open repetition are generated, anchors ignored. Choices come from a small deterministic
generator seeded by the caller, so a value is a pure function of (pattern, seed).
Backreferences and look-arounds are not generated: ``generate`` returns None and the value
is left to verification.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any

from dbflow.seed.evaluate import python_pattern

# Python's own parser of patterns, and what it parses into (its modules are private: no types)
Parsed = Any
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")
_PREFERRED = "abcdefghijklmnopqrstuvwxyz0123456789"
_OPEN_REPEAT = 6  # at most this many more than the minimum for * + {n,}


class _Draw:
    """A tiny deterministic stream of choices (an LCG) seeded by the caller."""

    def __init__(self, seed: int) -> None:
        self.state = (seed * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)

    def below(self, limit: int) -> int:
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        return (self.state >> 33) % max(limit, 1)


@lru_cache(maxsize=256)
def compiled(pattern: str, ignore_case: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(python_pattern(pattern), re.I if ignore_case else 0)
    except re.error:
        return None


@lru_cache(maxsize=256)
def _parsed(pattern: str) -> Parsed:
    try:
        return sre_parse.parse(python_pattern(pattern))
    except re.error:
        return None


def matches(value: str, pattern: str, ignore_case: bool) -> bool | None:
    regex = compiled(pattern, ignore_case)
    if regex is None:
        return None
    return regex.search(value) is not None


def generate(pattern: str, seed: int, lengths: tuple[int, int | None] = (0, None)) -> str | None:
    """A string matching ``pattern`` (searched, as ``~`` does), or None when the pattern uses
    what is not generated. Tries a few draws to meet ``lengths`` (minimum, maximum)."""
    parsed = _parsed(pattern)
    if parsed is None:
        return None
    low, high = lengths
    best: str | None = None
    for attempt in range(8):
        draw = _Draw(seed * 31 + attempt)
        try:
            text = _walk(parsed, draw, stretch=attempt)
        except _NotGenerated:
            return None
        if len(text) >= low and (high is None or len(text) <= high):
            return text
        best = text if best is None else best
    return best


class _NotGenerated(Exception):
    pass


def _walk(items: Parsed, draw: _Draw, stretch: int) -> str:
    out: list[str] = []
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(value))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _PREFERRED if ord(c) != value))
        elif name == "ANY":
            out.append(_PREFERRED[draw.below(26)])
        elif name == "IN":
            out.append(_from_class(value, draw))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            minimum, maximum, body = value
            if maximum == sre_constants.MAXREPEAT:
                maximum = minimum + _OPEN_REPEAT
            extra = stretch if stretch and maximum > minimum else 0
            count = min(maximum, minimum + draw.below(maximum - minimum + 1) + extra)
            out.extend(_walk(body, draw, 0) for _ in range(count))
        elif name == "SUBPATTERN":
            out.append(_walk(value[-1], draw, stretch))
        elif name == "BRANCH":
            alternatives = value[1]
            out.append(_walk(alternatives[draw.below(len(alternatives))], draw, stretch))
        elif name == "AT":
            continue
        else:
            raise _NotGenerated(name)
    return "".join(out)


_CATEGORIES = {
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_NOT_DIGIT": "abcdefghij",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "abcdefghij",
    "CATEGORY_WORD": "abcdefghijklmnopqrstuvwxyz",
    "CATEGORY_NOT_WORD": "-",
}


def _from_class(items: Parsed, draw: _Draw) -> str:
    negate = False
    allowed: list[str] = []
    for op, value in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            allowed.append(chr(value))
        elif name == "RANGE":
            start, end = value
            allowed.extend(chr(code) for code in range(start, min(end, start + 94) + 1))
        elif name == "CATEGORY":
            allowed.extend(_CATEGORIES.get(str(value), ""))
    if negate:
        refused = set(allowed)
        options = [c for c in _PREFERRED if c not in refused] or [
            chr(code) for code in range(33, 127) if chr(code) not in refused
        ]
        if not options:
            raise _NotGenerated("class")
        return options[draw.below(len(options))]
    if not allowed:
        raise _NotGenerated("class")
    # Prefer letters and digits when the class has them (readable values).
    readable = [c for c in allowed if c.isalnum()] or allowed
    return readable[draw.below(len(readable))]
