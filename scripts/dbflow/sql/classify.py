"""What a statement needs from the runner: a transaction or not, and transaction control."""

from __future__ import annotations

from typing import Any

# ALTER TYPE ... ADD VALUE may run in a transaction block from PostgreSQL 12 on.
_ENUM_ADD_VALUE_IN_TRANSACTION_SINCE = 120000


def needs_autocommit(node: Any, server_version_num: int) -> str | None:
    """Why ``node`` (a pglast AST node) cannot run inside a transaction block, or None."""
    from pglast import ast  # the AST classes cost 20 ms to import; the validator never needs them

    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and any(
        isinstance(param, ast.DefElem) and param.defname == "concurrently"
        for param in node.params or ()
    ):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.AlterEnumStmt) and node.newVal is not None:
        if server_version_num < _ENUM_ADD_VALUE_IN_TRANSACTION_SINCE:
            return "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)"
        return None
    if isinstance(node, ast.CreatedbStmt | ast.DropdbStmt):
        return "CREATE/DROP DATABASE"
    if isinstance(node, ast.AlterSystemStmt):
        return "ALTER SYSTEM"
    if isinstance(node, ast.CreateTableSpaceStmt | ast.DropTableSpaceStmt):
        return "CREATE/DROP TABLESPACE"
    return None


def transaction_control(node: Any) -> str | None:
    """'begin', 'commit', 'rollback' or 'other' (chained or two-phase) for statements that
    open or end a transaction; None for every other statement, savepoints included."""
    from pglast import ast, enums

    if not isinstance(node, ast.TransactionStmt):
        return None
    kind = enums.TransactionStmtKind
    if node.kind in (
        kind.TRANS_STMT_SAVEPOINT,
        kind.TRANS_STMT_RELEASE,
        kind.TRANS_STMT_ROLLBACK_TO,
    ):
        return None
    if node.chain:
        return "other"
    if node.kind in (kind.TRANS_STMT_BEGIN, kind.TRANS_STMT_START):
        return "begin"
    if node.kind == kind.TRANS_STMT_COMMIT:
        return "commit"
    if node.kind == kind.TRANS_STMT_ROLLBACK:
        return "rollback"
    return "other"


def needs_autocommit_json(kind: str, node: dict[str, Any], server_version_num: int) -> str | None:
    """:func:`needs_autocommit` for a libpg_query JSON parse tree (``kind``, ``node``)."""
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
    return {
        "CreatedbStmt": "CREATE/DROP DATABASE",
        "DropdbStmt": "CREATE/DROP DATABASE",
        "AlterSystemStmt": "ALTER SYSTEM",
        "CreateTableSpaceStmt": "CREATE/DROP TABLESPACE",
        "DropTableSpaceStmt": "CREATE/DROP TABLESPACE",
    }.get(kind)


def transaction_control_json(kind: str, node: dict[str, Any]) -> str | None:
    """:func:`transaction_control` for a JSON parse tree."""
    if kind != "TransactionStmt":
        return None
    statement_kind = node.get("kind", "TRANS_STMT_BEGIN")
    if statement_kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        return "begin"
    if statement_kind == "TRANS_STMT_COMMIT":
        return "commit"
    if statement_kind in ("TRANS_STMT_SAVEPOINT", "TRANS_STMT_RELEASE", "TRANS_STMT_ROLLBACK_TO"):
        return None
    return "other"
