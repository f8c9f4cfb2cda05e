"""Suppressions written in SQL comments.

    -- dbflow: ignore DAT01, DAT11 the import table is rebuilt nightly
    drop table public.tmp_import cascade;

    -- dbflow: ignore-file STY03 legacy names kept for the mobile app

``ignore`` applies to the next statement, ``ignore-file`` to the whole file. Ids are parsed
strictly: an unknown id, or a suppression that silences nothing, is itself reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PREFIX = "-- dbflow:"


@dataclass
class Suppression:
    line: int
    rule_ids: tuple[str, ...]
    whole_file: bool
    reason: str
    covers: tuple[int, int] | None = None  # first and last line of the statement it applies to
    used: set[str] = field(default_factory=set)

    def applies_to(self, line: int) -> bool:
        """True when a finding on ``line`` is in what this suppression covers."""
        if self.whole_file:
            return True
        return self.covers is not None and self.covers[0] <= line <= self.covers[1]


def read_suppressions(text: str) -> list[Suppression]:
    """Every ``-- dbflow: ignore`` / ``ignore-file`` comment line in ``text``."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped.startswith(PREFIX):
            continue
        rest = stripped.removeprefix(PREFIX).strip()
        verb, _, arguments = rest.partition(" ")
        if verb not in ("ignore", "ignore-file"):
            continue
        ids: list[str] = []
        words = arguments.replace(",", ", ").split()
        reason_words: list[str] = []
        for word in words:
            token = word.rstrip(",")
            if not reason_words and looks_like_rule_id(token):
                ids.append(token)
            elif token:
                reason_words.append(word)
        found.append(Suppression(number, tuple(ids), verb == "ignore-file", " ".join(reason_words)))
    return found


def looks_like_rule_id(token: str) -> bool:
    """Three capital letters and two digits, like DAT01."""
    return len(token) == 5 and token[:3].isalpha() and token[:3].isupper() and token[3:].isdigit()
