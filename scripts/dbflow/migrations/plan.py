"""Plan pending migrations before anything runs: statements, transaction mode, timeouts.

Every check that can fail without touching the database happens here, for all pending
files at once, so a bad file late in the list stops the run before the first file applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbflow.errors import DbflowError
from dbflow.migrations.discovery import MigrationFile
from dbflow.sql.classify import needs_autocommit, transaction_control
from dbflow.sql.statements import Statement


class MigrationError(DbflowError):
    """A migration cannot be planned or applied; nothing of the failing file is kept."""


@dataclass(frozen=True)
class PlannedMigration:
    migration: MigrationFile
    statements: tuple[Statement, ...]
    autocommit_reason: str | None  # set: runs outside a transaction (one statement only)
    lock_timeout: str
    statement_timeout: str
    notes: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        if self.autocommit_reason:
            return f"no transaction ({self.autocommit_reason})"
        return "transaction"


def plan_migration(
    migration: MigrationFile,
    *,
    server_version_num: int,
    lock_timeout: str,
    statement_timeout: str,
) -> PlannedMigration:
    """How ``migration`` will run; raises MigrationError naming the file and line if it can't."""
    statements = list(migration.statements)
    notes: list[str] = []
    controls = [transaction_control(statement.node) for statement in statements]
    if controls and controls[0] == "begin" and controls[-1] == "commit" and len(controls) >= 2:
        statements = statements[1:-1]
        controls = controls[1:-1]
        notes.append("its own BEGIN/COMMIT is honoured: the file runs as one transaction")
    for statement, control in zip(statements, controls, strict=True):
        if control is not None:
            raise MigrationError(
                f"{migration.path}:{statement.line}:{statement.column}: "
                f"transaction control inside a migration ({statement.text.split()[0].upper()})",
                detail="dbflow runs each file in one transaction of its own; a COMMIT or "
                "ROLLBACK in the middle would split it and break the all-or-nothing promise",
                hint="remove it; a file may only be wrapped whole in BEGIN; ... COMMIT;",
            )
    reasons = [
        (statement, needs_autocommit(statement.node, server_version_num))
        for statement in statements
    ]
    outside = [(statement, reason) for statement, reason in reasons if reason]
    if outside and len(statements) > 1:
        statement, reason = outside[0]
        raise MigrationError(
            f"{migration.path}:{statement.line}:{statement.column}: {reason} cannot run inside "
            f"a transaction, and this file has {len(statements)} statements",
            detail="a statement that cannot run in a transaction must be alone in its file",
            hint="move it into a migration file of its own (inv db.new NAME)",
        )
    if outside and notes:
        raise MigrationError(
            f"{migration.path}: {outside[0][1]} cannot run inside the file's BEGIN/COMMIT",
            hint="remove BEGIN; and COMMIT; from the file",
        )
    directives = migration.directives
    return PlannedMigration(
        migration=migration,
        statements=tuple(statements),
        autocommit_reason=outside[0][1] if outside else None,
        lock_timeout=directives.get("lock_timeout", lock_timeout),
        statement_timeout=directives.get("statement_timeout", statement_timeout),
        notes=tuple(notes),
    )
