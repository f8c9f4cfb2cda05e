"""The one SQL front end: text in, statements out, each with its parse tree and position.

Every module that reads SQL reads it here. Parsing is PostgreSQL's own (libpg_query through
pglast), in one tree form: libpg_query's JSON, read into dicts (several times faster than
pglast's node objects). :mod:`dbflow.sql.tree` has the small readers rules and planners use on
those trees. A file whose parse fails is cut at its top-level semicolons (:mod:`dbflow.sql.lexer`)
and each piece parsed alone, so one error hides nothing else; statements inside DO blocks and
PL/pgSQL function bodies are extracted with their lines mapped back to the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
from pglast import parser

from dbflow.sql.lexer import parser_safe, split_pieces
from dbflow.sql.statements import (
    LineIndex,
    Position,
    SqlSyntaxError,
    position_at,
    short_reason,
    skip_blanks_and_comments,
)
from dbflow.sql.tree import Node, Tree, all_nodes

_EXCERPT_LIMIT = 2000  # characters of a statement that does not parse, kept for the report


@dataclass(frozen=True)
class Statement:
    """One statement: its node kind and tree, its text and where it starts in its file."""

    kind: str
    node: Tree
    text: str
    line: int
    column: int
    offset: int  # character offset of the statement's first character in its file
    context: str | None = None  # "DO block" or "function body" for embedded statements
    parse_base: int = 0  # character offset in the file of the text the parser saw
    # For a statement inside PL/pgSQL IF blocks: each enclosing IF's condition, and whether
    # the statement runs when it is true (the THEN branch) or false (the ELSE branch); a
    # condition of "" cannot be read (an ELSIF chain).
    guards: tuple[tuple[str, bool], ...] = ()

    @property
    def embedded(self) -> bool:
        return self.context is not None

    @cached_property
    def nodes(self) -> list[tuple[str, Node]]:
        """Every (kind, body) node of the statement, itself first, in :func:`walk`'s order:
        read once, shared by every reader of the whole statement."""
        return all_nodes({self.kind: self.node})


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
class Script:
    """A parsed file: its statements, what did not parse, and what PL/pgSQL bodies hold."""

    text: str
    statements: list[Statement] = field(default_factory=list)
    lines: LineIndex | None = field(default=None, repr=False)
    syntax_problems: list[SyntaxProblem] = field(default_factory=list)
    opaque: list[OpaqueSql] = field(default_factory=list)
    embedded: list[Statement] = field(default_factory=list)

    def position(self, offset: int) -> Position:
        """1-based line and column of a character offset in this file."""
        if self.lines is None:
            self.lines = LineIndex(self.text)
        return self.lines.position(offset)


def _decoded(tree_json: str) -> Any:
    """libpg_query's JSON as dicts and lists: orjson (several times faster than json, and the
    trees are most of a cold run's reading), json where orjson refuses a value."""
    try:
        return orjson.loads(tree_json)
    except orjson.JSONDecodeError:
        return json.loads(tree_json)


def parse_script(text: str, *, plpgsql: bool = True) -> Script:
    """Parse ``text`` whole: statements, syntax problems (the rest still parsed) and, with
    ``plpgsql``, the statements inside DO blocks and PL/pgSQL functions."""
    script = Script(text, lines=LineIndex(text))
    safe, long_run = parser_safe(text)
    try:
        if long_run is not None:
            raise parser.ParseError("operator too long", long_run)
        tree = _decoded(parser.parse_sql_json(safe))
    except parser.ParseError:
        _parse_piecewise(script, safe)
    else:
        _collect(script, tree.get("stmts", []), text, base_offset=0)
    if plpgsql:
        for statement in list(script.statements):
            _extract_plpgsql(script, statement)
    return script


def split_statements(text: str, source_name: str | None = None) -> list[Statement]:
    """Every statement of ``text``; the first syntax error raises :class:`SqlSyntaxError`
    naming ``source_name``, line and column."""
    safe, long_run = parser_safe(text)
    if long_run is not None:
        raise SqlSyntaxError(
            "a run of operator characters too long to be SQL",
            position_at(text, long_run),
            source_name,
        )
    try:
        tree = _decoded(parser.parse_sql_json(safe))
    except parser.ParseError as exc:
        location = exc.args[1] if len(exc.args) > 1 else None
        offset = location if isinstance(location, int) else len(text.rstrip())
        raise SqlSyntaxError(str(exc.args[0]), position_at(text, offset), source_name) from None
    script = Script(text, lines=LineIndex(text))
    _collect(script, tree.get("stmts", []), text, base_offset=0)
    return script.statements


def first_statement(text: str) -> Statement | None:
    """The first statement of ``text``, or None when it does not parse."""
    try:
        statements = split_statements(text)
    except SqlSyntaxError:
        return None
    return statements[0] if statements else None


def parse_expression(text: str) -> Node | None:
    """The parse tree of a scalar expression (a CHECK's, say), or None when it does not parse."""
    statement = first_statement(f"SELECT {text}")
    if statement is None or statement.kind != "SelectStmt":
        return None
    targets = statement.node.get("targetList") or [{}]
    value: Node | None = targets[0].get("ResTarget", {}).get("val")
    return value


def plpgsql_queries(function_sql: str) -> list[tuple[int, str, str]]:
    """The SQL a PL/pgSQL function runs, as (line within the function's text, "sql" or
    "dynamic", query). ``function_sql`` is a whole CREATE FUNCTION statement."""
    functions = _plpgsql_tree(function_sql)
    if functions is None:
        return []
    return [(line, kind, query) for line, kind, query, _ in _plpgsql_statements(functions)]


def _plpgsql_tree(function_sql: str) -> Any | None:
    """PL/pgSQL's parse of a CREATE FUNCTION statement, or None when it does not parse."""
    wrapper, long_run = parser_safe(function_sql)
    if long_run is not None:
        return None
    try:
        return _decoded(parser.parse_plpgsql_json(wrapper))
    except (parser.ParseError, ValueError):
        return None


def plpgsql_expressions(function_sql: str) -> list[Node]:
    """The parse trees of every SQL expression and query a PL/pgSQL function holds (its
    statements, assignments, conditions, PERFORM and RETURN QUERY), for reading the names it
    uses. ``function_sql`` is a whole CREATE FUNCTION statement."""
    functions = _plpgsql_tree(function_sql)
    if functions is None:
        return []
    trees: list[Node] = []
    stack: list[Any] = [functions]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            expression = value.get("PLpgSQL_expr")
            if isinstance(expression, dict):
                trees.extend(_expression_trees(str(expression.get("query", ""))))
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return trees


def _expression_trees(query: str) -> list[Node]:
    """A PL/pgSQL expression's trees: a query as it is, ``x := expr`` and a bare expression
    as SELECT expr."""
    target, assigns, value = query.partition(":=")
    candidates = [query, f"SELECT {value}" if assigns and target.strip() else f"SELECT {query}"]
    for candidate in candidates:
        try:
            tree = _decoded(parser.parse_sql_json(candidate))
        except parser.ParseError:
            continue
        return [item["stmt"] for item in tree.get("stmts", [])]
    return []


def plpgsql_wrapper(body: str, returns: str = "void") -> str:
    """A CREATE FUNCTION around a PL/pgSQL body (a DO block's, a trigger's), for the parser:
    the body starts on its second line."""
    return (
        f"CREATE FUNCTION dbflow_probe() RETURNS {returns} AS $dbflow$\n"
        f"{body}\n$dbflow$ LANGUAGE plpgsql"
    )


def _collect(source: Script, raw: list[Node], text: str, base_offset: int) -> None:
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
            Statement(
                kind,
                Tree(body),
                statement_text,
                position.line,
                position.column,
                absolute,
                parse_base=base_offset,
            )
        )


def _parse_piecewise(source: Script, safe: str) -> None:
    """Parse each piece between top-level semicolons alone, so one error hides nothing else."""
    for start, end in split_pieces(safe):
        piece, long_run = parser_safe(safe[start:end])
        try:
            if long_run is not None:
                raise parser.ParseError("a run of operator characters too long to be SQL", long_run)
            tree = _decoded(parser.parse_sql_json(piece))
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


def _extract_plpgsql(source: Script, statement: Statement) -> None:
    if statement.kind == "DoStmt":
        language, body = language_and_body(statement.node.get("args", []))
        if language not in (None, "plpgsql") or body is None:
            return
        wrapper = plpgsql_wrapper(body)
        line_shift = -1  # the wrapper adds one line before the body
        context = "DO block"
    elif statement.kind == "CreateFunctionStmt":
        language, body = language_and_body(statement.node.get("options", []))
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
    for lineno, kind, query, guards in _guarded_queries(wrapper):
        line = body_line + lineno - 1 + line_shift
        if kind == "dynamic":
            source.opaque.append(OpaqueSql(line, query))
            continue
        try:
            tree = _decoded(parser.parse_sql_json(query))
        except parser.ParseError:
            continue
        for item in tree.get("stmts", []):
            ((node_kind, node_body),) = item["stmt"].items()
            tree_node = Tree(node_body)
            source.embedded.append(
                Statement(
                    node_kind, tree_node, query, line, 1, statement.offset, context, 0, guards
                )
            )


def language_and_body(options: list[Node]) -> tuple[str | None, str | None]:
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


def _guarded_queries(function_sql: str) -> list[tuple[int, str, str, Guards]]:
    functions = _plpgsql_tree(function_sql)
    return [] if functions is None else _plpgsql_statements(functions)


Guards = tuple[tuple[str, bool], ...]


def _plpgsql_statements(tree: Any) -> list[tuple[int, str, str, Guards]]:
    """(line, "sql" or "dynamic", query, the IF conditions around it) of each statement."""
    found: list[tuple[int, str, str, Guards]] = []

    def condition(node: Any) -> str:
        return str(node.get("cond", {}).get("PLpgSQL_expr", {}).get("query", ""))

    def walk(value: Any, guards: Guards) -> None:
        if isinstance(value, list):
            for child in value:
                walk(child, guards)
            return
        if not isinstance(value, dict):
            return
        execsql = value.get("PLpgSQL_stmt_execsql")
        if execsql is not None:
            query = execsql.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query", "")
            found.append((execsql.get("lineno", 1), "sql", query, guards))
        dynamic = value.get("PLpgSQL_stmt_dynexecute")
        if dynamic is not None:
            query = dynamic.get("query", {}).get("PLpgSQL_expr", {}).get("query", "")
            found.append((dynamic.get("lineno", 1), "dynamic", query, guards))
        branch = value.get("PLpgSQL_stmt_if")
        if branch is not None:
            test = condition(branch)
            chain = branch.get("elsif_list") or []
            walk(branch.get("then_body"), (*guards, (test, True)))
            for elsif in chain:  # an ELSIF runs under conditions that cannot be read here
                walk(elsif.get("PLpgSQL_if_elsif", {}).get("stmts"), (*guards, ("", True)))
            walk(branch.get("else_body"), (*guards, ("" if chain else test, False)))
            return
        for child in value.values():
            walk(child, guards)

    walk(tree, ())
    return found
