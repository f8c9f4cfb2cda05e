"""Locking and availability: constraints added to a table holding data, validated under
the lock that adds them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from dbflow.sql.tree import Node, alter_commands, names, walk
from dbflow.validate.rules import Hit, StatementContext, flags, informs, passes, rule

_GIVEN = "create table public.orders (id bigint primary key, customer_id bigint, note varchar(20));"


def _added_constraints(ctx: StatementContext, *contypes: str) -> Iterator[tuple[Node, str]]:
    """Constraints of ``contypes`` an ALTER TABLE adds to a table that holds data, each with
    the column ADD COLUMN gives it in the same command ("" for ADD CONSTRAINT)."""
    if not ctx.holds_data():
        return
    for command in alter_commands(ctx.node):
        definition = command.get("def") or {}
        constraint = definition.get("Constraint", {})
        if command.get("subtype") == "AT_AddConstraint" and constraint.get("contype") in contypes:
            yield constraint, ""
        column = definition.get("ColumnDef", {})
        if command.get("subtype") == "AT_AddColumn":
            for item in column.get("constraints") or []:
                if item.get("Constraint", {}).get("contype") in contypes:
                    yield item["Constraint"], column.get("colname", "")


def _columns(constraint: Node, column: str) -> list[str]:
    """The columns a constraint is on (its own column for one declared with ADD COLUMN)."""
    if column:
        return [column]
    if constraint.get("contype") == "CONSTR_CHECK":
        return [
            fields[-1]
            for kind, body in walk(constraint.get("raw_expr"))
            if kind == "ColumnRef" and (fields := names(body.get("fields")))
        ]
    return names(constraint.get("keys") or constraint.get("fk_attrs"))


@rule(
    id="LCK08",
    name="constraint-without-not-valid",
    severity="warning",
    message="Adding a CHECK or FOREIGN KEY constraint scans the whole table under a lock",
    why="""Without NOT VALID, PostgreSQL checks every existing row while holding a lock that blocks
    writes (and, for a foreign key, also locks the referenced table).""",
    given=_GIVEN + "\ncreate table public.customers (id bigint primary key);",
    bad="alter table public.orders add constraint orders_customer_fk "
    "foreign key (customer_id) references public.customers (id);",
    good="alter table public.orders add constraint orders_customer_fk "
    "foreign key (customer_id) references public.customers (id) not valid;",
    fix="""Add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration (validation
    only takes a SHARE UPDATE EXCLUSIVE lock).""",
    kinds=["AlterTableStmt"],
    cases=[
        passes(
            "do $$ begin\n"
            "  if not exists (select 1 from pg_constraint where conname = 'orders_customer_fk')"
            " then\n"
            "    alter table public.orders add constraint orders_customer_fk\n"
            "      foreign key (customer_id) references public.customers (id);\n"
            "  end if;\n"
            "end $$;",
            "a guard the history already satisfies: the statement does not run",
            given=_GIVEN + "\ncreate table public.customers (id bigint primary key);\n"
            "alter table public.orders add constraint orders_customer_fk "
            "foreign key (customer_id) references public.customers (id) not valid;",
        ),
        flags(
            "do $$ begin\n"
            "  if not exists (select 1 from pg_constraint where conname = 'orders_customer_fk')"
            " then\n"
            "    alter table public.orders add constraint orders_customer_fk\n"
            "      foreign key (customer_id) references public.customers (id);\n"
            "  end if;\n"
            "end $$;",
            "a guard the history does not satisfy: the statement runs",
        ),
        informs(
            "alter table public.orders add column qty int not null default 1 check (qty > 0);",
            "a CHECK on the column the same command adds: every row holds the default",
        ),
        informs(
            "alter table public.orders add column qty int;\n"
            "alter table public.orders add constraint orders_qty_check check (qty > 0);",
            "a CHECK on a column added earlier in the file",
        ),
        flags(
            "alter table public.orders add column qty int;\n"
            "alter table public.orders add constraint orders_qty_check "
            "check (qty > 0 and customer_id > 0);",
            "a CHECK that also reads an old column",
        ),
        flags(
            "alter table public.orders add column buyer_id bigint references public.customers;",
            "a foreign key also locks the table it references while it checks",
        ),
    ],
    scales_with_rows=True,
)
def constraint_without_not_valid(ctx: StatementContext) -> Iterator[Hit]:
    for constraint, column in _added_constraints(ctx, "CONSTR_CHECK", "CONSTR_FOREIGN"):
        if constraint.get("skip_validation"):
            continue
        foreign = constraint.get("contype") == "CONSTR_FOREIGN"
        kind = "foreign key" if foreign else "check"
        message = (
            f"Adding {kind} {_constraint_name(constraint)} to {ctx.relation[1]} checks every "
            "row under a lock: add it NOT VALID"
        )
        # A foreign key also locks the table it references while it checks: not milder.
        reason = None if foreign else ctx.added_here(_columns(constraint, column))
        if reason is not None:
            yield replace(ctx.hit_at(constraint, f"{message}; {reason}"), severity="info")
        else:
            yield ctx.hit_at(constraint, message)


def _constraint_name(constraint: Node) -> str:
    return str(constraint.get("conname") or "(unnamed)")


@rule(
    id="LCK09",
    name="validate-in-same-transaction",
    severity="warning",
    message="VALIDATE CONSTRAINT in the same file as its NOT VALID add keeps the lock",
    why="""The file runs in one transaction, so the lock taken by ADD CONSTRAINT ... NOT VALID is
    held through the validation scan: NOT VALID gains nothing.""",
    given=_GIVEN,
    bad="alter table public.orders add constraint orders_note_check "
    "check (note <> '') not valid;\n"
    "alter table public.orders validate constraint orders_note_check;",
    good="alter table public.orders add constraint orders_note_check check (note <> '') not valid;",
    fix="Move VALIDATE CONSTRAINT into a later migration file.",
    kinds=["AlterTableStmt"],
    scales_with_rows=True,
    cases=[
        passes(
            "create table public.refunds (id bigint primary key, total int);\n"
            "alter table public.refunds add constraint refunds_total_check "
            "check (total > 0) not valid;\n"
            "alter table public.refunds validate constraint refunds_total_check;",
            "a table created in the same file is empty",
        ),
        informs(
            "alter table public.orders add column qty int;\n"
            "alter table public.orders add constraint orders_qty_check check (qty > 0) not valid;\n"
            "alter table public.orders validate constraint orders_qty_check;",
            "a constraint on a column added earlier in the file: the lock is held anyway",
        ),
    ],
)
def validate_in_same_transaction(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.holds_data():
        return
    validated = {
        command.get("name")
        for command in alter_commands(ctx.node)
        if command.get("subtype") == "AT_ValidateConstraint"
    }
    if not validated:
        return
    for earlier in ctx.source.statements:
        if earlier.offset >= ctx.statement.offset or earlier.kind != "AlterTableStmt":
            continue
        for command in alter_commands(earlier.node):
            constraint = (command.get("def") or {}).get("Constraint", {})
            name = constraint.get("conname")
            if not constraint.get("skip_validation") or name not in validated:
                continue
            validated.discard(name)
            message = (
                f"Constraint {name} is validated in the file that adds it NOT VALID: the lock "
                "is held through the whole scan"
            )
            reason = ctx.added_here(_columns(constraint, ""))
            if reason is not None:
                yield Hit(f"{message}; {reason}", severity="info")
            else:
                yield Hit(message)


@rule(
    id="LCK10",
    name="unique-constraint-without-index",
    severity="warning",
    message="Adding a UNIQUE or PRIMARY KEY constraint builds its index under a lock",
    why="""The index behind the constraint is built while writes to the table are blocked; on a
    large table that is an outage.""",
    given=_GIVEN,
    bad="alter table public.orders add constraint orders_note_key unique (note);",
    good="-- in its own file: create unique index concurrently orders_note_key on "
    "public.orders (note);\n"
    "alter table public.orders add constraint orders_note_key unique using index "
    "orders_note_key;",
    fix="""Build the unique index with CREATE UNIQUE INDEX CONCURRENTLY first, then add the
    constraint USING INDEX.""",
    kinds=["AlterTableStmt"],
    cases=[
        flags(
            "alter table public.orders add constraint orders_note_key unique (note) deferrable;",
            "a deferrable unique constraint builds its index the same way",
        ),
        informs(
            "alter table public.orders add column code text unique;",
            "UNIQUE on the column the same command adds: it holds only NULLs",
        ),
        informs(
            "alter table public.orders add column code text;\n"
            "alter table public.orders add constraint orders_code_key unique (code);",
            "UNIQUE on a column added earlier in the file",
        ),
    ],
    scales_with_rows=True,
)
def unique_constraint_without_index(ctx: StatementContext) -> Iterator[Hit]:
    for constraint, column in _added_constraints(ctx, "CONSTR_UNIQUE", "CONSTR_PRIMARY"):
        if constraint.get("indexname"):
            continue
        kind = "primary key" if constraint.get("contype") == "CONSTR_PRIMARY" else "unique"
        message = (
            f"Adding {kind} {_constraint_name(constraint)} to {ctx.relation[1]} builds its "
            "index under a lock"
        )
        reason = ctx.added_here(_columns(constraint, column))
        if reason is not None:
            yield replace(ctx.hit_at(constraint, f"{message}; {reason}"), severity="info")
        else:
            yield ctx.hit_at(constraint, message)
