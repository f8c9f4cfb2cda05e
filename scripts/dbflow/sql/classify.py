"""What a statement needs from the runner: a transaction or not, and transaction control."""

from __future__ import annotations

from dbflow.sql.tree import Node

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
