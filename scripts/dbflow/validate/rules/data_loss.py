"""Data loss: statements that delete rows, columns, tables or constraints a production
database holds."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import alter_commands, names, qualified
from dbflow.validate.declared import DeclaredConstraint, DeclaredTable, Key
from dbflow.validate.effects import dropped_objects
from dbflow.validate.rules import Hit, StatementContext, flags, informs, once, passes, rule

_GIVEN_ORDERS = "create table public.orders (id bigint primary key, note text, total int);"


@rule(
    id="DAT01",
    name="drop-table",
    severity="error",
    message="Dropping a table deletes its data and breaks every client that still reads it",
    why="""A table created in an earlier migration may hold production data. DROP TABLE removes
    it at once and cannot be undone without a restore.""",
    given=_GIVEN_ORDERS,
    bad="drop table public.orders;",
    good="-- stop using the table first; drop it in a later release once nothing reads it\n"
    "comment on table public.orders is 'Deprecated: unused since 2025-06, drop after 2025-09';",
    fix="""Ship the code that stops using the table first, keep a backup, then drop it in a later
    migration with a suppression that says why: -- dbflow: ignore DAT01 <reason>.""",
    kinds=["DropStmt"],
    cases=[
        passes("drop table if exists public.tmp_import;", "IF EXISTS on a table never created"),
        passes(
            "create table public.tmp_import (id bigint primary key);\n"
            "drop table public.tmp_import;",
            "a table created in the same file holds no data",
        ),
    ],
)
def drop_table(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.get("removeType") != "OBJECT_TABLE":
        return
    for key, _ in dropped_objects(ctx.node):
        if key not in ctx.model.tables and ctx.node.flag("missing_ok"):
            continue  # IF EXISTS on a table the history never had
        if ctx.holds_data(key):
            yield Hit(f"Dropping table {key[0]}.{key[1]} deletes its data and breaks its clients")


@rule(
    id="DAT02",
    name="drop-column",
    severity="error",
    message="Dropping a column deletes its data and breaks clients that select it",
    why="""Running application code (and PostgREST clients using select=*) still reads the column
    until it is deployed without it; the data is gone for good.""",
    given=_GIVEN_ORDERS,
    bad="alter table public.orders drop column note;",
    good="comment on column public.orders.note is "
    "'Deprecated: drop after clients stop reading it';",
    fix="""Expand and contract: stop reading and writing the column in the application, deploy,
    then drop it in a later migration.""",
    kinds=["AlterTableStmt"],
    cases=[
        passes(
            "alter table public.orders drop column if exists legacy_code;",
            "IF EXISTS on a column the table never had",
        ),
    ],
)
def drop_column(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    if not ctx.holds_data(key):
        return
    table = ctx.table(key)
    for command in alter_commands(ctx.node):
        if command.get("subtype") != "AT_DropColumn":
            continue
        name = command.get("name", "")
        if table is not None and name not in table.columns and command.get("missing_ok"):
            continue  # IF EXISTS on a column the table never had
        yield Hit(f"Dropping column {key[1]}.{name} deletes its data")


@rule(
    id="DAT05",
    name="truncate",
    severity="error",
    message="TRUNCATE deletes every row of the table",
    why="""TRUNCATE empties a table that may hold production data, takes an ACCESS EXCLUSIVE
    lock, and with CASCADE empties every table that references it too.""",
    given=_GIVEN_ORDERS,
    bad="truncate public.orders;",
    good="delete from public.orders where total < 0;",
    fix="Delete only the rows you mean to, with a WHERE clause, or move data cleanup out of "
    "migrations.",
    kinds=["TruncateStmt"],
)
def truncate(ctx: StatementContext) -> Iterator[Hit]:
    for relation in ctx.node.get("relations", []) or []:
        key = qualified(relation)
        if ctx.holds_data(key):
            yield Hit(f"TRUNCATE deletes every row of {key[0]}.{key[1]}")


@rule(
    id="DAT06",
    name="delete-without-where",
    severity="error",
    message="DELETE without WHERE deletes every row of the table",
    why="A DELETE with no WHERE clause empties a table that may hold production data.",
    given=_GIVEN_ORDERS,
    bad="delete from public.orders;",
    good="delete from public.orders where total < 0;",
    fix="Add a WHERE clause that selects only the rows to delete.",
    kinds=["DeleteStmt"],
)
def delete_without_where(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    yield from once(ctx.node.where is None and ctx.holds_data(key))


@rule(
    id="DAT07",
    name="update-without-where",
    severity="warning",
    message="UPDATE without WHERE rewrites every row, inside the migration's transaction",
    why="""An unbounded UPDATE overwrites data in every row and holds row locks on all of them
    until the migration commits; on a large table it blocks writers for a long time.""",
    given=_GIVEN_ORDERS,
    bad="update public.orders set note = '';",
    good="update public.orders set note = '' where note is null;",
    fix="Limit the rows with WHERE, and backfill large tables in batches outside the migration.",
    kinds=["UpdateStmt"],
    cases=[
        informs(
            "alter table public.orders add column status text;\n"
            "update public.orders set status = 'open';",
            "a backfill of a column added earlier in the file",
        ),
        flags(
            "alter table public.orders add column status text;\n"
            "update public.orders set status = 'open', note = '';",
            "it also overwrites an old column",
        ),
    ],
    scales_with_rows=True,
)
def update_without_where(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.where is not None or not ctx.holds_data():
        return
    targets = [
        item.get("ResTarget", {}).get("name", "") for item in ctx.node.get("targetList") or []
    ]
    reason = ctx.added_here(targets)
    if reason is not None:
        yield Hit(f"A backfill of every row; {reason}", severity="info")
        return
    yield Hit()


@rule(
    id="DAT09",
    name="drop-constraint",
    severity="warning",
    message="Dropping a constraint lets invalid data in",
    why="""Constraints guard the data's integrity; once dropped, rows that break the rule can be
    written and are hard to find later.""",
    given="create table public.orders (id bigint primary key, total int "
    "constraint orders_total_check check (total >= 0));",
    bad="alter table public.orders drop constraint orders_total_check;",
    good="alter table public.orders add constraint orders_total_max check (total < 1000000) "
    "not valid;",
    fix="Replace the constraint with the new rule in the same migration, or explain with a "
    "suppression why the rule no longer holds.",
    kinds=["AlterTableStmt"],
    cases=[
        passes(
            "alter table public.orders drop constraint orders_total_check, "
            "add constraint orders_total_check check (total >= 0 and total < 1000000);",
            "dropped and added again in one statement",
        ),
        passes(
            "alter table public.orders drop constraint orders_total_check;\n"
            "alter table public.orders add constraint orders_total_check check (total > 0);",
            "dropped and added again later in the same file",
        ),
        passes(
            "alter table public.orders alter column total set not null;\n"
            "alter table public.orders drop constraint orders_total_not_null;",
            "a CHECK (col IS NOT NULL) once the column is NOT NULL: the constraint proves it",
            given="create table public.orders (id bigint primary key, total int);\n"
            "alter table public.orders add constraint orders_total_not_null "
            "check (total is not null) not valid;\n"
            "alter table public.orders validate constraint orders_total_not_null;",
        ),
        passes(
            "alter table public.orders drop constraint if exists orders_legacy_check;",
            "IF EXISTS on a constraint the table never had",
        ),
        passes(
            "alter table public.orders drop constraint orders_pkey;\n"
            "alter table public.orders rename to purchases;\n"
            "alter table public.purchases add constraint purchases_pkey primary key (id);",
            "the same key added again under a new name, on the renamed table",
        ),
        passes(
            "alter table public.orders drop constraint orders_total_check;\n"
            "drop table public.orders;",
            "the table is dropped later in the file (DAT01 reports that)",
        ),
    ],
)
def drop_constraint(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    if not ctx.holds_data(key):
        return
    table = ctx.table(key)
    added = _constraints_added_again(ctx, key)
    dropped_table, dropped_columns = _dropped_later(ctx, key)
    if dropped_table:
        return  # the table itself goes later in this file: that drop is what counts
    for command in alter_commands(ctx.node):
        if command.get("subtype") != "AT_DropConstraint":
            continue
        name = command.get("name", "")
        constraint = table.constraints.get(name) if table else None
        if table is not None and constraint is None and command.get("missing_ok"):
            continue  # IF EXISTS on a constraint the table never had
        again = constraint is not None and (constraint.kind, constraint.columns) in added
        if name in added or again:
            continue  # dropped and added again in this file's transaction: it stays
        if _proven_by_not_null(table, constraint):
            continue  # a CHECK (col IS NOT NULL) whose column is NOT NULL now: nothing lost
        if (
            constraint is not None
            and constraint.columns
            and (set(constraint.columns) <= dropped_columns)
        ):
            continue  # its columns go later in this file: that drop is what counts
        yield Hit(f"Dropping constraint {name} on {key[1]} lets rows that break it in")


def _proven_by_not_null(table: DeclaredTable | None, constraint: DeclaredConstraint | None) -> bool:
    if table is None or constraint is None or constraint.kind != "c" or not constraint.columns:
        return False
    column = table.columns.get(constraint.columns[0])
    return len(constraint.columns) == 1 and column is not None and column.not_null


def _dropped_later(ctx: StatementContext, key: Key) -> tuple[bool, set[str]]:
    """Whether a later statement in this file drops table ``key``, and which of its columns
    later statements drop."""
    columns: set[str] = set()
    for statement in ctx.later:
        node = statement.node
        drops_table = statement.kind == "DropStmt" and node.get("removeType") == "OBJECT_TABLE"
        if drops_table and any(dropped == key for dropped, _ in dropped_objects(node)):
            return True, columns
        if statement.kind == "AlterTableStmt" and qualified(node.get("relation")) == key:
            for command in alter_commands(node):
                if command.get("subtype") == "AT_DropColumn":
                    columns.add(command.get("name", ""))
    return False, columns


def _constraints_added_again(ctx: StatementContext, key: Key) -> set[object]:
    """What this statement, or a later one in its file, adds to table ``key`` (under a later
    name too): each constraint's name, and its (kind, columns) for keys and foreign keys."""
    names_of_table = {key}
    found: set[object] = set()
    for statement in [ctx.statement, *ctx.later]:
        node = statement.node
        relation = qualified(node.get("relation"))
        if statement.kind == "RenameStmt" and relation in names_of_table:
            if node.get("renameType") == "OBJECT_TABLE":
                names_of_table.add((relation[0], node.get("newname", "")))
            continue
        if statement.kind != "AlterTableStmt" or relation not in names_of_table:
            continue
        for command in alter_commands(node):
            constraint = (command.get("def") or {}).get("Constraint", {})
            if command.get("subtype") != "AT_AddConstraint":
                continue
            if constraint.get("conname"):
                found.add(constraint["conname"])
            columns = tuple(names(constraint.get("fk_attrs") or constraint.get("keys")))
            if columns:
                found.add((_KIND_OF.get(constraint.get("contype", ""), ""), columns))
    return found


_KIND_OF = {"CONSTR_PRIMARY": "p", "CONSTR_UNIQUE": "u", "CONSTR_FOREIGN": "f"}
