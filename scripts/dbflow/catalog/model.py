"""The live catalog as dbflow reads it, one model for the seeder, the differ and the type
generator: tables (columns, keys, constraints, triggers, policies, grants), views,
functions, enums, indexes, extensions, publications and schemas.

These are the objects of a running database. The validator's schema model, replayed from
migration text, is another thing with other names (:mod:`dbflow.validate.declared`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TableKey = tuple[str, str]
AUTH_USERS: TableKey = ("auth", "users")  # the platform table seeds and foreign keys start from


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
    default: str | None = None  # default or generation expression, as pg_get_expr prints it
    # the scalar under any domain and array, with its modifiers: 'vector(384)',
    # 'geometry(Point,4326)', 'bit(8)'; and its kind: 'b' base, 'e' enum, 'r' range,
    # 'm' multirange, 'c' composite
    scalar_type: str = ""
    scalar_kind: str = ""


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
class Constraint:
    name: str
    kind: str  # 'p', 'u', 'f', 'c', 'x', 't', 'n'
    definition: str  # pg_get_constraintdef


@dataclass(frozen=True)
class Trigger:
    name: str
    function: str  # schema-qualified function name
    events: tuple[str, ...]  # 'insert', 'update', 'delete'
    inserts_into: tuple[tuple[TableKey, tuple[str, ...]], ...]  # (table, columns) its body inserts
    definition: str = ""  # pg_get_triggerdef


@dataclass(frozen=True)
class Policy:
    name: str
    permissive: str  # 'PERMISSIVE' or 'RESTRICTIVE'
    roles: tuple[str, ...]
    command: str  # 'ALL', 'SELECT', ...
    using: str | None
    check: str | None


@dataclass(frozen=True)
class Index:
    """An index that no constraint owns."""

    key: TableKey  # (schema, index name)
    table: TableKey
    definition: str  # pg_get_indexdef


@dataclass(frozen=True)
class View:
    key: TableKey
    materialized: bool
    options: str  # reloptions as text ('{security_invoker=on}') or ''
    definition: str  # pg_get_viewdef
    acl: str  # the privileges, as aclitems sorted and joined by spaces
    columns: tuple[Column, ...]
    insertable: bool = False  # INSERT goes through (auto-updatable, or an INSTEAD trigger)
    updatable: bool = False  # UPDATE goes through
    updatable_columns: tuple[str, ...] = ()  # the columns an INSERT or UPDATE can set
    owner: str = ""  # the role that owns it (a view runs as its owner without security_invoker)


@dataclass(frozen=True)
class Function:
    schema: str
    name: str
    identity_arguments: str  # pg_get_function_identity_arguments
    definition: str  # pg_get_functiondef
    kind: str  # 'f' function, 'p' procedure
    argument_names: tuple[str, ...]
    argument_modes: tuple[str, ...]  # 'i', 'o', 'b', 'v', 't' per argument of argument_types
    argument_types: tuple[str, ...]  # type names (an array type starts with '_')
    defaults: int  # how many trailing input arguments have defaults
    returns: str  # return type name
    returns_set: bool
    returns_schema: str = ""  # the schema of the return type
    returns_relation: str = ""  # the table or view whose row type it returns, if one
    rows: float = 0.0  # the planner's row estimate (ROWS)
    argument_relations: tuple[str, ...] = ()  # per argument: the relation of its row type, or ""
    argument_schemas: tuple[str, ...] = ()  # per argument: the schema of its type
    argument_type_oids: tuple[int, ...] = ()  # per argument: the oid of its type

    @property
    def signature(self) -> str:
        return f"{self.schema}.{self.name}({self.identity_arguments})"


@dataclass
class Table:
    key: TableKey
    columns: list[Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    unique_keys: list[UniqueKey] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)  # every kind, as defined
    rls: bool = False
    force_rls: bool = False
    acl: str = ""  # the privileges, as aclitems sorted and joined by spaces
    policies: list[Policy] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.key[0]}.{self.key[1]}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class ViewKey:
    """A view exposing every column of a foreign key: on its referencing side (``f``) or its
    referenced side (``f_ref``); ``columns`` gives, per key column in key order, the view
    columns that show it."""

    view: TableKey
    table: TableKey
    constraint: str
    side: str  # "f" or "f_ref"
    columns: tuple[tuple[str, ...], ...]


@dataclass
class Catalog:
    schemas: dict[str, str] = field(default_factory=dict)  # schema -> owner
    tables: dict[TableKey, Table] = field(default_factory=dict)
    views: dict[TableKey, View] = field(default_factory=dict)
    functions: list[Function] = field(default_factory=list)
    enums: dict[TableKey, tuple[str, ...]] = field(default_factory=dict)
    view_keys: list[ViewKey] = field(default_factory=list)  # keys views expose
    # "table public.t", "column public.t.c", "function public.f(integer)"... -> text / acl
    comments: dict[str, str] = field(default_factory=dict)
    privileges: dict[str, str] = field(default_factory=dict)  # beyond tables' and views' own
    sequences: dict[str, str] = field(default_factory=dict)  # standalone: name -> options
    # functions users made in a platform schema for their triggers on platform tables
    # (storage.f() for a trigger on storage.buckets): "schema.f(args)" -> definition
    hook_functions: dict[str, str] = field(default_factory=dict)
    # tables an extension made (pgmq.meta): its own, so CREATE EXTENSION makes them again
    extension_tables: set[TableKey] = field(default_factory=set)
    # composite types (not a table's row type): (schema, name) -> ((attribute, type name), ...)
    composite_types: dict[TableKey, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)  # extension -> schema
    extension_versions: dict[str, str] = field(default_factory=dict)  # extension -> version
    publications: dict[str, tuple[str, ...]] = field(default_factory=dict)  # -> 'schema.table's
    # Tables of the platform's schemas where users add triggers and policies (auth.users,
    # storage.objects): read for those, not as the project's own tables.
    extension_point_tables: dict[TableKey, Table] = field(default_factory=dict)

    def feeding_triggers(self, key: TableKey) -> list[tuple[Table, Trigger]]:
        """Triggers on other tables whose function inserts rows into ``key``."""
        return [
            (table, trigger)
            for table in self.tables.values()
            for trigger in table.triggers
            if any(target == key for target, _ in trigger.inserts_into)
        ]
