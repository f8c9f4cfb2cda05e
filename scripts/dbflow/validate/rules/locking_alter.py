"""Locking and availability: ALTER TABLE column changes and domain checks that scan or
rewrite a table holding data while they hold its lock."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import (
    Node,
    added_columns,
    alter_commands,
    function_calls,
    names,
    type_modifiers,
    type_name,
)
from dbflow.validate.rules import Hit, StatementContext, flags, informs, once, passes, rule

_GIVEN = "create table public.orders (id bigint primary key, customer_id bigint, note varchar(20));"

# Functions whose value differs per row: a default using one rewrites the whole table.
_VOLATILE_DEFAULTS = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v4",
        "uuid_generate_v1",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "gen_random_bytes",
    }
)  # fmt: skip  (a word list, several to a line)


@rule(
    id="LCK12",
    name="set-not-null",
    severity="warning",
    message="SET NOT NULL scans the whole table while blocking reads and writes",
    why="""ALTER COLUMN ... SET NOT NULL takes an ACCESS EXCLUSIVE lock and checks every row,
    unless a validated CHECK (col IS NOT NULL) constraint already proves it (PostgreSQL 12+).""",
    given=_GIVEN,
    bad="alter table public.orders alter column note set not null;",
    good="alter table public.orders add constraint orders_note_not_null "
    "check (note is not null) not valid;",
    fix="""Add CHECK (col IS NOT NULL) NOT VALID, validate it in a later migration, then SET NOT
    NULL (instant) and drop the check.""",
    kinds=["AlterTableStmt"],
    cases=[
        passes(
            "alter table public.orders alter column id set not null;",
            "a primary key column is NOT NULL already",
        ),
        passes(
            "alter table public.orders alter column note set not null;",
            "a validated CHECK (note IS NOT NULL) proves it",
            given=_GIVEN + "\nalter table public.orders add constraint orders_note_nn "
            "check (note is not null) not valid;\n"
            "alter table public.orders validate constraint orders_note_nn;",
        ),
        flags(
            "alter table public.orders alter column note set not null;",
            "a CHECK that is still NOT VALID proves nothing",
            given=_GIVEN + "\nalter table public.orders add constraint orders_note_nn "
            "check (note is not null) not valid;",
        ),
        informs(
            "alter table public.orders add column status text;\n"
            "update public.orders set status = 'open';\n"
            "alter table public.orders alter column status set not null;",
            "a column added earlier in the file: the table is locked already",
        ),
    ],
    scales_with_rows=True,
)
def set_not_null(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.holds_data():
        return
    table = ctx.table(ctx.relation)
    for command in alter_commands(ctx.node):
        if command.get("subtype") != "AT_SetNotNull":
            continue
        name = command.get("name", "")
        column = table.columns.get(name) if table else None
        if column is not None and column.not_null:
            continue  # already NOT NULL (a primary key column, say): nothing to check
        if table is not None and any(
            constraint.kind == "c" and constraint.columns == (name,) and constraint.validated
            for constraint in table.constraints.values()
        ):
            continue  # a validated CHECK (col IS NOT NULL) proves it without a scan
        message = f"SET NOT NULL on {ctx.relation[1]}.{name} scans the table under a lock"
        reason = ctx.added_here([name])
        if reason is not None:
            yield Hit(f"{message}; {reason}", severity="info")
        else:
            yield Hit(message)


# Casts PostgreSQL runs WITHOUT FUNCTION (binary-coercible): the stored bytes are already the
# new type's, so ALTER COLUMN ... TYPE keeps the table (it rebuilds indexes whose operator
# class changes). citext declares its casts from and to text and varchar that way.
_BINARY_COERCIBLE = frozenset(
    {
        ("varchar", "text"),
        ("text", "varchar"),  # only without a length limit (checked below)
        ("text", "citext"),
        ("varchar", "citext"),
        ("citext", "text"),
        ("citext", "varchar"),
        ("cidr", "inet"),
        ("json", "text"),
        ("xml", "text"),
    }
)


def _type_change_cost(
    old: tuple[str, tuple[int, ...]], new: tuple[str, tuple[int, ...]], version: int
) -> str:
    """ "free" when PostgreSQL changes the type without rewriting the table, "utc" when it
    rewrites nothing while the session time zone is UTC, "rewrite" otherwise."""
    (old_type, old_mods), (new_type, new_mods) = old, new
    if old_type == new_type and old_mods == new_mods:
        return "free"
    if {old_type, new_type} == {"timestamp", "timestamptz"} and old_mods == new_mods:
        return "utc" if version >= 12 else "rewrite"
    if (old_type, new_type) in _BINARY_COERCIBLE:
        unlimited = new_type != "varchar" or not new_mods
        return (
            "free"
            if unlimited or (old_type == "varchar" and _wider(old_mods, new_mods))
            else ("rewrite")
        )
    if old_type == new_type == "varchar":
        return "free" if _wider(old_mods, new_mods) else "rewrite"
    if old_type == new_type == "numeric":
        if not new_mods:
            return "free"
        if not old_mods:
            return "rewrite"
        old_scale = old_mods[1] if len(old_mods) > 1 else 0
        new_scale = new_mods[1] if len(new_mods) > 1 else 0
        return "free" if new_scale == old_scale and new_mods[0] >= old_mods[0] else "rewrite"
    return "rewrite"


def _wider(old_mods: tuple[int, ...], new_mods: tuple[int, ...]) -> bool:
    """True when a length limit grows or goes (varchar(20) to varchar(200) or to varchar)."""
    return not new_mods or (bool(old_mods) and new_mods[0] >= old_mods[0])


def _casts_the_column(using: Node | None, column: str) -> bool:
    """True when a USING expression is the column itself, or the column cast to a type."""
    expression = using or {}
    while "TypeCast" in expression:
        expression = expression["TypeCast"].get("arg") or {}
    return names(expression.get("ColumnRef", {}).get("fields"))[-1:] == [column]


@rule(
    id="LCK14",
    name="changing-column-type",
    severity="warning",
    message="Changing a column's type rewrites the table and its indexes under an exclusive lock",
    why="""Unless the new type is binary-coercible (varchar(n) to a longer varchar or to text,
    text to citext, numeric to a wider precision), ALTER COLUMN ... TYPE rewrites every row
    while blocking all reads and writes, and breaks clients that expect the old type.
    timestamp to timestamptz rewrites nothing while the session time zone is UTC (the
    platform's default): that is info.""",
    given=_GIVEN,
    bad="alter table public.orders alter column customer_id type text;",
    good="alter table public.orders alter column note type varchar(200);",
    fix="""Add a new column of the new type, backfill it in batches, switch the application, then
    drop the old column (expand and contract).""",
    kinds=["AlterTableStmt"],
    cases=[
        informs(
            "alter table public.orders alter column placed_at type timestamptz;",
            "timestamp to timestamptz is not rewritten in UTC (PostgreSQL 12+): info, saying so",
            given=_GIVEN + "\nalter table public.orders add column placed_at timestamp;",
        ),
        passes(
            "alter table public.orders alter column note type text;",
            "varchar to text is binary-coercible",
        ),
        passes(
            "alter table public.orders alter column note type varchar(200);",
            "a longer varchar keeps the rows",
        ),
        passes(
            "alter table public.orders alter column note type citext;",
            "citext's cast from varchar is binary-coercible",
            given=_GIVEN + "\ncreate extension if not exists citext;",
        ),
        passes(
            "alter table public.orders alter column note type text using note::text;",
            "a USING that only casts the column is the plain change",
        ),
        flags(
            "alter table public.orders alter column note type varchar(5);",
            "a shorter varchar checks and rewrites",
        ),
        flags(
            "alter table public.orders alter column customer_id type text;",
            "bigint to text rewrites",
        ),
    ],
    scales_with_rows=True,
)
def changing_column_type(ctx: StatementContext) -> Iterator[Hit]:
    key = ctx.relation
    if not ctx.holds_data(key):
        return
    table = ctx.table(key)
    for command in alter_commands(ctx.node):
        if command.get("subtype") != "AT_AlterColumnType":
            continue
        column_def = (command.get("def") or {}).get("ColumnDef", {})
        new = (
            type_name(column_def.get("typeName")),
            tuple(type_modifiers(column_def.get("typeName"))),
        )
        name = command.get("name", "")
        column = table.columns.get(name) if table else None
        using = column_def.get("raw_default")
        if column is None or (using and not _casts_the_column(using, name)):
            how = "with USING" if using else f"to {new[0]}"
            yield Hit(
                f"Changing the type of {key[1]}.{name} {how} rewrites the table under an "
                "exclusive lock"
            )
            continue
        cost = _type_change_cost((column.type, column.modifiers), new, ctx.options.postgres_version)
        change = f"Changing {key[1]}.{column.name} from {column.type} to {new[0]}"
        if cost == "utc":
            yield Hit(
                f"{change} rewrites nothing while the session time zone is UTC, the platform's "
                "default (PostgreSQL 12+); under another time zone it rewrites the table",
                severity="info",
            )
        elif cost == "rewrite":
            yield Hit(f"{change} rewrites the table under an exclusive lock")


def _default_expression(column: Node) -> Node | None:
    for item in column.get("constraints", []) or []:
        constraint = item.get("Constraint", {})
        expression: Node | None = constraint.get("raw_expr")
        if constraint.get("contype") == "CONSTR_DEFAULT":
            return expression
    return None


@rule(
    id="LCK15",
    name="volatile-default",
    severity="warning",
    message="Adding a column with a volatile default rewrites the whole table under a lock",
    why="""PostgreSQL 11+ adds a column with a constant (or stable, like now()) default instantly,
    but a volatile default such as gen_random_uuid() or random() is computed for every row: the
    table is rewritten while reads and writes wait.""",
    given=_GIVEN,
    bad="alter table public.orders add column token uuid default gen_random_uuid();",
    good="alter table public.orders add column token uuid;\n"
    "alter table public.orders alter column token set default gen_random_uuid();",
    fix="""Add the column without a default, set the default in a separate statement (new rows
    only), and backfill existing rows in batches.""",
    kinds=["AlterTableStmt"],
    scales_with_rows=True,
)
def volatile_default(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.holds_data():
        return
    for column in added_columns(ctx.node):
        default = _default_expression(column)
        if default is None:
            continue
        if ctx.options.postgres_version < 11:
            yield Hit("Before PostgreSQL 11 any default rewrites the whole table under a lock")
            continue
        for parts, _ in function_calls(default):
            if parts and parts[-1] in _VOLATILE_DEFAULTS:
                yield Hit(f"The default {parts[-1]}() is volatile: the whole table is rewritten")
                break


@rule(
    id="LCK16",
    name="add-serial-or-generated-column",
    severity="warning",
    message="Adding a serial, identity or stored generated column rewrites the whole table",
    why="""Each existing row needs a value computed and written, which rewrites the table under an
    ACCESS EXCLUSIVE lock.""",
    given=_GIVEN,
    bad="alter table public.orders add column seq bigserial;",
    good="alter table public.orders add column seq bigint;",
    fix="Add a plain column, backfill it in batches, then add the default or identity.",
    kinds=["AlterTableStmt"],
    scales_with_rows=True,
)
def add_serial_or_generated_column(ctx: StatementContext) -> Iterator[Hit]:
    if not ctx.holds_data():
        return
    for column in added_columns(ctx.node):
        serial = type_name(column.get("typeName")) in ("serial", "bigserial", "smallserial")
        generated = any(
            item.get("Constraint", {}).get("contype") in ("CONSTR_GENERATED", "CONSTR_IDENTITY")
            for item in column.get("constraints", []) or []
        )
        if serial or generated:
            yield Hit()


@rule(
    id="LCK22",
    name="domain-with-check",
    severity="info",
    message="A CHECK on a domain is checked against every column of that type when changed",
    why="""Adding or changing a domain constraint validates every column using the domain, with
    locks on all those tables; domains with checks are hard to change later.""",
    bad="create domain public.positive_int as integer check (value > 0);",
    good="create table public.items (qty integer check (qty > 0));",
    fix="Prefer CHECK constraints on the columns themselves.",
    kinds=["CreateDomainStmt", "AlterDomainStmt"],
)
def domain_with_check(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.kind == "AlterDomainStmt":
        yield from once(ctx.node.get("subtype") == "C")
        return
    constraints = ctx.node.get("constraints", []) or []
    yield from once(
        any(item.get("Constraint", {}).get("contype") == "CONSTR_CHECK" for item in constraints)
    )
