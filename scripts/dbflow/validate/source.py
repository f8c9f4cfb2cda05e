"""A migration file as the validator sees it: where it is, how it is shown, and its parse
(by the one SQL front end, :mod:`dbflow.sql.parse`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from dbflow.sql.parse import OpaqueSql, Script, Statement, SyntaxProblem, parse_script
from dbflow.sql.statements import Position


@dataclass
class SourceFile:
    path: Path
    display: str
    script: Script = field(default_factory=lambda: Script(""))

    @property
    def text(self) -> str:
        return self.script.text

    @property
    def statements(self) -> list[Statement]:
        return self.script.statements

    @property
    def syntax_problems(self) -> list[SyntaxProblem]:
        return self.script.syntax_problems

    @property
    def opaque(self) -> list[OpaqueSql]:
        return self.script.opaque

    @property
    def embedded(self) -> list[Statement]:
        return self.script.embedded

    def position(self, offset: int) -> Position:
        return self.script.position(offset)

    @cached_property
    def ordered(self) -> list[Statement]:
        """Statements in the order they run: each top-level statement followed by the
        statements of its DO block or PL/pgSQL body."""
        if not self.embedded:
            return self.statements
        nested: dict[int, list[Statement]] = defaultdict(list)
        for statement in self.embedded:
            nested[statement.offset].append(statement)
        ordered: list[Statement] = []
        for statement in self.statements:
            ordered.append(statement)
            ordered.extend(nested.get(statement.offset, []))
        return ordered


def parse_file(path: Path, display: str, text: str) -> SourceFile:
    """Parse ``text`` (the content of ``path``) into a SourceFile."""
    return SourceFile(path, display, parse_script(text))
