"""CREATE INDEX CONCURRENTLY outside a transaction: finding what an interrupted run left.

Such a file commits its index before its history row is written. A run stopped during the
build leaves an INVALID index; a run stopped after the build and before the history row
leaves a valid one and no record. Before the file runs again, :func:`resume_index` looks:
an INVALID index nobody is building is dropped and built again; a valid index that is what
the file defines is recorded without being built twice; anything else is a clear error that
says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import sql

from dbflow.connection import Conn
from dbflow.migrations.plan import MigrationError, PlannedMigration
from dbflow.sql.parse import Statement, first_statement
from dbflow.sql.tree import quote_ident

Resume = Literal["build", "present"]


@dataclass(frozen=True)
class ExistingIndex:
    oid: int
    schema: str
    name: str
    table: tuple[str, str]
    valid: bool
    definition: str

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


def resume_index(conn: Conn, plan: PlannedMigration, statement: Statement, notify: Any) -> Resume:
    """Whether to build the index of ``statement`` (a CREATE INDEX CONCURRENTLY of ``plan``) or
    to go on without it, after cleaning up what an interrupted earlier run left."""
    wanted = _index_statement(statement.text)
    if wanted is None or not wanted.get("idxname"):
        return "build"
    existing = find_index(conn, wanted)
    if existing is None:
        return "build"
    where = f"{plan.migration.path}:{statement.line}:{statement.column}"
    if not existing.valid:
        builder = conn.execute(
            "SELECT pid FROM pg_stat_progress_create_index WHERE index_relid = %s",
            (existing.oid,),
        ).fetchone()
        if builder is not None:
            raise MigrationError(
                f"{where}: index {existing.qualified} is being built right now by another "
                f"session (pid {builder[0]})",
                detail="nothing was applied",
                hint="wait for that build to finish, then run again",
            )
        notify(
            f"{existing.qualified} is an INVALID index left by an interrupted build: "
            "dropping it and building it again"
        )
        conn.execute(
            sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
                sql.Identifier(existing.schema, existing.name)
            )
        )
        return "build"
    if _same_index(wanted, existing):
        notify(
            f"{existing.qualified} already exists, valid and as {plan.migration.path.name} "
            "defines it (an earlier run stopped before recording it): not built again"
        )
        return "present"
    raise MigrationError(
        f"{where}: index {existing.qualified} already exists with another definition",
        detail=f"in the database: {existing.definition}\nin the file: {statement.text}\n"
        "nothing was applied",
        hint=f"if the database's index is the one you want, record the file with inv db.repair "
        f"{plan.migration.version} --status applied; otherwise drop it (DROP INDEX CONCURRENTLY "
        f"{existing.qualified};) and run again, or give the file's index another name",
    )


def interrupted_outcome(conn: Conn, statement: Statement) -> str:
    """What a failed CREATE INDEX CONCURRENTLY left behind, for the error message."""
    wanted = _index_statement(statement.text)
    try:
        existing = find_index(conn, wanted) if wanted and wanted.get("idxname") else None
    except psycopg.Error:
        return "it may have left an INVALID index: inv db.up looks for one and drops it"
    if existing is None:
        return "it left no index behind"
    if existing.valid:
        return f"the index {existing.qualified} exists and is valid"
    return (
        f"it left the INVALID index {existing.qualified}: the next inv db.up drops it and "
        "builds it again"
    )


def find_index(conn: Conn, wanted: dict[str, Any]) -> ExistingIndex | None:
    """The index named by an IndexStmt, in its table's schema, if it exists."""
    relation = wanted.get("relation", {})
    schema = relation.get("schemaname")
    if schema is None:
        row = conn.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass(quote_ident(%s))",
            (relation.get("relname", ""),),
        ).fetchone()
        if row is None:
            return None
        schema = row[0]
    row = conn.execute(
        "SELECT c.oid, i.indisvalid, pg_get_indexdef(c.oid), tn.nspname, t.relname "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE c.relname = %s AND n.nspname = %s",
        (wanted["idxname"], schema),
    ).fetchone()
    if row is None:
        return None
    return ExistingIndex(
        int(row[0]), schema, wanted["idxname"], (row[3], row[4]), bool(row[1]), row[2]
    )


def _same_index(wanted: dict[str, Any], existing: ExistingIndex) -> bool:
    """True when the database's index is what the statement defines (as the parser reads
    both; a difference in how an expression is written counts as different)."""
    actual = _index_statement(existing.definition)
    if actual is None:
        return False
    relation = wanted.get("relation", {})
    table = (relation.get("schemaname") or existing.table[0], relation.get("relname"))
    return table == existing.table and bool(_comparable(wanted) == _comparable(actual))


def _comparable(node: dict[str, Any]) -> Any:
    trimmed = {
        key: value
        for key, value in node.items()
        if key not in ("concurrent", "if_not_exists", "relation")
    }
    return _without_locations(trimmed)


def _without_locations(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_locations(v) for k, v in value.items() if k != "location"}
    if isinstance(value, list):
        return [_without_locations(item) for item in value]
    return value


def _index_statement(text: str) -> dict[str, Any] | None:
    statement = first_statement(text)
    if statement is None or statement.kind != "IndexStmt":
        return None
    return statement.node
