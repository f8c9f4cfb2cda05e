"""Parse a migration file once into statements (JSON parse trees) with 1-based positions.

libpg_query's JSON output is used rather than Python node objects: it is several times
faster, and rules read plain dicts. A file with a syntax error is cut at its top-level
semicolons (:mod:`dbflow.sql.lexer`) and each piece parsed alone, so one error does not hide
the rest of the file.
Statements inside DO blocks and PL/pgSQL function bodies are extracted too, with their lines
mapped back to the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pglast import parser

from dbflow.sql.lexer import parser_safe, split_pieces
from dbflow.sql.statements import LineIndex, Position, short_reason, skip_blanks_and_comments

Node = dict[str, Any]

_EXCERPT_LIMIT = 2000  # characters of a statement that does not parse, kept for the report


@dataclass(frozen=True)
class ParsedStatement:
    """One statement: its node kind and body, text and where it starts."""

    kind: str
    node: Node
    text: str
    line: int
    column: int
    offset: int
    context: str | None = None  # "DO block" or "function body" for embedded statements
    parse_base: int = 0  # character offset in the file of the text the parser saw

    @property
    def embedded(self) -> bool:
        return self.context is not None


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    position: Position
    text: str


@dataclass(frozen=True)
class OpaqueSql:
    """A dynamic EXECUTE inside PL/pgSQL: SQL that cannot be checked statically."""

    line: int
    query: str


@dataclass
class SourceFile:
    path: Path
    display: str
    text: str
    statements: list[ParsedStatement] = field(default_factory=list)
    lines: LineIndex | None = field(default=None, repr=False)
    syntax_problems: list[SyntaxProblem] = field(default_factory=list)
    opaque: list[OpaqueSql] = field(default_factory=list)
    embedded: list[ParsedStatement] = field(default_factory=list)

    def position(self, offset: int) -> Position:
        """1-based line and column of a character offset in this file."""
        if self.lines is None:
            self.lines = LineIndex(self.text)
        return self.lines.position(offset)


def parse_file(path: Path, display: str, text: str) -> SourceFile:
    """Parse ``text`` (the content of ``path``) into a SourceFile."""
    source = SourceFile(path, display, text, lines=LineIndex(text))
    safe, long_run = parser_safe(text)
    try:
        if long_run is not None:
            raise parser.ParseError("operator too long", long_run)
        tree = json.loads(parser.parse_sql_json(safe))
    except parser.ParseError:
        _parse_piecewise(source, safe)
    else:
        _collect(source, tree.get("stmts", []), text, base_offset=0)
    for statement in list(source.statements):
        _extract_plpgsql(source, statement)
    return source


def _collect(source: SourceFile, raw: list[Node], text: str, base_offset: int) -> None:
    encoded = None if text.isascii() else text.encode("utf-8")
    for item in raw:
        start_byte = item.get("stmt_location", 0)
        length = item.get("stmt_len")
        if encoded is None:
            start, end = start_byte, (start_byte + length if length else len(text))
        else:
            start = len(encoded[:start_byte].decode("utf-8", "ignore"))
            end = (
                len(encoded[: start_byte + length].decode("utf-8", "ignore"))
                if length
                else len(text)
            )
        start = skip_blanks_and_comments(text, start)
        statement_text = text[start:end].strip()
        ((kind, body),) = item["stmt"].items()
        absolute = base_offset + start
        position = source.position(absolute)
        source.statements.append(
            ParsedStatement(
                kind, body, statement_text, position.line, position.column, absolute,
                parse_base=base_offset,
            )
        )  # fmt: skip


def _parse_piecewise(source: SourceFile, safe: str) -> None:
    """Parse each piece between top-level semicolons alone, so one error hides nothing else."""
    for start, end in split_pieces(safe):
        piece, long_run = parser_safe(safe[start:end])
        try:
            if long_run is not None:
                raise parser.ParseError("a run of operator characters too long to be SQL", long_run)
            tree = json.loads(parser.parse_sql_json(piece))
        except parser.ParseError as exc:
            message = short_reason(str(exc.args[0]))
            location = exc.args[1] if len(exc.args) > 1 else None
            at = location if isinstance(location, int) else len(piece.rstrip())
            text = source.text[start:end].strip()
            if len(text) > _EXCERPT_LIMIT:
                text = text[:_EXCERPT_LIMIT] + "..."
            source.syntax_problems.append(SyntaxProblem(message, source.position(start + at), text))
        else:
            _collect(source, tree.get("stmts", []), source.text[start:end], base_offset=start)
    source.statements.sort(key=lambda statement: statement.offset)


def _extract_plpgsql(source: SourceFile, statement: ParsedStatement) -> None:
    if statement.kind == "DoStmt":
        language, body = _options(statement.node.get("args", []))
        if language not in (None, "plpgsql") or body is None:
            return
        wrapper = (
            "CREATE FUNCTION dbflow_do_block() RETURNS void AS $dbflow$\n"
            f"{body}\n$dbflow$ LANGUAGE plpgsql"
        )
        line_shift = -1  # the wrapper adds one line before the body
        context = "DO block"
    elif statement.kind == "CreateFunctionStmt":
        language, body = _options(statement.node.get("options", []))
        if language != "plpgsql" or body is None:
            return
        wrapper = statement.text
        line_shift = 0
        context = "function body"
    else:
        return
    body_at = statement.text.find(body)
    if body_at < 0:
        return
    body_line = source.position(statement.offset + body_at).line
    wrapper, long_run = parser_safe(wrapper)
    if long_run is not None:
        return
    try:
        functions = json.loads(parser.parse_plpgsql_json(wrapper))
    except (parser.ParseError, ValueError):
        return
    for lineno, kind, query in _plpgsql_statements(functions):
        line = body_line + lineno - 1 + line_shift
        if kind == "dynamic":
            source.opaque.append(OpaqueSql(line, query))
            continue
        try:
            tree = json.loads(parser.parse_sql_json(query))
        except parser.ParseError:
            continue
        for item in tree.get("stmts", []):
            ((node_kind, node_body),) = item["stmt"].items()
            source.embedded.append(
                ParsedStatement(node_kind, node_body, query, line, 1, statement.offset, context)
            )


def _options(options: list[Node]) -> tuple[str | None, str | None]:
    language = body = None
    for option in options:
        element = option.get("DefElem", {})
        arg = element.get("arg", {})
        if element.get("defname") == "language":
            language = arg.get("String", {}).get("sval")
        elif element.get("defname") == "as":
            if "String" in arg:
                body = arg["String"].get("sval")
            else:
                items = arg.get("List", {}).get("items", [])
                if items:
                    body = items[0].get("String", {}).get("sval")
    return language, body


def _plpgsql_statements(tree: Any) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            execsql = value.get("PLpgSQL_stmt_execsql")
            if execsql is not None:
                query = execsql.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
                found.append((execsql.get("lineno", 1), "sql", query))
            dynamic = value.get("PLpgSQL_stmt_dynexecute")
            if dynamic is not None:
                query = dynamic.get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
                found.append((dynamic.get("lineno", 1), "dynamic", query))
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(tree)
    return found
