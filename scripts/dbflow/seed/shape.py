"""What a table's keys say about how many rows it can have: a one-to-one child has at most
one row per parent, a join table one per combination of parents, an organisations table the
``--orgs`` count; everything else the default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from dbflow.catalog.model import AUTH_USERS, ForeignKey, Table, TableKey

ORGANIZATION_NAMES = {"organizations", "organisations", "orgs", "teams", "workspaces", "companies"}


class Planned(Protocol):
    """A table already planned: how many rows it gets, how many are named fixtures, and how
    many children can point at (those and the rows already there)."""

    @property
    def total(self) -> int: ...

    @property
    def reserved(self) -> int: ...

    @property
    def available(self) -> int: ...


def row_count(
    table: Table,
    counts: Mapping[str, int],
    users: int,
    orgs: int,
    default_rows: int,
    plans: Mapping[TableKey, Planned],
) -> int:
    key = table.key
    explicit = counts.get(f"{key[0]}.{key[1]}", counts.get(key[1]))
    limit = fk_limit(table, plans)
    if explicit is not None:
        return min(explicit, limit) if limit is not None else explicit
    if key == AUTH_USERS:
        return users
    if key[1] in ORGANIZATION_NAMES:
        wanted = orgs
    elif limit is not None and one_to_one(table) is not None:
        wanted = limit
    elif join_keys(table):
        parents = [plans[fk.target].available for fk in join_keys(table) if fk.target in plans]
        wanted = 2 * max(parents, default=default_rows)
    else:
        wanted = default_rows
    return min(wanted, limit) if limit is not None else wanted


def fk_limit(table: Table, plans: Mapping[TableKey, Planned]) -> int | None:
    """How many rows the unique foreign keys allow (one row per parent, or per combination)."""
    one = one_to_one(table)
    if one is not None and one.target in plans:
        return plans[one.target].total
    join = join_keys(table)
    if join and all(fk.target in plans for fk in join):
        product = 1
        for fk in join:
            product *= max(plans[fk.target].available - plans[fk.target].reserved, 0)
        return product
    return None


def unique_column_sets(table: Table) -> list[tuple[str, ...]]:
    sets = [key.columns for key in table.unique_keys if key.columns and not key.predicate]
    if table.primary_key:
        sets.append(table.primary_key)
    return sets


def one_to_one(table: Table) -> ForeignKey | None:
    """A foreign key whose columns are, alone, a primary or unique key (e.g. profiles.id)."""
    unique = {tuple(sorted(columns)) for columns in unique_column_sets(table)}
    for fk in table.foreign_keys:
        if fk.target != table.key and tuple(sorted(fk.columns)) in unique:
            return fk
    return None


def join_keys(table: Table) -> list[ForeignKey]:
    """Foreign keys that together make up a unique key (a join table's composite key)."""
    for columns in unique_column_sets(table):
        members = [fk for fk in table.foreign_keys if set(fk.columns) <= set(columns)]
        covered = {column for fk in members for column in fk.columns}
        if len(members) >= 2 and covered == set(columns):
            return members
    return []
