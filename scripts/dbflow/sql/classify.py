"""What a statement needs from the runner: a transaction or not, and transaction control."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dbflow.sql.tree import Node, function_calls, string_constants, string_value

# ALTER TYPE ... ADD VALUE may run in a transaction block from PostgreSQL 12 on.
_ENUM_ADD_VALUE_IN_TRANSACTION_SINCE = 120000
_OUTSIDE = {
    "CreatedbStmt": "CREATE/DROP DATABASE",
    "DropdbStmt": "CREATE/DROP DATABASE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreateTableSpaceStmt": "CREATE/DROP TABLESPACE",
    "DropTableSpaceStmt": "CREATE/DROP TABLESPACE",
}


def needs_autocommit(kind: str, node: Node, server_version_num: int) -> str | None:
    """Why a statement (its ``kind`` and parse tree) cannot run in a transaction, or None."""
    if kind == "IndexStmt" and node.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and node.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and any(
        param.get("DefElem", {}).get("defname") == "concurrently"
        for param in node.get("params", []) or []
    ):
        return "REINDEX CONCURRENTLY"
    if kind == "VacuumStmt" and node.get("is_vacuumcmd"):
        return "VACUUM"
    if kind == "AlterEnumStmt" and node.get("newVal") is not None:
        if server_version_num < _ENUM_ADD_VALUE_IN_TRANSACTION_SINCE:
            return "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)"
        return None
    return _OUTSIDE.get(kind)


def transaction_control(kind: str, node: Node) -> str | None:
    """'begin', 'commit', 'rollback' or 'other' (chained or two-phase) for statements that
    open or end a transaction; None for every other statement, savepoints included."""
    if kind != "TransactionStmt":
        return None
    statement_kind = node.get("kind", "TRANS_STMT_BEGIN")
    if statement_kind in ("TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"):
        return None
    if node.get("chain"):
        return "other"
    if statement_kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        return "begin"
    if statement_kind == "TRANS_STMT_COMMIT":
        return "commit"
    if statement_kind == "TRANS_STMT_ROLLBACK":
        return "rollback"
    return "other"


def adds_enum_value(kind: str, node: Node) -> bool:
    """ALTER TYPE ... ADD VALUE: the new value must be committed before it can be used."""
    return kind == "AlterEnumStmt" and node.get("newVal") is not None


@dataclass(frozen=True)
class TransactionScope:
    """What a statement leaves behind that lasts only until its transaction ends: settings
    made for the transaction (``SET LOCAL``, ``set_config(name, value, true)``) and temporary
    tables created ``ON COMMIT DROP`` or ``ON COMMIT DELETE ROWS``."""

    settings: frozenset[str] = frozenset()
    # a set_config whose name the text does not give, or one inside a DO block
    unnamed_settings: bool = False
    temp_tables: tuple[tuple[str, bool], ...] = ()  # (name, True: dropped / False: emptied)


_NO_SCOPE = TransactionScope()
_FALSE_WORDS = frozenset({"false", "f", "off", "no", "0", ""})


def transaction_scope(kind: str, node: Node) -> TransactionScope:
    """The transaction-scoped state the statement (its ``kind`` and tree) sets."""
    if kind == "VariableSetStmt":
        if node.get("is_local") and node.get("name"):
            return TransactionScope(settings=frozenset({str(node["name"]).lower()}))
        return _NO_SCOPE
    if kind == "CreateStmt":
        return _temp_table(node.get("relation"), node.get("oncommit"))
    if kind == "CreateTableAsStmt":
        into = node.get("into") or {}
        return _temp_table(into.get("rel"), into.get("onCommit"))
    if kind == "DoStmt":
        return _do_block_scope(node)
    settings: set[str] = set()
    unnamed = False
    for name, call in function_calls(node):
        if not name or name[-1] != "set_config" or len(call.get("args") or []) != 3:
            continue
        setting, _, is_local = call["args"]
        local = _constant(is_local)
        if local is not None and local.lower() in _FALSE_WORDS:
            continue
        named = _constant(setting)
        if named is None:
            unnamed = True
        else:
            settings.add(named.lower())
    if not settings and not unnamed:
        return _NO_SCOPE
    return TransactionScope(settings=frozenset(settings), unnamed_settings=unnamed)


def _do_block_scope(node: Node) -> TransactionScope:
    """What the SQL inside a DO block sets for the transaction; unnamed when its text
    mentions set_config or SET LOCAL where the parse does not show it (dynamic SQL)."""
    from dbflow.sql.parse import plpgsql_expressions, plpgsql_wrapper

    body = "\n".join(string_constants(node.get("args")))
    lowered = body.lower()
    if "set_config" not in lowered and "local" not in lowered and "temp" not in lowered:
        return _NO_SCOPE
    settings: set[str] = set()
    temp_tables: list[tuple[str, bool]] = []
    for tree in plpgsql_expressions(plpgsql_wrapper(body)):
        for kind, inner in tree.items():
            scope = transaction_scope(kind, inner)
            settings |= scope.settings
            temp_tables.extend(scope.temp_tables)
    unnamed = not settings and ("set_config" in lowered or "set local" in lowered)
    return TransactionScope(frozenset(settings), unnamed, tuple(temp_tables))


def _temp_table(relation: Node | None, on_commit: str | None) -> TransactionScope:
    if not relation or relation.get("relpersistence") != "t":
        return _NO_SCOPE
    if on_commit not in ("ONCOMMIT_DROP", "ONCOMMIT_DELETE_ROWS"):
        return _NO_SCOPE
    return TransactionScope(temp_tables=((str(relation["relname"]), on_commit == "ONCOMMIT_DROP"),))


def _constant(arg: Any) -> str | None:
    """A literal argument's text ('' for false); None when it is not a literal."""
    if not isinstance(arg, dict):
        return None
    if "TypeCast" in arg:
        return _constant(arg["TypeCast"].get("arg"))
    constant = arg.get("A_Const")
    if constant is None:
        return None
    if "boolval" in constant:
        return "true" if constant["boolval"].get("boolval") else "false"
    return string_value(arg)
