"""A comparable snapshot of a database's schema: every object by name, with its definition.

Supabase-managed schemas are left out, except the triggers and policies users add there
(triggers on auth.users, policies on storage.objects), as the Supabase CLI's diff does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dbflow.catalog.model import AUTH_USERS, Catalog, Column, Policy, Table
from dbflow.catalog.read import read_catalog, user_schemas
from dbflow.connection import Conn
from dbflow.platform_schemas import MANAGED_SCHEMAS
from dbflow.sql.tree import quote_ident


@dataclass
class Snapshot:
    """kind -> object name -> definition."""

    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    # name -> (the quoted table it is on, the object), for ALTER TABLE ADD and CREATE POLICY
    columns: dict[str, tuple[str, Column]] = field(default_factory=dict)
    policies: dict[str, tuple[str, Policy]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)  # name -> the table (its RLS flags)

    def add(self, kind: str, name: str, definition: str) -> None:
        self.objects.setdefault(kind, {})[name] = definition


def take_snapshot(conn: Conn, *, include_managed: bool = False) -> Snapshot:
    """The schema of the database at ``conn`` as comparable definitions, read through the
    one catalog reader (:func:`dbflow.catalog.read.read_catalog`).

    It is read with an empty search_path, so that every definition names its objects with
    their schema: SQL written from it runs the same whatever the search_path it runs with."""
    with conn.transaction():
        conn.execute("SET LOCAL search_path = ''")
        schemas = user_schemas(conn)
        if include_managed:
            schemas = sorted(set(schemas) | set(MANAGED_SCHEMAS) - {"information_schema"})
        return snapshot_of(read_catalog(conn, schemas), schemas)


def snapshot_of(catalog: Catalog, schemas: list[str]) -> Snapshot:
    """Every object of ``catalog`` in ``schemas`` by kind and qualified name, with its
    definition (and the triggers and policies users add to platform tables)."""
    snapshot = Snapshot()
    for schema, owner in catalog.schemas.items():
        snapshot.add("schema", quote_ident(schema), owner)
    tables = [
        table
        for key, table in catalog.tables.items()
        if key[0] in schemas and key not in catalog.extension_tables
    ]
    for table in tables:
        name = _name(table.key)
        snapshot.add("table", name, f"rls={_bool(table.rls)} force={_bool(table.force_rls)}")
        snapshot.tables[name] = table
        snapshot.add("grant", name, _access(table.acl))
        for constraint in table.constraints:
            if constraint.kind == "n":
                continue  # PostgreSQL 18 lists NOT NULL as a constraint: the column has it
            snapshot.add(
                "constraint", f"{name}.{quote_ident(constraint.name)}", constraint.definition
            )
        for column in table.columns:
            _add_column(snapshot, name, column)
    for index in catalog.indexes:
        if index.table not in catalog.extension_tables:
            snapshot.add("index", _name(index.key), index.definition)
    for view in catalog.views.values():
        kind = "m" if view.materialized else "v"
        snapshot.add("view", _name(view.key), f"{kind} {view.options} {view.definition}")
        word = "materialized view" if view.materialized else "view"
        snapshot.add("owner", f"{word} {_name(view.key)}", view.owner)
        snapshot.add("grant", _name(view.key), _access(view.acl))
    for function in catalog.functions:
        name = f"{_name((function.schema, function.name))}({function.identity_arguments})"
        snapshot.add("function", name, function.definition)
    for name, definition in catalog.hook_functions.items():
        snapshot.add("function", name, definition)
    hooked = [*tables, *catalog.extension_point_tables.values()]
    if AUTH_USERS in catalog.tables and "auth" not in schemas:
        hooked.append(catalog.tables[AUTH_USERS])
    for table in hooked:
        for trigger in table.triggers:
            snapshot.add(
                "trigger", f"{_name(table.key)}.{quote_ident(trigger.name)}", trigger.definition
            )
        for policy in table.policies:
            _add_policy(snapshot, table, policy)
    for (schema, name), labels in catalog.enums.items():
        snapshot.add("enum", _name((schema, name)), ", ".join(labels))
    for extension, schema in catalog.extensions.items():
        version = catalog.extension_versions.get(extension, "")
        snapshot.add("extension", extension, f"{schema} {version}".strip())
    for publication, published in catalog.publications.items():
        snapshot.add("publication", publication, ", ".join(published))
    for name, options in catalog.sequences.items():
        snapshot.add("sequence", name, options)
    for name, text in catalog.comments.items():
        snapshot.add("comment", name, text)
    for name, acl in catalog.privileges.items():
        snapshot.add("privilege", name, _access(acl))
    return snapshot


def _name(key: tuple[str, str]) -> str:
    return f"{quote_ident(key[0])}.{quote_ident(key[1])}"


def _access(acl: str) -> str:
    """An access list as who may do what: ``grantee=privileges`` items, sorted, without the
    grantor (who granted a privilege changes nothing about who has it, and a migration run by
    another role cannot reproduce it)."""
    items = {item.split("/", 1)[0] for item in acl.split()}
    return " ".join(sorted(items))


def _bool(value: bool) -> str:
    return "t" if value else "f"  # as PostgreSQL prints a boolean


def _add_column(snapshot: Snapshot, table: str, column: Column) -> None:
    name = f"{table}.{quote_ident(column.name)}"
    default = column.default
    parts = [column.type_name, "not null" if column.not_null else "null"]
    if default is not None:
        parts.append(f"default {default}")
    if column.identity:
        parts.append(f"identity {column.identity}")
    if column.generated:
        parts.append("generated")
    snapshot.add("column", name, " ".join(parts))
    snapshot.columns[name] = (table, column)


def _add_policy(snapshot: Snapshot, table: Table, policy: Policy) -> None:
    name = f"{_name(table.key)}.{quote_ident(policy.name)}"
    roles = ", ".join(sorted(policy.roles))
    command = policy.command
    definition = f"{policy.permissive} {command} to {roles}"
    if policy.using is not None:
        definition += f" using ({policy.using})"
    if policy.check is not None:
        definition += f" with check ({policy.check})"
    snapshot.add("policy", name, definition)
    snapshot.policies[name] = (_name(table.key), policy)
