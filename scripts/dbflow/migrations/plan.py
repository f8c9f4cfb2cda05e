"""Plan pending migrations before anything runs: statements, transaction mode, timeouts.

Every check that can fail without touching the database happens here, for all pending
files at once, so a bad file late in the list stops the run before the first file applies.

A file applies wherever the Supabase CLI applies it. Its own ``BEGIN; ... COMMIT;`` blocks,
anywhere in the file, run inside the file's one transaction as savepoints (a ``ROLLBACK``
undoes its block, as it does for the CLI), so the file stays all-or-nothing. A statement that
cannot run in a transaction (``CREATE INDEX CONCURRENTLY`` ...) cuts the file into parts:
what comes before it commits first, as it does under the CLI; such a file is not
all-or-nothing, and the plan says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dbflow.errors import DbflowError
from dbflow.migrations.discovery import MigrationFile
from dbflow.sql.classify import adds_enum_value, needs_autocommit, transaction_control
from dbflow.sql.parse import Statement


class MigrationError(DbflowError):
    """A migration cannot be planned or applied; nothing of the failing file is kept."""


SegmentKind = Literal["transaction", "autocommit"]


@dataclass(frozen=True)
class Segment:
    """Statements that run together: in one transaction, or one statement outside any."""

    kind: SegmentKind
    statements: tuple[Statement, ...]
    reason: str | None = None  # autocommit: what cannot run in one; transaction: why it ends


@dataclass(frozen=True)
class PlannedMigration:
    migration: MigrationFile
    statements: tuple[Statement, ...]  # every statement of the file, as history records them
    segments: tuple[Segment, ...]
    lock_timeout: str
    statement_timeout: str
    notes: tuple[str, ...] = ()

    @property
    def autocommit_reason(self) -> str | None:
        """Why (part of) the file runs outside a transaction, or None."""
        reasons = [segment.reason for segment in self.segments if segment.kind == "autocommit"]
        return reasons[0] if reasons else None

    @property
    def atomic(self) -> bool:
        """True when the whole file runs in one transaction (all or nothing)."""
        return len(self.segments) <= 1 and self.autocommit_reason is None

    @property
    def mode(self) -> str:
        if not self.segments or self.atomic:
            return "transaction"
        if len(self.segments) == 1:
            return f"no transaction ({self.autocommit_reason})"
        parts = ", ".join(
            "transaction" if segment.kind == "transaction" else str(segment.reason)
            for segment in self.segments
        )
        return f"{len(self.segments)} parts: {parts}; not all-or-nothing"


ENUM_COMMIT = "COMMIT after ALTER TYPE ... ADD VALUE"


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
    body = statements
    if _wrapped_whole(statements):
        body = statements[1:-1]
        notes.append("its own BEGIN/COMMIT is honoured: the file runs as one transaction")
    segments = _segments(migration, body, server_version_num)
    outside = [segment.reason for segment in segments if segment.kind == "autocommit"]
    if outside and notes:
        raise MigrationError(
            f"{migration.path}: {outside[0]} cannot run inside the file's BEGIN/COMMIT",
            hint="remove BEGIN; and COMMIT; from the file",
        )
    if any(transaction_control(statement.kind, statement.node) is not None for statement in body):
        notes.append(
            "its BEGIN/COMMIT/ROLLBACK statements run inside the file's transaction, as "
            "savepoints (a ROLLBACK undoes its block, as under the Supabase CLI)"
        )
    if len(segments) > 1:
        whys = []
        for segment in segments[:-1] if segments[-1].kind == "transaction" else segments:
            why = (
                "a COMMIT after ALTER TYPE ... ADD VALUE commits the new value before the "
                "statements that use it"
                if segment.reason == ENUM_COMMIT
                else f"{segment.reason} commits what comes before it"
            )
            if segment.reason and why not in whys:
                whys.append(why)
        notes.append(
            f"not all-or-nothing: {'; '.join(whys)}; if a later statement fails, the earlier "
            "parts stay applied and the file is not recorded"
        )
    directives = migration.directives
    return PlannedMigration(
        migration=migration,
        statements=tuple(statements),
        segments=tuple(segments),
        lock_timeout=directives.get("lock_timeout", lock_timeout),
        statement_timeout=directives.get("statement_timeout", statement_timeout),
        notes=tuple(notes),
    )


def _wrapped_whole(statements: list[Statement]) -> bool:
    """True when the first statement's BEGIN is closed by the file's last statement only."""
    controls = [transaction_control(statement.kind, statement.node) for statement in statements]
    if len(controls) < 2 or controls[0] != "begin" or controls[-1] != "commit":
        return False
    depth = 0
    for index, control in enumerate(controls):
        if control == "begin":
            depth += 1
        elif control in ("commit", "rollback") and depth:
            depth -= 1
            if depth == 0:
                return index == len(controls) - 1 and control == "commit"
    return False


def _segments(
    migration: MigrationFile, statements: list[Statement], server_version_num: int
) -> list[Segment]:
    """Cut the file at each statement that cannot run in a transaction, and after a COMMIT
    that a new enum value needs before it can be used (the Supabase CLI commits there too)."""
    segments: list[Segment] = []
    current: list[Statement] = []
    open_blocks = 0
    enum_added = False
    for statement in statements:
        control = transaction_control(statement.kind, statement.node)
        where = f"{migration.path}:{statement.line}:{statement.column}"
        if control == "other":
            raise MigrationError(
                f"{where}: {statement.text.split(chr(10))[0]} cannot run in a migration",
                detail="chained and two-phase transaction commands would end the file's own "
                "transaction in a way dbflow cannot keep track of",
                hint="use plain BEGIN; ... COMMIT;, or no transaction control at all",
            )
        if control == "begin":
            open_blocks += 1
        elif control in ("commit", "rollback") and open_blocks:
            open_blocks -= 1
        reason = needs_autocommit(statement.kind, statement.node, server_version_num)
        if reason is None:
            current.append(statement)
            enum_added = enum_added or adds_enum_value(statement.kind, statement.node)
            if control == "commit" and not open_blocks and enum_added:
                segments.append(Segment("transaction", tuple(current), ENUM_COMMIT))
                current, enum_added = [], False
            continue
        if open_blocks:
            raise MigrationError(
                f"{where}: {reason} cannot run inside the BEGIN; ... COMMIT; block around it",
                hint="move it out of the block (or into a file of its own)",
            )
        if current:
            segments.append(Segment("transaction", tuple(current)))
            current = []
        segments.append(Segment("autocommit", (statement,), reason))
    if current or not segments:
        segments.append(Segment("transaction", tuple(current)))
    return segments
