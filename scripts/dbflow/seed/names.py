"""Table and column names on the command line (``--rows``, ``--fixed``) as PostgreSQL reads
them: ``skills``, ``public.skills``, ``public."Users"``, ``"Users"."Full Name"``."""

from __future__ import annotations

from collections.abc import Mapping

from dbflow.catalog.model import Table, TableKey
from dbflow.errors import SeedPlanError


def name_parts(name: str) -> list[str]:
    """A dotted name as its parts, PostgreSQL's way: ``public."Users"`` is ``public``,
    ``Users``; a quoted part keeps its case and its dots, ``""`` inside it is a quote."""
    parts, current, quoted, index = [], [], False, 0
    while index < len(name):
        char = name[index]
        if char == '"':
            if quoted and name[index + 1 : index + 2] == '"':
                current.append('"')
                index += 2
                continue
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _table_for(parts: list[str], tables: dict[TableKey, Table]) -> Table | None:
    """The table ``parts`` (``[table]`` or ``[schema, table]``) names: as written, else as
    PostgreSQL folds an unquoted name (to lower case)."""
    for candidate in (parts, [part.lower() for part in parts]):
        if len(candidate) == 2 and tuple(candidate) in tables:
            return tables[(candidate[0], candidate[1])]
        if len(candidate) == 1:
            matches = [table for key, table in tables.items() if key[1] == candidate[0]]
            if matches:
                return sorted(matches, key=lambda table: table.key[0] != "public")[0]
    return None


def resolve_counts(counts: Mapping[str, int], tables: dict[TableKey, Table]) -> dict[str, int]:
    """``--rows`` names (``skills``, ``public.skills``, ``public."Users"``) as ``schema.table``."""
    resolved: dict[str, int] = {}
    for name, count in counts.items():
        table = _table_for(name_parts(name), tables)
        if table is None:
            raise SeedPlanError(f"--rows {name}={count}: no table {name!r} to seed")
        if count < 0:
            raise SeedPlanError(f"--rows {name}={count}: a count cannot be negative")
        resolved[table.name] = count
    return resolved


def resolve_fixed(fixed: Mapping[str, str], tables: dict[TableKey, Table]) -> dict[str, str]:
    """``--fixed TABLE.COLUMN`` names (quoted parts allowed) as ``schema.table.column``."""
    resolved: dict[str, str] = {}
    for name, value in fixed.items():
        parts = name_parts(name)
        if len(parts) < 2 or not parts[0]:
            raise SeedPlanError(f"--fixed {name}={value}: name a column as TABLE.COLUMN")
        table_name = ".".join(parts[:-1])
        table = _table_for(parts[:-1], tables)
        if table is None:
            raise SeedPlanError(f"--fixed {name}={value}: no table {table_name!r} to seed")
        columns = {column.name for column in table.columns}
        column = parts[-1] if parts[-1] in columns else parts[-1].lower()
        if column not in columns:
            known = ", ".join(column.name for column in table.columns)
            raise SeedPlanError(
                f"--fixed {name}={value}: table {table.name} has no column {parts[-1]!r}",
                hint=f"its columns: {known}",
            )
        resolved[f"{table.name}.{column}"] = value
    return resolved
