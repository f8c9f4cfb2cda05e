"""The SQL that converges one object kind of a drifted database: column changes (type with a
USING cast, NULL/NOT NULL, default), enum values (added where they belong, renamed), enum
types, extensions (created, dropped, moved), privileges of tables and views (from their
access lists), and views (created or replaced; materialized views rebuilt).

Each function returns the statements, or None when the change is not one it expresses (an
enum value removed, say): the caller lists those to be written by hand.
"""

from __future__ import annotations

import re

from dbflow.catalog.model import Column
from dbflow.sql.tree import quote_ident

_PRIVILEGES = {
    "r": "select", "a": "insert", "w": "update", "d": "delete", "D": "truncate",
    "x": "references", "t": "trigger", "U": "usage", "X": "execute", "C": "create",
    "m": "maintain",  # PostgreSQL 17+
}  # fmt: skip


_NEXTVAL = re.compile(r"nextval\('([^']+)'::regclass\)")


def add_column(table: str, column: Column) -> list[str]:
    """ADD COLUMN as the expected side has it: identity, generated and serial columns too (a
    serial's sequence made first and owned by the column)."""
    name = quote_ident(column.name)
    sql = f"alter table {table} add column {name} {column.type_name}"
    before, after = [], []
    if column.identity:
        how = "always" if column.identity == "a" else "by default"
        sql += f" generated {how} as identity"
    elif column.generated and column.default is not None:
        sql += f" generated always as ({column.default}) stored"
    elif column.default is not None:
        serial = _NEXTVAL.search(column.default)
        if serial:
            before.append(f"create sequence if not exists {serial.group(1)}")
            after.append(f"alter sequence {serial.group(1)} owned by {table}.{name}")
        sql += f" default {column.default}"
    if column.not_null and not column.identity:
        sql += " not null"
    return [*before, sql, *after]


def column_change(table: str, expected: Column, actual: Column) -> list[str] | None:
    """ALTER COLUMN statements that turn ``actual`` into ``expected``."""
    if expected.identity != actual.identity or expected.generated != actual.generated:
        return None
    name = quote_ident(expected.name)
    alter = f"alter table {table} alter column {name}"
    statements = []
    if expected.type_name != actual.type_name:
        if actual.default is not None:
            statements.append(f"{alter} drop default")
        statements.append(f"{alter} type {expected.type_name} using {name}::{expected.type_name}")
    if expected.default != actual.default or (
        expected.type_name != actual.type_name and expected.default is not None
    ):
        statements.append(
            f"{alter} set default {expected.default}"
            if expected.default is not None
            else f"{alter} drop default"
        )
    if expected.not_null != actual.not_null:
        statements.append(f"{alter} {'set' if expected.not_null else 'drop'} not null")
    return statements


def enum_change(name: str, expected: str | None, actual: str | None) -> list[str] | None:
    """Enum types created, dropped, given the values they lack, or a value renamed."""
    if actual is None and expected is not None:
        values = ", ".join(_literal(label) for label in _labels(expected))
        return [f"create type {name} as enum ({values})"]
    if expected is None:
        return [f"drop type {name} cascade"]  # what uses it cannot exist on the other side
    want, have = _labels(expected), _labels(actual or "")
    if len(want) == len(have):
        renamed = [(old, new) for old, new in zip(have, want, strict=True) if old != new]
        if len(renamed) == 1 and renamed[0][1] not in have:
            old, new = renamed[0]
            return [f"alter type {name} rename value {_literal(old)} to {_literal(new)}"]
    if not set(have) <= set(want) or [v for v in want if v in have] != have:
        return None  # a value removed or reordered: the type has to be rebuilt by hand
    statements = []
    for index, label in enumerate(want):
        if label in have:
            continue
        placed = (
            f" before {_literal(want[index + 1])}"
            if index + 1 < len(want) and want[index + 1] in have
            else f" after {_literal(want[index - 1])}"
            if index > 0
            else ""
        )
        statements.append(f"alter type {name} add value {_literal(label)}{placed}")
        have = [*have, label]
    return statements


def extension_change(name: str, expected: str | None, actual: str | None) -> list[str] | None:
    """Extensions (``schema version`` each side) created, dropped, moved or updated; a
    version older than the installed one is not expressed (extensions ship no downgrades)."""
    extension = quote_ident(name)
    if expected is None:
        return [f"drop extension {extension}"]
    schema, _, version = expected.partition(" ")
    if actual is None:
        pinned = f" version {_literal(version)}" if version else ""
        return [
            f"create extension if not exists {extension} with schema {quote_ident(schema)}{pinned}"
        ]
    have_schema, _, have_version = actual.partition(" ")
    statements = []
    if schema != have_schema:
        statements.append(f"alter extension {extension} set schema {quote_ident(schema)}")
    if version != have_version:
        if _version_key(version) < _version_key(have_version):
            return None
        statements.append(f"alter extension {extension} update to {_literal(version)}")
    return statements


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def privileges_change(relation: str, expected: str, actual: str) -> list[str]:
    """REVOKE what the access list of ``actual`` has beyond ``expected``, GRANT the rest."""
    want, have = _acl(expected), _acl(actual)
    statements = []
    for grantee in sorted(set(have) | set(want)):
        extra = have.get(grantee, set()) - want.get(grantee, set())
        missing = want.get(grantee, set()) - have.get(grantee, set())
        role = "public" if grantee == "" else quote_ident(grantee)
        if extra:
            statements.append(f"revoke {', '.join(sorted(extra))} on {relation} from {role}")
        if missing:
            statements.append(f"grant {', '.join(sorted(missing))} on {relation} to {role}")
    return statements


_ALL_OF = {
    "table": {"select", "insert", "update", "delete", "truncate", "references", "trigger"},
    "function": {"execute"},
    "procedure": {"execute"},
    "schema": {"usage", "create"},
    "sequence": {"usage", "select", "update"},
}


def created_object_privileges(target: str, expected: str, grantees: set[str]) -> list[str]:
    """The privileges of an object the same migration creates (``function public.f(int)``,
    ``table public.t``): whatever default privileges give it, each of ``grantees`` (every role
    seen in an access list) ends with exactly what ``expected`` lists. A grantee with all of an
    object's privileges is granted them; any other is revoked from first. Functions start
    executable by PUBLIC, so PUBLIC is settled too."""
    want = _acl(expected)
    word = target.split(" ", 1)[0]
    everything = _ALL_OF.get(word, set())
    if word == "table" and any("maintain" in granted for granted in want.values()):
        everything = everything | {"maintain"}  # a server (17+) where ALL includes it
    public = {""} if word in ("function", "procedure") else set()
    statements = []
    for grantee in sorted(grantees | set(want) | public):
        role = "public" if grantee == "" else quote_ident(grantee)
        granted = want.get(grantee, set())
        if granted != everything:
            statements.append(f"revoke all on {target} from {role}")
        if granted:
            named = "all" if granted == everything else ", ".join(sorted(granted))
            statements.append(f"grant {named} on {target} to {role}")
    return statements


def grantees(access_lists: list[str]) -> set[str]:
    """Every role named in these access lists (PUBLIC left out)."""
    return {grantee for text in access_lists for grantee in _acl(text) if grantee}


def comment_change(name: str, expected: str | None) -> str:
    """``COMMENT ON`` the object (``table public.t``...) as the expected side has it."""
    return f"comment on {name} is {_literal(expected) if expected is not None else 'null'}"


def object_privileges_change(name: str, expected: str, actual: str) -> list[str]:
    """Privileges of a schema, sequence, function or column (``column public.t.c`` becomes
    ``(c) on table public.t``)."""
    if not name.startswith("column "):
        return privileges_change(name, expected, actual)
    table, _, column = name.removeprefix("column ").rpartition(".")
    statements = privileges_change(f"table {table}", expected, actual)
    return [
        statement.replace(" on table ", f" ({column}) on table ", 1).replace(", ", f" ({column}), ")
        for statement in statements
    ]


def sequence_change(name: str, expected: str | None, actual: str | None) -> list[str]:
    """A standalone sequence created, dropped, or given the expected options (a snapshot's
    ``as T increment by ... cycle``, which CREATE and ALTER SEQUENCE both read; its current
    value is data and is left alone)."""
    if expected is None:
        return [f"drop sequence {name}"]
    verb = "create" if actual is None else "alter"
    return [f"{verb} sequence {name} {expected}"]


def publication_change(name: str, expected: str | None, actual: str | None) -> list[str]:
    """A publication's tables (``schema.table`` each, joined by ``, ``) added or removed."""
    publication = quote_ident(name)
    if expected is None:
        return [f"drop publication {publication}"]
    want = [t for t in expected.split(", ") if t]
    if actual is None:
        tables = f" for table {', '.join(want)}" if want else ""
        return [f"create publication {publication}{tables}"]
    have = [t for t in actual.split(", ") if t]
    statements = [f"alter publication {publication} drop table {t}" for t in have if t not in want]
    statements += [f"alter publication {publication} add table {t}" for t in want if t not in have]
    return statements


def view_change(name: str, expected: str | None, actual: str | None) -> list[str]:
    """A view made again as the expected side defines it (a snapshot's ``v|m options sql``)."""
    if expected is None:
        kind = "materialized view" if (actual or "").startswith("m ") else "view"
        return [f"drop {kind} {name}"]
    kind, options, definition = _view(expected)
    body = definition.rstrip().rstrip(";")
    if kind == "m":
        drop = [f"drop materialized view if exists {name}"] if actual is not None else []
        return [*drop, f"create materialized view {name} as {body}"]
    with_options = f" with ({options.strip('{}')})" if options else ""
    if actual is not None and _view(actual)[0] == "m":
        return [f"drop materialized view {name}", f"create view {name}{with_options} as {body}"]
    return [f"create or replace view {name}{with_options} as {body}"]


def _view(definition: str) -> tuple[str, str, str]:
    kind, _, rest = definition.partition(" ")
    if rest.startswith("{"):
        options, _, body = rest.partition("} ")
        return kind, options + "}", body
    return kind, "", rest.lstrip()


def _labels(text: str) -> list[str]:
    return [label for label in text.split(", ")] if text else []


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _acl(text: str) -> dict[str, set[str]]:
    """``{grantee: {privilege, ...}}`` of an access list printed as aclitems."""
    found: dict[str, set[str]] = {}
    for item in text.split():
        grantee, _, rest = item.partition("=")
        letters = rest.split("/", 1)[0].replace("*", "")
        grantee = grantee.strip('"')
        found.setdefault(grantee, set()).update(
            _PRIVILEGES[letter] for letter in letters if letter in _PRIVILEGES
        )
    return found
