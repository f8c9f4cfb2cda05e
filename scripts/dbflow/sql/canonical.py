"""The canonical form of SQL text: what an edit of an applied migration is judged by.

Two texts have the same canonical form exactly when they differ only in comments, in
whitespace, and in the case of keywords and unquoted names (which PostgreSQL folds to lower
case itself). Every constant, quoted name, operator, type modifier and role name counts.
The body of a SQL or PL/pgSQL function or DO block is compared by the same rules, token by
token; a body in any other language (plv8, plpython, ...) is compared character for
character, since its whitespace may matter. How the text is cut into statements does not
count, and neither do a file's own ``BEGIN;`` / ``COMMIT;``.
"""

from __future__ import annotations

from pglast import parser

from dbflow.sql.lexer import parser_safe

Canonical = tuple[str, ...]

_SEMICOLON = "ASCII_59"
_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_CODE_LANGUAGES = frozenset({"sql", "plpgsql"})
_TRANSACTION_CONTROL = frozenset(
    {
        ("begin",),
        ("begin", "work"),
        ("begin", "transaction"),
        ("start", "transaction"),
        ("commit",),
        ("commit", "work"),
        ("commit", "transaction"),
        ("end",),
        ("end", "work"),
        ("end", "transaction"),
    }
)  # fmt: skip  (a word list, several to a line)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def canonical_script(text: str) -> Canonical:
    """The canonical tokens of a script, statements separated by ``;``."""
    statements = _statements(text)
    flat: list[str] = []
    for statement in statements:
        if tuple(statement) in _TRANSACTION_CONTROL:
            continue
        flat.extend(_with_bodies(statement))
        flat.append(";")
    return tuple(flat)


def canonical_statements(statements: list[str]) -> Canonical:
    """:func:`canonical_script` of statements recorded one by one (as history keeps them)."""
    return canonical_script("".join(f"{statement}\n;\n" for statement in statements))


def _statements(text: str) -> list[list[str]]:
    tokens = _tokens(text)
    if tokens is None:
        return [[" ".join(text.split())]]
    statements: list[list[str]] = [[]]
    for token in tokens:
        if token == ";":
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _tokens(text: str) -> list[str] | None:
    """Tokens with comments dropped and folded case where PostgreSQL folds; None if unlexable."""
    safe, long_run = parser_safe(text)
    if long_run is not None:
        return None
    try:
        scanned = parser.scan(safe)
    except parser.ParseError:
        return None
    tokens: list[str] = []
    for token in scanned:
        if token.name in _COMMENTS:
            continue
        word = text[token.start : token.end + 1]
        if token.name == _SEMICOLON:
            tokens.append(";")
        elif token.kind != "NO_KEYWORD" or (token.name == "IDENT" and not word.startswith('"')):
            tokens.append(word.translate(_ASCII_LOWER))
        else:
            tokens.append(word)
    return tokens


def _with_bodies(statement: list[str]) -> list[str]:
    """``statement`` with a SQL or PL/pgSQL body replaced by its own canonical tokens."""
    head = [token for token in statement[:4] if token not in ("or", "replace")]
    is_function = head[:2] in (["create", "function"], ["create", "procedure"])
    is_do = head[:1] == ["do"]
    if not (is_function or is_do):
        return statement
    language = "plpgsql" if is_do else None
    for index, token in enumerate(statement[:-1]):
        if token == "language":
            language = _unquote(statement[index + 1]).translate(_ASCII_LOWER)
    if language not in _CODE_LANGUAGES:
        return statement
    result: list[str] = []
    for index, token in enumerate(statement):
        previous = statement[index - 1] if index else ""
        is_body = (is_do and previous in ("do", language)) or (is_function and previous == "as")
        body = _string_value(token) if is_body else None
        if body is None:
            result.append(token)
            continue
        inner = _tokens(body)
        if inner is None:
            result.append(token)
        else:
            result.extend(["<body>", *inner, "</body>"])
    return result


def _string_value(token: str) -> str | None:
    """The content of a dollar-quoted or plain quoted string token, else None."""
    if token.startswith("$"):
        tag_end = token.find("$", 1)
        tag = token[: tag_end + 1]
        if tag_end > 0 and token.endswith(tag) and len(token) >= 2 * len(tag):
            return token[len(tag) : -len(tag)]
        return None
    if len(token) >= 2 and token[0] == "'" and token[-1] == "'":
        return token[1:-1].replace("''", "'")
    return None


def _unquote(token: str) -> str:
    value = _string_value(token)
    return value if value is not None else token.strip('"')
