"""What a statement needs from the runner: a transaction or not, and transaction control."""

from __future__ import annotations

from typing import Any

from pglast import ast, enums

# ALTER TYPE ... ADD VALUE may run in a transaction block from PostgreSQL 12 on.
_ENUM_ADD_VALUE_IN_TRANSACTION_SINCE = 120000


def needs_autocommit(node: Any, server_version_num: int) -> str | None:
    """Why ``node`` cannot run inside a transaction block, or None if it can."""
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
    """'begin', 'commit' or 'other' for statements that open or end a transaction."""
    if not isinstance(node, ast.TransactionStmt):
        return None
    kind = enums.TransactionStmtKind
    if node.kind in (kind.TRANS_STMT_BEGIN, kind.TRANS_STMT_START):
        return "begin"
    if node.kind == kind.TRANS_STMT_COMMIT:
        return "commit"
    if node.kind in (
        kind.TRANS_STMT_SAVEPOINT,
        kind.TRANS_STMT_RELEASE,
        kind.TRANS_STMT_ROLLBACK_TO,
    ):
        return None
    return "other"
