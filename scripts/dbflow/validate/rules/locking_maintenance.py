"""Locking and availability: index builds, rebuilds and maintenance commands that block a
table holding data, and statements that wait for a lock without a timeout."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.sql.tree import qualified, qualified_from_names
from dbflow.validate.rules import Hit, StatementContext, flags, informs, once, passes, rule

_GIVEN = "create table public.orders (id bigint primary key, customer_id bigint, note varchar(20));"
# A lookup table: RLS on, clients may only read, and its rows are the migration's own.
_PLANS = (
    "create table public.plans (id bigint primary key, name text);\n"
    "alter table public.plans enable row level security;\n"
    'create policy "plans: read" on public.plans for select using (true);\n'
    "insert into public.plans (id, name) values (1, 'free'), (2, 'pro');"
)


@rule(
    id="LCK01",
    name="create-index-not-concurrently",
    severity="warning",
    message="CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds",
    why="""A plain CREATE INDEX takes a SHARE lock: every INSERT, UPDATE and DELETE on a table that
    already holds data waits until the whole index is built. A table created in the same file
    is empty, so it is not flagged.""",
    given=_GIVEN,
    bad="create index orders_customer_id_idx on public.orders (customer_id);",
    good="create index concurrently if not exists orders_customer_id_idx "
    "on public.orders (customer_id);",
    fix="""Use CREATE INDEX CONCURRENTLY IF NOT EXISTS, alone in its own migration file (it
    cannot run inside the file's transaction).""",
    kinds=["IndexStmt"],
    cases=[
        passes(
            "create index if not exists orders_customer_id_idx on public.orders (customer_id);",
            "IF NOT EXISTS on an index that exists builds nothing",
            given=_GIVEN + "\ncreate index orders_customer_id_idx on public.orders (customer_id);",
        ),
        passes(
            "create table public.refunds (id bigint primary key, order_id bigint);\n"
            "create index refunds_order_id_idx on public.refunds (order_id);",
            "a table created in the same file is empty",
        ),
        passes(
            "create materialized view public.order_totals as select 1 as total;\n"
            "create index order_totals_total_idx on public.order_totals (total);",
            "a materialized view created in the same file",
        ),
        informs(
            "alter table public.orders add column shipped_at timestamptz;\n"
            "create index orders_shipped_at_idx on public.orders (shipped_at);",
            "a column ADD COLUMN made earlier in the file: the table is locked already",
        ),
        flags(
            "alter table public.orders add column shipped_at timestamptz;\n"
            "create index orders_note_shipped_idx on public.orders (note, shipped_at);",
            "an index that also covers an old column builds over real values",
        ),
        informs(
            "create index plans_name_idx on public.plans (name);",
            "a small table only the migrations fill: the build takes milliseconds",
            given=_PLANS,
        ),
        flags(
            "create index plans_name_idx on public.plans (name);",
            "clients may add rows: the table can grow",
            given=_PLANS + '\ncreate policy "plans: add" on public.plans for insert '
            "to authenticated with check (true);",
        ),
        flags(
            "create index plans_name_idx on public.plans (name);",
            "INSERT ... SELECT may write any number of rows",
            given=_PLANS + "\ninsert into public.plans (id, name) "
            "select g, 'p' || g from generate_series(3, 9) g;",
        ),
    ],
    scales_with_rows=True,
)
def create_index_not_concurrently(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    name = node.get("idxname") or ""
    if name and node.flag("if_not_exists") and ctx.model.index((ctx.relation[0], name)):
        return
    if node.flag("concurrent") or not ctx.holds_data():
        return
    params = [element.get("IndexElem", {}) for element in node.get("indexParams") or []]
    columns = [param.get("name") for param in params]
    reason = None if None in columns else ctx.added_here(str(column) for column in columns)
    if reason is not None:
        yield Hit(f"CREATE INDEX without CONCURRENTLY; {reason}", severity="info")
        return
    yield Hit()


@rule(
    id="LCK02",
    name="drop-index-not-concurrently",
    severity="warning",
    message="DROP INDEX without CONCURRENTLY blocks reads and writes on the table",
    why="""DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table; queries queue behind
    it, and behind any long query already running. The lock itself is brief: when the runner
    sets lock_timeout (dbflow's does), it fails fast instead of queueing, and the finding is
    info.""",
    given=_GIVEN + "\ncreate index orders_note_idx on public.orders (note);",
    bad="drop index public.orders_note_idx;",
    good="drop index concurrently if exists public.orders_note_idx;",
    fix="Use DROP INDEX CONCURRENTLY IF EXISTS, alone in its own migration file.",
    kinds=["DropStmt"],
    cases=[
        informs(
            "drop index public.orders_note_idx;",
            "with the runner's lock_timeout the brief lock is info",
        ),
        passes(
            "drop index if exists public.orders_old_idx;",
            "IF EXISTS on an index the history never created drops nothing",
        ),
    ],
)
def drop_index_not_concurrently(ctx: StatementContext) -> Iterator[Hit]:
    node = ctx.node
    if node.get("removeType") != "OBJECT_INDEX" or node.flag("concurrent"):
        return
    for item in node.get("objects", []) or []:
        index = qualified_from_names(item.get("List", {}).get("items"))
        table = ctx.model.index_tables.get(index)
        if table is None and node.flag("missing_ok"):
            continue
        if table is None or ctx.holds_data(table):
            if ctx.options.runner_sets_lock_timeout:  # the lock is brief and cannot queue
                yield Hit(
                    f"Dropping index {index[1]} takes a brief exclusive lock on its table "
                    "(the runner's lock_timeout keeps it from queueing traffic)",
                    severity="info",
                )
            else:
                yield Hit(f"Dropping index {index[1]} blocks reads and writes on its table")
            return


@rule(
    id="LCK03",
    name="reindex-not-concurrently",
    severity="warning",
    message="REINDEX without CONCURRENTLY blocks writes (and reads using the index)",
    why="A plain REINDEX locks out writes to the table for the whole rebuild.",
    bad="reindex index public.orders_pkey;",
    good="reindex index concurrently public.orders_pkey;",
    fix="Use REINDEX ... CONCURRENTLY, alone in its own migration file.",
    kinds=["ReindexStmt"],
)
def reindex_not_concurrently(ctx: StatementContext) -> Iterator[Hit]:
    concurrent = any(
        param.get("DefElem", {}).get("defname") == "concurrently"
        for param in ctx.node.get("params", []) or []
    )
    yield from once(not concurrent)


@rule(
    id="LCK06",
    name="refresh-materialized-view-not-concurrently",
    severity="warning",
    message="REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view",
    why="A plain refresh takes an ACCESS EXCLUSIVE lock on the view until it is rebuilt.",
    bad="refresh materialized view public.daily_totals;",
    good="refresh materialized view concurrently public.daily_totals;",
    fix="Use CONCURRENTLY (the view needs a unique index), alone in its own migration file.",
    kinds=["RefreshMatViewStmt"],
)
def refresh_materialized_view_not_concurrently(ctx: StatementContext) -> Iterator[Hit]:
    view = qualified(ctx.node.get("relation"))
    yield from once(not ctx.node.flag("concurrent") and not ctx.new_in_file(("view", *view)))


@rule(
    id="LCK07",
    name="vacuum-full-or-cluster",
    severity="warning",
    message="VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock",
    why="Both rewrite the whole table and block every read and write until they finish.",
    bad="vacuum full public.orders;",
    good="vacuum (analyze) public.orders;",
    fix="Use pg_repack (or REPACK on recent PostgreSQL) outside migrations.",
    kinds=["VacuumStmt", "ClusterStmt"],
    scales_with_rows=True,
)
def vacuum_full_or_cluster(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.kind == "ClusterStmt":
        yield Hit()
        return
    options = ctx.node.options
    yield from once("full" in options)


_LOCKING_KINDS = frozenset(
    {"AlterTableStmt", "IndexStmt", "DropStmt", "RenameStmt", "CreateTrigStmt"}
)


@rule(
    id="LCK17",
    name="missing-lock-timeout",
    severity="warning",
    message="A locking statement runs with no lock_timeout: it can queue every query behind it",
    why="""ALTER TABLE waits for its lock behind any long query, and every new query waits behind
    it: a short lock becomes an outage. lock_timeout makes it fail fast instead. dbflow's runner
    sets lock_timeout for every migration, so this rule only applies when
    runner_sets_lock_timeout = false.""",
    given=_GIVEN,
    bad="alter table public.orders add column shipped_at timestamptz;",
    good="set lock_timeout = '5s';\nalter table public.orders add column shipped_at timestamptz;",
    fix="Start the file with SET lock_timeout = '5s' (or let dbflow's runner set it).",
    kinds=list(_LOCKING_KINDS),
)
def missing_lock_timeout(ctx: StatementContext) -> Iterator[Hit]:
    if ctx.options.runner_sets_lock_timeout:
        return
    if ctx.node.relation is None or not ctx.holds_data():
        return
    for earlier in ctx.source.statements:
        if earlier.offset >= ctx.statement.offset:
            break
        if earlier.kind == "VariableSetStmt" and earlier.node.get("name") == "lock_timeout":
            return
    yield Hit()
