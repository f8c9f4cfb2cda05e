"""The catalog as dbflow reads it: tables, columns, keys, constraints, enums, triggers."""

from __future__ import annotations

from dataclasses import dataclass, field

TableKey = tuple[str, str]


@dataclass(frozen=True)
class Column:
    name: str
    type_name: str  # format_type(): 'character varying(120)', 'text[]', 'public.membership_role'
    base_type: str  # the underlying scalar type name: 'varchar', 'text', 'int4', 'uuid', enum name
    is_array: bool
    max_length: int | None  # varchar(n) / char(n)
    not_null: bool
    has_default: bool
    identity: str  # '' | 'a' (always) | 'd' (by default)
    generated: bool
    enum_labels: tuple[str, ...] = ()
    domain_checks: tuple[str, ...] = ()
    numeric_precision: int | None = None
    numeric_scale: int | None = None
    default: str | None = None  # the default expression, as pg_get_expr prints it


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    target: TableKey
    target_columns: tuple[str, ...]
    deferrable: bool


@dataclass(frozen=True)
class UniqueKey:
    name: str
    columns: tuple[str, ...]  # empty when it is an expression index
    predicate: str | None  # partial index WHERE clause
    expression: str | None  # definition of an expression index


@dataclass(frozen=True)
class Check:
    name: str
    definition: str  # pg_get_constraintdef: 'CHECK ((char_length(name) <= 120))'


@dataclass(frozen=True)
class Trigger:
    name: str
    function: str  # schema-qualified function name
    events: tuple[str, ...]  # 'insert', 'update', 'delete'
    inserts_into: tuple[tuple[TableKey, tuple[str, ...]], ...]  # (table, columns) its body inserts


@dataclass
class Table:
    key: TableKey
    columns: list[Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    unique_keys: list[UniqueKey] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass
class Catalog:
    tables: dict[TableKey, Table] = field(default_factory=dict)

    def feeding_triggers(self, key: TableKey) -> list[tuple[Table, Trigger]]:
        """Triggers on other tables whose function inserts rows into ``key``."""
        return [
            (table, trigger)
            for table in self.tables.values()
            for trigger in table.triggers
            if any(target == key for target, _ in trigger.inserts_into)
        ]
