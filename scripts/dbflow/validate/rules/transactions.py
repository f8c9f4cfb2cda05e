"""Transactions and the runner: what fails under the one-transaction-per-file model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dbflow.sql.classify import needs_autocommit, transaction_control
from dbflow.sql.parse import Statement
from dbflow.sql.tree import names, qualified, qualified_from_names, string_value, walk
from dbflow.validate.rules import FileContext, Hit, StatementContext, flags, passes, rule


def _server_version(ctx: FileContext | StatementContext) -> int:
    return ctx.options.postgres_version * 10000


@rule(
    id="TXN01",
    name="non-transactional-statement-shares-file",
    severity="error",
    message="This statement cannot run inside a transaction, and its file has other statements",
    why="""Each migration file runs in one transaction (as the Supabase CLI does). CREATE INDEX
    CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and VACUUM cannot; the runner
    cuts the file at such a statement, so what comes before it commits first and the file is no
    longer all-or-nothing: a later failure leaves it half applied and unrecorded.""",
    bad="create table public.t (id bigint primary key, a int);\n"
    "create index concurrently t_a_idx on public.t (a);",
    good="create index concurrently if not exists t_a_idx on public.t (a);",
    fix="Move the statement into a migration file of its own.",
    scope="file",
)
def non_transactional_statement_shares_file(ctx: FileContext) -> Iterator[Hit]:
    statements = ctx.source.statements
    if len(statements) < 2:
        return
    for statement in statements:
        reason = needs_autocommit(statement.kind, statement.node, _server_version(ctx))
        if reason:
            yield Hit(
                f"{reason} cannot run inside a transaction, and this file has "
                f"{len(statements)} statements",
                statement.line,
                statement.column,
            )


@rule(
    id="TXN02",
    name="explicit-transaction-wrapper",
    severity="info",
    message="BEGIN/COMMIT around the file is redundant: the runner already wraps each file",
    why="""dbflow (like the Supabase CLI) runs each file in its own transaction. A file wrapped in
    BEGIN; ... COMMIT; is accepted, but the wrapper hides nothing and misleads readers into
    thinking other files are not transactional.""",
    bad="begin;\ncreate table public.t (id bigint primary key);\ncommit;",
    good="create table public.t (id bigint primary key);",
    fix="Remove BEGIN; and COMMIT;.",
    scope="file",
)
def explicit_transaction_wrapper(ctx: FileContext) -> Iterator[Hit]:
    statements = ctx.source.statements
    controls = [transaction_control(s.kind, s.node) for s in statements]
    present = [(index, control) for index, control in enumerate(controls) if control]
    if (
        len(present) == 2
        and present[0][1] == "begin"
        and present[1] == (len(controls) - 1, "commit")
        and len(transaction_units(statements)) == 1
    ):
        first = statements[present[0][0]]
        yield Hit(None, first.line, first.column)


@dataclass(frozen=True)
class TransactionUnit:
    """What runs as one transaction under the Supabase CLI: a BEGIN ... COMMIT block, or one
    statement outside any block (the CLI commits each of those on its own)."""

    start: int  # index of its first statement (the BEGIN of a block)
    block: bool


# Statements that change nothing a failure could leave half done: session settings, as a
# pg_dump file starts with (SET statement_timeout ..., SELECT pg_catalog.set_config(...)).
_SESSION_ONLY = ("VariableSetStmt", "VariableShowStmt")


def transaction_units(statements: list[Statement]) -> list[TransactionUnit]:
    """The file's units of work as the Supabase CLI commits them. The file starts inside the
    CLI's own transaction (a BEGIN there changes nothing); the first COMMIT or ROLLBACK ends
    it. After that, each BEGIN ... COMMIT block is a unit, and so is each statement outside a
    block, which is committed on its own. Session settings are no work."""
    units: list[TransactionUnit] = []
    first_has_work = False
    ended_at: int | None = None
    depth = 0
    for index, statement in enumerate(statements):
        control = transaction_control(statement.kind, statement.node)
        work = control is None and not _session_only(statement)
        if ended_at is None:  # still the CLI's own transaction
            if control in ("commit", "rollback"):
                ended_at = index
            first_has_work = first_has_work or work
            continue
        if control == "begin":
            if depth == 0:
                units.append(TransactionUnit(index, True))
            depth += 1
        elif control in ("commit", "rollback"):
            depth = max(depth - 1, 0)
        elif depth == 0 and work:
            units.append(TransactionUnit(index, False))
    return ([TransactionUnit(0, True)] if first_has_work else []) + units


def _session_only(statement: Statement) -> bool:
    if statement.kind in _SESSION_ONLY:
        return True
    text = " ".join(statement.text.lower().split())
    return statement.kind == "SelectStmt" and "set_config(" in text and " from " not in text


@rule(
    id="TXN03",
    name="transaction-control-inside-file",
    severity="error",
    message="COMMIT, ROLLBACK or an unmatched BEGIN inside a migration splits its transaction",
    why="""Under the Supabase CLI, a COMMIT in the middle of a file makes the first half permanent
    even if the second half fails, and an unclosed BEGIN can lose the end of the file. dbflow's
    runner keeps such a file all-or-nothing (its blocks become savepoints), but the same file
    shipped with the CLI is not.""",
    bad="create table public.a (id bigint primary key);\ncommit;\n"
    "create table public.b (id bigint primary key);",
    good="create table public.a (id bigint primary key);\n"
    "create table public.b (id bigint primary key);",
    fix="Remove the transaction control statements, or split the file into two migrations.",
    scope="file",
    cases=[
        passes(
            "set statement_timeout = 0;\nselect pg_catalog.set_config('search_path', '', false);"
            "\nbegin;\ncreate table public.a (id bigint primary key);\ncommit;",
            "a pg_dump file's settings, then one block around the work: nothing is split",
        ),
        passes(
            "begin;\ncreate table public.a (id bigint primary key);\nend;",
            "BEGIN ... END around the whole file",
        ),
        flags(
            "begin;\ncreate table public.a (id bigint primary key);\ncommit;\nbegin;\n"
            "create table public.b (id bigint primary key);\ncommit;",
            "two blocks: the first COMMIT splits the file",
        ),
        flags(
            "begin;\ncreate table public.a (id bigint primary key);",
            "a BEGIN never closed",
        ),
    ],
)
def transaction_control_inside_file(ctx: FileContext) -> Iterator[Hit]:
    statements = ctx.source.statements
    controls = [transaction_control(s.kind, s.node) for s in statements]
    for index, control in enumerate(controls):
        if control in ("rollback", "other"):  # undoes, or chains: never what the file means
            yield Hit(None, statements[index].line, statements[index].column)
    if controls.count("begin") > controls.count("commit") + controls.count("rollback"):
        opened = max(index for index, control in enumerate(controls) if control == "begin")
        yield Hit(
            "BEGIN without its COMMIT: the end of the file may be lost",
            statements[opened].line,
            statements[opened].column,
        )
        return
    # A file split in two or more units commits the first even when a later one fails: the
    # COMMIT that ends the CLI's own transaction is where it splits. Matched blocks around
    # the whole work (settings before them included) split nothing.
    split = next((i for i, c in enumerate(controls) if c in ("commit", "rollback")), None)
    if split is not None and controls[split] == "commit" and len(transaction_units(statements)) > 1:
        yield Hit(
            "the file commits in parts from here: what came before stays if what follows fails",
            statements[split].line,
            statements[split].column,
        )


@rule(
    id="TXN04",
    name="non-idempotent-outside-transaction",
    severity="warning",
    message="A statement run outside a transaction should be safe to run twice",
    why="""A file that runs outside a transaction is not rolled back when it fails; the next
    attempt must not fail because part of it already happened (a half-built index exists).""",
    bad="create index concurrently t_a_idx on public.t (a);",
    good="create index concurrently if not exists t_a_idx on public.t (a);",
    fix="Add IF NOT EXISTS (create) or IF EXISTS (drop).",
    kinds=["IndexStmt", "DropStmt"],
)
def non_idempotent_outside_transaction(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    if not node.get("concurrent") or len(ctx.source.statements) != 1:
        return
    if ctx.kind == "IndexStmt" and not node.get("if_not_exists"):
        yield Hit("CREATE INDEX CONCURRENTLY without IF NOT EXISTS fails on a rerun")
    if ctx.kind == "DropStmt" and not node.get("missing_ok"):
        yield Hit("DROP INDEX CONCURRENTLY without IF EXISTS fails on a rerun")


@rule(
    id="TXN08",
    name="dynamic-sql",
    severity="info",
    message="Dynamic EXECUTE inside PL/pgSQL cannot be checked",
    why="""The SQL is built at run time, so no rule can see what it does; review it by hand (and
    quote identifiers with format('%I') or quote_ident).""",
    bad="do $$ begin execute 'drop table ' || 'public.t'; end $$;",
    good="do $$ begin update public.settings set value = 'on' where key = 'beta'; end $$;",
    fix="Prefer static SQL; where EXECUTE is needed, build it with format() and %I / %L.",
    scope="file",
)
def dynamic_sql(ctx: FileContext) -> Iterator[Hit]:
    for opaque in ctx.source.opaque:
        yield Hit(f"Dynamic EXECUTE {opaque.query[:60]} cannot be checked", opaque.line, 1)


@rule(
    id="TXN09",
    name="pg-cron-schema",
    severity="warning",
    message="The Supabase CLI's local stack refuses pg_cron in a schema other than pg_catalog",
    why="""pg_cron 1.5 and later must be installed in schema pg_catalog (it creates its objects
    in cron itself). The hosted platform accepts CREATE EXTENSION pg_cron WITH SCHEMA extensions,
    and so does dbflow, but `supabase start` / `supabase db reset` stop on it with 'extension
    "pg_cron" must be installed in schema "pg_catalog"' (supabase/cli#2342).""",
    bad="create extension if not exists pg_cron with schema extensions;",
    good="create extension if not exists pg_cron with schema pg_catalog;",
    fix="Leave out WITH SCHEMA, or write WITH SCHEMA pg_catalog.",
    kinds=["CreateExtensionStmt"],
)
def pg_cron_schema(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.node.get("extname") != "pg_cron":
        return
    schema = string_value(ctx.node.options.get("schema"))
    if schema is not None and schema != "pg_catalog":
        yield Hit(
            f"pg_cron WITH SCHEMA {schema}: the Supabase CLI's local stack refuses it "
            "(the hosted platform and dbflow accept it)"
        )


def _uses_label(statement: Statement, label: str, type_name_: str, typed: set[str]) -> bool:
    """True when ``statement`` uses the enum value ``label``: cast to the type, or given to
    (or compared with) a column of the type (``typed``: those columns' names)."""
    node = statement.node
    if statement.kind == "InsertStmt":
        columns = [item.get("ResTarget", {}).get("name") for item in node.get("cols") or []]
        select = node.get("selectStmt", {}).get("SelectStmt", {})
        for row in select.get("valuesLists") or []:
            values = row.get("List", {}).get("items", [])
            for column, value in zip(columns, values, strict=False):
                if column in typed and string_value(value) == label:
                    return True
    if statement.kind == "UpdateStmt":
        for item in node.get("targetList") or []:
            target = item.get("ResTarget", {})
            if target.get("name") in typed and string_value(target.get("val")) == label:
                return True
    for kind, body in walk(node):
        cast_to = names(body.get("typeName", {}).get("names"))[-1:]
        if (
            kind == "TypeCast"
            and string_value(body.get("arg")) == label
            and cast_to == [type_name_]
        ):
            return True
        if kind == "A_Expr":
            sides = (body.get("lexpr") or {}, body.get("rexpr") or {})
            column = [names(side.get("ColumnRef", {}).get("fields"))[-1:] for side in sides]
            value = [string_value(side) for side in sides]
            if (column[0] and column[0][0] in typed and value[1] == label) or (
                column[1] and column[1][0] in typed and value[0] == label
            ):
                return True
        if kind == "ColumnDef" and cast_to == [type_name_]:
            for item in body.get("constraints") or []:
                constraint = item.get("Constraint", {})
                if constraint.get("contype") == "CONSTR_DEFAULT" and (
                    string_value(constraint.get("raw_expr")) == label
                ):
                    return True
    return False


@rule(
    id="TXN10",
    name="new-enum-value-used-in-same-transaction",
    severity="error",
    message="A value added to an enum is used in the same transaction: the migration fails",
    why="""PostgreSQL refuses to use a value that ALTER TYPE ... ADD VALUE added until that
    transaction commits ("unsafe use of new value"). The file runs in one transaction, so a
    later statement in it that inserts, compares or defaults to the new value fails at deploy
    time, though each statement looks right.""",
    given="create type public.order_status as enum ('open', 'closed');\n"
    "create table public.orders (id bigint primary key, status public.order_status);",
    bad="alter type public.order_status add value 'archived';\n"
    "update public.orders set status = 'archived' where id < 100;",
    good="alter type public.order_status add value 'archived';",
    fix="Add the value in one migration and use it in a later one.",
    kinds=["AlterEnumStmt"],
    cases=[
        flags(
            "alter type public.order_status add value 'archived';\n"
            "create index orders_archived_idx on public.orders (id) where status = 'archived';",
            "an index predicate with the new value",
        ),
        passes(
            "do $$ begin if not exists (select 1 from pg_enum where enumlabel = 'closed') then "
            "alter type public.order_status add value 'closed'; end if; end $$;\n"
            "update public.orders set status = 'closed' where id < 100;",
            "a guarded ADD VALUE of a value an earlier file has: nothing is added",
        ),
        passes(
            "alter type public.order_status add value if not exists 'open';\n"
            "insert into public.orders (id, status) values (1, 'open');",
            "ADD VALUE IF NOT EXISTS of a value the type has: a no-op",
        ),
        passes(
            "alter type public.order_status add value 'archived';\ncommit;\n"
            "update public.orders set status = 'archived' where id < 100;",
            "a COMMIT between them starts a new transaction",
        ),
    ],
)
def new_enum_value_used_in_same_transaction(ctx: StatementContext) -> Iterator[Hit]:
    label = ctx.node.get("newVal")
    type_key = qualified_from_names(ctx.node.get("typeName"))
    if not label or label in ctx.model.types.get(type_key, ()):
        return  # the value is there already (ADD VALUE IF NOT EXISTS, or a guard): nothing new
    for statement in ctx.later:
        if transaction_control(statement.kind, statement.node) == "commit":
            return
        table = ctx.model.table(qualified(statement.node.get("relation")))
        columns = table.columns.values() if table else []
        typed = {column.name for column in columns if column.type == type_key[1]}
        if _uses_label(statement, label, type_key[1], typed):
            yield Hit(
                f"The new value '{label}' of {type_key[1]} is used at line {statement.line} in "
                "the same transaction: that statement fails",
                statement.line,
            )
            return
