"""``inv db.diff --sql``: the SQL that makes the ``to`` side match the ``from`` side, in an
order that applies (what only the target has dropped first, dependents first; new objects
after what they need), and what it cannot express, listed for a person."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from dbflow.catalog.model import Column
from dbflow.catalog.snapshot import Snapshot
from dbflow.schema.diff.changes import (
    add_column,
    column_change,
    comment_change,
    created_object_privileges,
    enum_change,
    extension_change,
    grantees,
    object_privileges_change,
    privileges_change,
    publication_change,
    sequence_change,
    view_change,
)
from dbflow.schema.diff.compare import KIND_ORDER, Difference, DiffResult
from dbflow.sql.tree import quote_ident


@dataclass(frozen=True)
class Migration:
    statements: list[str]
    not_expressed: list[Difference]


def migration_sql(result: DiffResult) -> Migration:
    """Statements that bring ``to`` to ``from`` for the common cases; the rest, listed."""
    statements: list[str] = []
    skipped: list[Difference] = []
    expected, actual = result.expected, result.actual
    # What only the target has goes first, in reverse creation order (policies, functions and
    # tables before the types they use); then what it lacks or has changed, in creation order.
    extra = [d for d in result.differences if d.change == "extra"]
    new_functions = _new_functions(expected, actual)
    order = _creation_order(expected, new_functions)
    rest = _views_after_what_they_read(
        sorted((d for d in result.differences if d.change != "extra"), key=order), expected
    )
    around = _views_over_retyped_columns(result)
    for item in sorted(extra, key=lambda d: -KIND_ORDER.index(d.kind)):
        produced = _statements(item, expected, actual)
        skipped.extend([item] if produced is None else [])
        statements.extend(produced or [])
    statements += [f"drop {_view_word(actual, view)} {view}" for view in reversed(around)]
    # Each item's statements at its rank; the views dropped around a type change come back
    # just before the views, column defaults that call a new function just after functions.
    batches: list[tuple[float, list[str]]] = []
    defaults: list[str] = []
    for item in rest:
        waits = _default_calling(item, expected, new_functions)
        if waits is None:
            produced = _statements(item, expected, actual)
        else:
            table, column = waits
            produced = add_column(table, replace(column, default=None))
            defaults.append(
                f"alter table {table} alter column {quote_ident(column.name)} "
                f"set default {column.default}"
            )
        if produced is None:
            skipped.append(item)
        else:
            batches.append((order(item)[0], produced))
    batches.append((KIND_ORDER.index("view") - 0.5, _remade_views(around, expected, actual)))
    batches.append((KIND_ORDER.index("function") + 0.25, defaults))
    for _, produced in sorted(batches, key=lambda batch: batch[0]):  # stable: ties keep order
        statements.extend(produced)
    return Migration(statements, skipped)


def _views_after_what_they_read(items: list[Difference], expected: Snapshot) -> list[Difference]:
    """The views among ``items`` reordered so that a view comes after the views it reads."""
    views = [item for item in items if item.kind == "view" and item.expected]
    if len(views) < 2:
        return items
    names = {item.name for item in views}
    reads = {
        item.name: {other for other in names if other != item.name and _names(item.expected, other)}
        for item in views
    }
    ordered: list[Difference] = []
    placed: set[str] = set()
    remaining = list(views)
    while remaining:
        ready = [item for item in remaining if reads[item.name] <= placed] or remaining[:1]
        for item in ready:  # a cycle cannot be created anyway: its first view goes on
            ordered.append(item)
            placed.add(item.name)
            remaining.remove(item)
    slots = iter(ordered)
    return [next(slots) if item.kind == "view" and item.expected else item for item in items]


def _names(text: str | None, name: str) -> bool:
    """Whether SQL ``text`` names the qualified object ``name`` (not as part of a longer one)."""
    return (
        bool(text)
        and re.search(rf"(?<![\w.\"]){re.escape(name)}(?![\w\"])", text or "") is not None
    )


def _new_functions(expected: Snapshot, actual: Snapshot) -> set[str]:
    """Qualified names of the functions the migration creates (``public.f``)."""
    made = expected.objects.get("function", {})
    return {
        name.split("(", 1)[0] for name in made if name not in actual.objects.get("function", {})
    }


def _default_calling(
    item: Difference, expected: Snapshot, functions: set[str]
) -> tuple[str, Column] | None:
    """A missing column (its table, itself) whose default calls one of ``functions``."""
    if item.kind != "column" or item.change != "missing":
        return None
    table, column = expected.columns[item.name]
    return (table, column) if _calls(column.default, functions) and not column.generated else None


def _calls(text: str | None, functions: set[str]) -> bool:
    return bool(text) and any(f"{name}(" in (text or "") for name in functions)


def _views_over_retyped_columns(result: DiffResult) -> list[str]:
    """Views of the target that read a table whose column changes type (ALTER COLUMN TYPE
    refuses while a view uses the column), with the views over those views, in creation
    order: they are dropped before the change and made again after it."""
    expected, actual = result.expected, result.actual
    retyped = {
        actual.columns[d.name][0]
        for d in result.differences
        if d.kind == "column"
        and d.change == "changed"
        and expected.columns[d.name][1].type_name != actual.columns[d.name][1].type_name
    }
    if not retyped:
        return []
    views = actual.objects.get("view", {})
    found: list[str] = []
    reads = set(retyped)
    changed = True
    while changed:
        changed = False
        for view, definition in views.items():
            if view in found or view not in expected.objects.get("view", {}):
                continue
            if any(_names(definition, name) for name in reads):
                found.append(view)
                reads.add(view)
                changed = True
    return found


def _view_word(snapshot: Snapshot, view: str) -> str:
    return "materialized view" if snapshot.objects["view"][view].startswith("m ") else "view"


def _remade_views(views: list[str], expected: Snapshot, actual: Snapshot) -> list[str]:
    """The views dropped around a type change, made again as the expected side has them,
    with their privileges and comments."""
    statements: list[str] = []
    everyone = _all_grantees(expected, actual)
    for view in views:
        statements += view_change(view, expected.objects["view"][view], None) or []
        acl = expected.objects.get("grant", {}).get(view)
        if acl is not None:
            statements += created_object_privileges(f"table {view}", acl, everyone)
        word = _view_word(expected, view)
        comment = expected.objects.get("comment", {}).get(f"{word} {view}")
        if comment is not None:
            statements.append(comment_change(f"{word} {view}", comment))
    return statements


def _creation_order(
    expected: Snapshot, new_functions: set[str]
) -> Callable[[Difference], tuple[float, int]]:
    """Kinds in creation order, with foreign keys after the keys and unique indexes they
    reference, constraints and indexes that call a new function after the functions, a
    materialized view's indexes after it, and a table's columns in their order in the table."""
    columns = {name: position for position, name in enumerate(expected.columns)}

    def key(item: Difference) -> tuple[float, int]:
        rank: float = KIND_ORDER.index(item.kind)
        if item.kind == "constraint" and (item.expected or "").startswith("FOREIGN KEY"):
            rank = KIND_ORDER.index("index") + 0.5
        if item.kind == "index" and _on_a_view(item.expected or "", expected):
            rank = KIND_ORDER.index("view") + 0.5  # a materialized view's index, after it
        if item.kind in ("constraint", "index") and _calls(item.expected, new_functions):
            rank = max(rank, KIND_ORDER.index("function") + 0.5)
        return rank, columns.get(item.name, 0) if item.kind == "column" else 0

    return key


def _on_a_view(definition: str, expected: Snapshot) -> bool:
    """Whether an index definition (``CREATE INDEX i ON public.v USING ...``) is on a
    materialized view of ``expected``."""
    found = re.search(r" ON (?:ONLY )?(\S+) USING ", definition)
    return found is not None and found.group(1) in expected.objects.get("view", {})


Writer = Callable[[Difference, Snapshot, Snapshot], "list[str] | None"]


def _statements(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str] | None:
    """The statements that settle one difference (None: not expressible here)."""
    if item.kind == "schema":
        return _schema(item)
    if item.kind == "table":
        return _table(item, expected)
    if item.change == "extra" and _on_dropped_table(item.kind, item.name, expected, actual):
        return []  # gone with its table
    if (
        item.kind in ("comment", "privilege")
        and item.change == "extra"
        and _goes_with_a_drop(item.name, expected, actual)
    ):
        return []
    write = _WRITERS.get(item.kind)
    return write(item, expected, actual) if write is not None else None


def _owner(item: Difference) -> list[str]:
    """A view's owner (the role it runs as without security_invoker). A view made by the
    migration belongs to the role that runs it (postgres on the platform); one dropped takes
    its owner along."""
    if item.change == "extra" or (item.change == "missing" and item.expected == "postgres"):
        return []
    return [f"alter {item.name} owner to {quote_ident(item.expected or '')}"]


def _schema(item: Difference) -> list[str]:
    if item.change == "missing":
        return [f"create schema {item.name}"]
    if item.change == "extra":
        return [f"drop schema {item.name} cascade"]  # its objects are dropped before it
    return [f"alter schema {item.name} owner to {quote_ident(item.expected or '')}"]


def _table(item: Difference, expected: Snapshot) -> list[str] | None:
    name = item.name
    if item.change == "extra":
        # CASCADE reaches only what cannot exist on the expected side either (foreign keys
        # to this table, views over it), so the tables go in any order.
        return [f"drop table {name} cascade"]
    table = expected.tables.get(name)
    if table is None:
        return None
    if item.change == "missing":
        statements = [f"create table {name} ()"]
        if table.rls:
            statements.append(f"alter table {name} enable row level security")
        if table.force_rls:
            statements.append(f"alter table {name} force row level security")
        return statements
    return [
        f"alter table {name} {'enable' if table.rls else 'disable'} row level security",
        f"alter table {name} {'force' if table.force_rls else 'no force'} row level security",
    ]


def _column(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str] | None:
    if item.change == "missing":
        table, column = expected.columns[item.name]
        return add_column(table, column)
    if item.change == "extra":
        table, column = actual.columns[item.name]
        return [f"alter table {table} drop column {quote_ident(column.name)}"]
    table, wanted = expected.columns[item.name]
    return column_change(table, wanted, actual.columns[item.name][1])


def _publication(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str]:
    dropped = _dropped_relations(expected, actual)
    return [
        statement
        for statement in publication_change(item.name, item.expected, item.actual)
        if not (" drop table " in statement and statement.rsplit(" ", 1)[-1] in dropped)
    ]  # a dropped table leaves its publications by itself


def _privilege(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str]:
    word, _, bare = item.name.partition(" ")
    if item.change == "missing" and word in ("function", "procedure", "schema", "sequence"):
        made_kind = "function" if word == "procedure" else word
        if _only_in_target(made_kind, bare, actual, expected):  # created above
            return created_object_privileges(
                item.name, item.expected or "", _all_grantees(expected, actual)
            )
    return object_privileges_change(item.name, item.expected or "", item.actual or "")


def _grant(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str] | None:
    name, change = item.name, item.change
    exists = any(name in actual.objects.get(kind, {}) for kind in ("table", "view"))
    made = name in expected.objects.get("view", {}) or name in expected.objects.get("table", {})
    if change == "missing" and not (exists or made):
        return None  # views and tables are created above; this one is not among them
    if change == "extra" and name in _dropped_relations(expected, actual):
        return []  # the table or view is dropped above, its privileges with it
    if change == "missing" and made and not exists:
        return created_object_privileges(  # GRANT ... ON TABLE names views too
            f"table {name}", item.expected or "", _all_grantees(expected, actual)
        )
    return privileges_change(name, item.expected or "", item.actual or "")


def _index(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str]:
    drop = [f"drop index if exists {item.name}"] if item.change != "missing" else []
    create = [item.expected] if item.change != "extra" and item.expected else []
    return drop + create


def _constraint(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str]:
    table, constraint = item.name.rsplit(".", 1)
    drop = [f"alter table {table} drop constraint {constraint}"]
    add = [f"alter table {table} add constraint {constraint} {item.expected}"]
    return (drop if item.change != "missing" else []) + (add if item.change != "extra" else [])


def _policy(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str]:
    table, source = expected.policies.get(item.name) or actual.policies[item.name]
    drop = [f"drop policy {quote_ident(source.name)} on {table}"]
    if item.change == "extra":
        return drop
    table, policy = expected.policies[item.name]
    sql = (
        f"create policy {quote_ident(policy.name)} on {table} as {policy.permissive} "
        f"for {policy.command} to {', '.join(policy.roles)}"
    )
    if policy.using is not None:
        sql += f" using ({policy.using})"
    if policy.check is not None:
        sql += f" with check ({policy.check})"
    return [*(drop if item.change != "missing" else []), sql]


def _function(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str] | None:
    if item.change == "extra":
        return [f"drop function {item.name}"]
    return [item.expected.rstrip().rstrip(";")] if item.expected else None


def _trigger(item: Difference, expected: Snapshot, actual: Snapshot) -> list[str]:
    table, trigger = item.name.rsplit(".", 1)
    drop = [f"drop trigger {trigger} on {table}"] if item.change != "missing" else []
    return drop + ([item.expected] if item.change != "extra" and item.expected else [])


_WRITERS: dict[str, Writer] = {
    "column": _column,
    "enum": lambda item, expected, actual: enum_change(item.name, item.expected, item.actual),
    "extension": lambda item, expected, actual: extension_change(
        item.name, item.expected, item.actual
    ),
    "sequence": lambda item, expected, actual: sequence_change(
        item.name, item.expected, item.actual
    ),
    "view": lambda item, expected, actual: view_change(item.name, item.expected, item.actual),
    "comment": lambda item, expected, actual: [comment_change(item.name, item.expected)],
    "owner": lambda item, expected, actual: _owner(item),
    "publication": _publication,
    "privilege": _privilege,
    "grant": _grant,
    "index": _index,
    "constraint": _constraint,
    "policy": _policy,
    "function": _function,
    "trigger": _trigger,
}


def _all_grantees(expected: Snapshot, actual: Snapshot) -> set[str]:
    lists = [
        acl
        for snapshot in (expected, actual)
        for kind in ("grant", "privilege")
        for acl in snapshot.objects.get(kind, {}).values()
    ]
    return grantees(lists)


def _only_in_target(kind: str, name: str, expected: Snapshot, actual: Snapshot) -> bool:
    """An object only the target has: the converging SQL drops it."""
    return name in actual.objects.get(kind, {}) and name not in expected.objects.get(kind, {})


def _dropped_relations(expected: Snapshot, actual: Snapshot) -> set[str]:
    return {
        relation
        for kind in ("table", "view")
        for relation in actual.objects.get(kind, {})
        if _only_in_target(kind, relation, expected, actual)
    }


def _on_dropped_table(kind: str, name: str, expected: Snapshot, actual: Snapshot) -> bool:
    """An object of a table only the target has (its table is dropped above)."""
    if kind not in ("column", "constraint"):  # policies and triggers go first, explicitly
        return False
    return _only_in_target("table", name.rsplit(".", 1)[0], expected, actual)


def _goes_with_a_drop(target: str, expected: Snapshot, actual: Snapshot) -> bool:
    """A comment or privilege (``table public.t``, ``column public.t.c``, ``sequence ...``)
    of an object dropped above: a table or view only the target has, or the sequence of one
    of its columns."""
    word, _, name = target.partition(" ")
    if word == "materialized":
        word, _, name = name.partition(" ")
    dropped = _dropped_relations(expected, actual)
    if word == "schema":
        return _only_in_target("schema", name, expected, actual)
    if word in ("table", "view"):
        return name in dropped
    if word in ("function", "procedure"):
        return _only_in_target("function", name, expected, actual)
    if word == "column":
        return name.rsplit(".", 1)[0] in dropped
    if word == "sequence" and _only_in_target("sequence", name, expected, actual):
        return True  # a standalone sequence dropped above
    if word == "sequence":  # a serial's (named in its default) or an identity's sequence
        bare = name.rsplit(".", 1)[-1].strip('"')

        def owns(table: str, column: Column) -> bool:
            if f"{bare}'" in (column.default or ""):
                return True
            relation = table.rsplit(".", 1)[-1].strip('"')
            return bool(column.identity) and bare == f"{relation}_{column.name}_seq"

        return any(
            table in dropped and owns(table, column) for table, column in actual.columns.values()
        )
    return False


def render_migration(result: DiffResult, migration: Migration) -> str:
    header = [
        f"-- Migration: bring {result.target} back to {result.source} (written by inv db.diff)",
        "-- Review every statement before applying it.",
    ]
    if migration.not_expressed:
        header.append("-- Not expressed here (write these by hand):")
        header.extend(f"--   {d.kind} {d.name}: {d.change}" for d in migration.not_expressed)
    body = [f"{statement};" for statement in migration.statements]
    return "\n".join(header) + "\n\n" + "\n\n".join(body) + "\n"
