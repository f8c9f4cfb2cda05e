"""Performance and schema design, judged over the whole history where that matters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbflow.sql.tree import names, qualified
from dbflow.validate.effects_tables import descending_columns
from dbflow.validate.rules import (
    HistoryContext,
    Hit,
    StatementContext,
    flags,
    informs,
    passes,
    rule,
)


@rule(
    id="PRF01",
    name="foreign-key-without-index",
    severity="warning",
    message="Foreign key without an index on its columns: deletes and joins scan the table",
    why="""PostgreSQL does not index the referencing side of a foreign key. Every DELETE or key
    UPDATE on the referenced table, and every join on the key, scans the referencing table.
    The plan this tool was built from asks for a warning here (Supabase's advisor gives it as
    info, unindexed_foreign_keys). It is info only on a small table that only the migrations
    fill, where a scan costs nothing. Judged at the end of the history, so an index added
    later in the migrations counts.""",
    bad="create table public.customers (id bigint primary key);\n"
    "create table public.orders (id bigint primary key, "
    "customer_id bigint references public.customers (id) on delete cascade);",
    good="create table public.customers (id bigint primary key);\n"
    "create table public.orders (id bigint primary key, "
    "customer_id bigint references public.customers (id) on delete cascade);\n"
    "create index orders_customer_id_idx on public.orders (customer_id);",
    fix="Create an index whose leading columns are the foreign key's columns.",
    scope="history",
    cases=[
        flags(
            "create table public.orders (id bigint primary key, "
            "created_by uuid references auth.users (id));",
            "a new table with an unindexed foreign key: the plan's own example warns",
        ),
        informs(
            "create table public.plans (id bigint primary key, currency text "
            "references public.currencies (code));\n"
            "alter table public.plans enable row level security;\n"
            'create policy "plans: read" on public.plans for select using (true);\n'
            "insert into public.plans values (1, 'usd'), (2, 'eur');",
            "a small table only the migrations fill: info",
            given="create table public.currencies (code text primary key);",
        ),
        flags(
            "create table public.projects (id bigint primary key);\n"
            "create table public.tasks (id bigint primary key, "
            "project_id bigint references public.projects (id));\n"
            "alter table public.tasks enable row level security;\n"
            'create policy "tasks: members" on public.tasks for select to authenticated '
            "using (project_id in (select 1));",
            "a key a policy filters on",
        ),
        passes(
            "create table public.tags (id bigint primary key, name text);\n"
            "create table public.item_tags (item_id bigint, tag bigint references public.tags "
            "(id) on delete cascade, primary key (tag, item_id));\n"
            "alter table public.item_tags drop column tag;",
            "a column dropped later takes its foreign key with it",
        ),
    ],
)
def foreign_key_without_index(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        read_by_policies = {name for policy in table.policies.values() for name in policy.columns}
        rows = ctx.model.filled_by_history(table.key, ctx.exposed)
        for key in table.foreign_keys:
            if not key.columns or table.covered(key.columns):
                continue
            message = (
                f"Foreign key {table.key[1]}({', '.join(key.columns)}) -> "
                f"{key.target[0]}.{key.target[1]} has no index on its columns"
            )
            if rows is not None:
                yield Hit(
                    f"{message}; {table.key[0]}.{table.key[1]} holds only the {rows} rows the "
                    "migrations inserted, so a scan of it costs nothing",
                    location=key.location,
                    severity="info",
                )
            elif read_by_policies & set(key.columns):
                yield Hit(f"{message}, and a policy filters on it", location=key.location)
            elif key.on_delete in ("c", "n", "d"):
                yield Hit(
                    f"{message}, and deleting a parent cascades into it", location=key.location
                )
            else:
                yield Hit(message, location=key.location)


@rule(
    id="PRF02",
    name="table-without-primary-key",
    severity="warning",
    message="Table without a primary key: rows cannot be addressed, replicated or updated safely",
    why="""Without a primary key, logical replication (and Supabase Realtime) cannot send updates
    and deletes, and clients have no stable way to address a row.""",
    bad="create table public.events (name text);",
    good="create table public.events (id bigint generated always as identity primary key, "
    "name text);",
    fix="Add a primary key (an identity column if nothing natural exists).",
    scope="history",
)
def table_without_primary_key(ctx: HistoryContext) -> Iterator[Hit]:
    for table in ctx.model.tables.values():
        if table.created is not None and not table.primary_key:
            yield Hit(
                f"Table {table.key[0]}.{table.key[1]} has no primary key", location=table.created
            )


@rule(
    id="PRF03",
    name="duplicate-index",
    severity="warning",
    message="This index duplicates one the table already has: writes pay twice for nothing",
    why="Two identical indexes double the write cost and the disk space, and help no query.",
    given="create table public.orders (id bigint primary key, customer_id bigint);\n"
    "create index orders_customer_idx on public.orders (customer_id);",
    bad="create index orders_customer_id_idx on public.orders (customer_id);",
    good="create index orders_customer_id_id_idx on public.orders (customer_id, id);",
    fix="Drop one of the two.",
    kinds=["IndexStmt"],
    cases=[
        passes(
            "create index orders_customer_trgm_idx on public.orders "
            "using gin (customer_id gin_trgm_ops);",
            "another access method and operator class is another index",
        ),
        passes(
            "create index orders_customer_id_id_idx on public.orders (customer_id, id desc);",
            "a different column order for sorting",
            given="create table public.orders (id bigint primary key, customer_id bigint);\n"
            "create index orders_customer_idx on public.orders (customer_id, id);",
        ),
        flags(
            "create index orders_customer_desc_idx on public.orders (customer_id desc);",
            "one column DESC is the same index scanned backwards",
        ),
    ],
)
def duplicate_index(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    table = ctx.table(ctx.relation)
    if node.get("whereClause") or table is None:
        return
    name = node.get("idxname") or ""
    if name and node.flag("if_not_exists") and ctx.model.index((ctx.relation[0], name)):
        return  # IF NOT EXISTS on an index that exists: nothing is built
    params = [element.get("IndexElem", {}) for element in node.get("indexParams", []) or []]
    columns = tuple(param.get("name") or "(expression)" for param in params)
    method = node.get("accessMethod") or "btree"
    opclasses = tuple(".".join(names(param.get("opclass"))) for param in params)
    if "(expression)" in columns:
        return
    # A btree scans both ways: (a DESC, b DESC) serves what (a, b) serves; (a, b DESC) does not.
    forward = descending_columns(params) or (False,) * len(columns)
    backward = tuple(not desc for desc in forward)
    orders = {order if any(order) else () for order in (forward, backward)}
    same = [
        index
        for index in table.indexes
        if (index.columns, index.method, index.opclasses) == (columns, method, opclasses)
        and not index.partial
        and index.descending in orders
    ]
    on_key = columns == table.primary_key and method == "btree" and not any(opclasses)
    if same or (on_key and () in orders):
        yield Hit(f"An index on {table.key[1]}({', '.join(columns)}) already exists")


_PER_ROW_FUNCTIONS = {("auth", "uid"), ("auth", "jwt"), ("auth", "role"), ("auth", "email")}


def _unwrapped_calls(expression: Any, inside_select: bool = False) -> Iterator[str]:
    if isinstance(expression, dict):
        for key, value in expression.items():
            if key == "SubLink":
                yield from _unwrapped_calls(value, True)
            elif key == "FuncCall":
                parts = tuple(
                    item["String"]["sval"] for item in value.get("funcname", []) if "String" in item
                )
                name = parts[-2:] if len(parts) >= 2 else ("", parts[-1] if parts else "")
                if not inside_select and (
                    name in _PER_ROW_FUNCTIONS or name[1] == "current_setting"
                ):
                    yield ".".join(part for part in name if part)
                yield from _unwrapped_calls(value, inside_select)
            else:
                yield from _unwrapped_calls(value, inside_select)
    elif isinstance(expression, list):
        for item in expression:
            yield from _unwrapped_calls(item, inside_select)


@rule(
    id="PRF04",
    name="auth-function-not-wrapped",
    severity="warning",
    message="A bare auth.uid() in a policy runs once per row: wrap it as (select auth.uid())",
    why="""A bare auth.uid() (or auth.jwt(), current_setting()) in a policy is called once per
    row scanned. Wrapped in a scalar subquery, PostgreSQL evaluates it once per statement (an
    initPlan): on large tables this is orders of magnitude faster. An INSERT policy only
    checks the new rows, so it is not reported.""",
    given="create table public.notes (id bigint primary key, user_id uuid);",
    bad='create policy "notes: own" on public.notes for select to authenticated '
    "using (auth.uid() = user_id);",
    good='create policy "notes: own" on public.notes for select to authenticated '
    "using ((select auth.uid()) = user_id);",
    fix="Write (select auth.uid()) instead of auth.uid().",
    kinds=["CreatePolicyStmt", "AlterPolicyStmt"],
    cases=[
        passes(
            'create policy "notes: own" on public.notes for select to authenticated '
            "using (auth.uid() = user_id);",
            "a later migration replaces the policy",
            later='alter policy "notes: own" on public.notes '
            "using ((select auth.uid()) = user_id);",
        ),
        passes(
            'create policy "notes: add" on public.notes for insert to authenticated '
            "with check (auth.uid() = user_id);",
            "an INSERT policy checks only the new row",
        ),
    ],
)
def auth_function_not_wrapped(ctx: StatementContext) -> Iterator[Hit]:
    table = ctx.table(qualified(ctx.node.get("table")))
    declared = table.policies.get(ctx.policy[3]) if table else None
    command = ctx.node.get("cmd_name") or (declared.command if declared else "all")
    if command == "insert":
        return  # a new row is checked once: there is no scan to repeat the call over
    seen = set()
    for part in ("qual", "with_check"):
        for name in _unwrapped_calls(ctx.node.get(part)):
            if name not in seen:
                seen.add(name)
                message = f"{name}() is called for every row: wrap it as (select {name}())"
                yield Hit(message, subject=ctx.policy)
