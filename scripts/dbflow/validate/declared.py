"""The schema as the migration files declare it, replayed statement by statement.

This is the validator's model of the history, built from migration text without a database;
the live database's schema, read from its catalog, is :mod:`dbflow.catalog` (another thing,
with other names). What each statement does to it is :mod:`dbflow.validate.effects`.

It answers what the rules need to know about the database *before* a statement runs: does
the table exist, and was it created in an earlier file (then it may hold production data)
or earlier in this same file; does the object an IF EXISTS names exist at all; is RLS on by
the end of the history; which indexes cover a foreign key; and which statement last changed
an object (a finding about an object that a later statement replaced is left to that one).
The model starts from what the Supabase platform installs before any migration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Key = tuple[str, str]
Subject = tuple[str, ...]  # ("table" | "view" | "function" | "policy" | ..., names...)

# Tables the Supabase platform creates, with their primary keys: they exist before any
# migration and hold data.
PLATFORM_TABLES: dict[Key, tuple[str, ...]] = {
    ("auth", "users"): ("id",),
    ("auth", "identities"): ("id",),
    ("auth", "sessions"): ("id",),
    ("auth", "refresh_tokens"): ("id",),
    ("storage", "objects"): ("id",),
    ("storage", "buckets"): ("id",),
    ("realtime", "messages"): ("id",),
    # The migration history itself: the Supabase CLI (and dbflow's runner) creates it
    # before the first migration runs.
    ("supabase_migrations", "schema_migrations"): ("version",),
}
# Schemas and extensions every Supabase database has before its first migration.
PLATFORM_SCHEMAS = frozenset(
    {
        "public",
        "auth",
        "storage",
        "realtime",
        "extensions",
        "graphql",
        "graphql_public",
        "vault",
        "pgbouncer",
        "supabase_functions",
        "supabase_migrations",
        "_realtime",
        "pg_catalog",
        "information_schema",
    }
)  # fmt: skip  (a word list, several to a line)
PLATFORM_EXTENSIONS = frozenset(
    {"plpgsql", "pgcrypto", "uuid-ossp", "pg_stat_statements", "pg_graphql", "supabase_vault"}
)
# Schemas an extension creates for its objects.
EXTENSION_SCHEMAS = {
    "pg_cron": "cron",
    "pg_net": "net",
    "pgmq": "pgmq",
    "pgsodium": "pgsodium",
    "pg_graphql": "graphql",
    "supabase_vault": "vault",
    "pg_tle": "pgtle",
}


# Roles that bypass row level security: a policy for them alone lets no client in.
BYPASS_RLS = frozenset(
    {
        "service_role",
        "postgres",
        "supabase_admin",
        "supabase_auth_admin",
        "supabase_storage_admin",
        "dashboard_user",
    }
)
# A table the migrations filled with at most this many rows is scanned, indexed or rewritten
# in milliseconds: a lock it takes is held that long.
SMALL_TABLE_ROWS = 1000


@dataclass(frozen=True)
class Location:
    file_index: int
    display: str
    line: int
    column: int


@dataclass
class DeclaredColumn:
    name: str
    type: str
    not_null: bool = False
    modifiers: tuple[int, ...] = ()
    added: Location | None = None  # the statement that created it (None: the platform's)


@dataclass
class DeclaredForeignKey:
    columns: tuple[str, ...]
    target: Key
    location: Location
    name: str = ""
    on_delete: str = "a"  # a no action, r restrict, c cascade, n set null, d set default


@dataclass
class DeclaredIndex:
    name: str
    columns: tuple[str, ...]  # "(expression)" for an expression
    method: str = "btree"
    opclasses: tuple[str, ...] = ()
    partial: bool = False
    unique: bool = False
    descending: tuple[bool, ...] = ()  # per column: DESC (empty: all ascending)


@dataclass
class DeclaredConstraint:
    name: str
    kind: str  # "p" primary key, "u" unique, "f" foreign key, "c" check, "x" exclusion
    columns: tuple[str, ...]
    validated: bool
    location: Location


@dataclass
class DeclaredPolicy:
    name: str
    location: Location
    roles: tuple[str, ...] = ("public",)
    command: str = "all"
    columns: frozenset[str] = frozenset()  # the table's columns its conditions read
    unrestricted: bool = False  # permissive, and each condition it has is literally true


@dataclass
class DeclaredTable:
    key: Key
    created: Location | None  # None: it existed before the migrations (platform table)
    columns: dict[str, DeclaredColumn] = field(default_factory=dict)
    primary_key: tuple[str, ...] | None = None
    rls_enabled: bool = False
    commented: bool = False
    indexes: list[DeclaredIndex] = field(default_factory=list)
    foreign_keys: list[DeclaredForeignKey] = field(default_factory=list)
    policies: dict[str, DeclaredPolicy] = field(default_factory=dict)
    constraints: dict[str, DeclaredConstraint] = field(default_factory=dict)
    triggers: set[str] = field(default_factory=set)
    anon_write: Location | None = None  # where anon (or PUBLIC) was granted write access
    # Rows the migrations themselves wrote with INSERT ... VALUES, and whether anything else
    # could fill it (INSERT ... SELECT, COPY, a loop, a function a client calls).
    inserted_rows: int = 0
    filled_otherwise: bool = False

    def client_writable(self, exposed: tuple[str, ...]) -> bool:
        """True when API clients may add rows: RLS off in an exposed schema, or a policy
        that lets a role other than the RLS-bypassing ones insert."""
        if not self.rls_enabled:
            return self.key[0] in exposed
        return any(
            policy.command in ("all", "insert") and not set(policy.roles) <= BYPASS_RLS
            for policy in self.policies.values()
        )

    def covered(self, columns: tuple[str, ...]) -> bool:
        """True when a btree or hash index (or the primary key) starts with ``columns``, in
        any order: what a lookup by those columns (a foreign key's check) can use."""
        wanted = set(columns)
        candidates = [index.columns for index in self.indexes if index.method in ("btree", "hash")]
        if self.primary_key:
            candidates.append(self.primary_key)
        return any(set(index[: len(columns)]) == wanted for index in candidates)


@dataclass
class DeclaredView:
    key: Key
    created: Location
    security_invoker: bool
    materialized: bool


@dataclass
class DeclaredFunction:
    key: Key
    security_definer: bool
    has_search_path: bool
    returns: str = ""  # the return type's name ("trigger" for a trigger function)
    arguments: tuple[str, ...] = ()  # the argument types' names


@dataclass
class DeclaredSchema:
    tables: dict[Key, DeclaredTable] = field(default_factory=dict)
    views: dict[Key, DeclaredView] = field(default_factory=dict)
    functions: dict[Key, DeclaredFunction] = field(default_factory=dict)
    index_tables: dict[Key, Key] = field(default_factory=dict)  # index name -> table
    types: dict[Key, tuple[str, ...]] = field(default_factory=dict)  # -> enum labels, or ()
    sequences: set[Key] = field(default_factory=set)
    schemas: set[str] = field(default_factory=lambda: set(PLATFORM_SCHEMAS))
    extensions: set[str] = field(default_factory=lambda: set(PLATFORM_EXTENSIONS))
    changes: dict[Subject, tuple[int, int]] = field(default_factory=dict)  # -> (file, line)
    # ("relation" | "function", name) -> the objects that read or call it (dependents.py)
    dependents: dict[Subject, set[Subject]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, primary_key in PLATFORM_TABLES.items():
            self.tables.setdefault(
                key, DeclaredTable(key, None, primary_key=primary_key, rls_enabled=True)
            )

    def table(self, key: Key) -> DeclaredTable | None:
        return self.tables.get(key)

    def index(self, key: Key) -> DeclaredIndex | None:
        table = self.tables.get(self.index_tables.get(key, ("", "")))
        if table is None:
            return None
        return next((index for index in table.indexes if index.name == key[1]), None)

    def filled_by_history(self, key: Key, exposed: tuple[str, ...]) -> int | None:
        """The number of rows of a small table that only the migrations fill: they created it,
        wrote its rows with INSERT ... VALUES, nothing else fills it and clients cannot add
        rows. None for any other table (it may hold any number of rows)."""
        table = self.tables.get(key)
        if (
            table is None
            or table.created is None
            or table.filled_otherwise
            or not 0 < table.inserted_rows <= SMALL_TABLE_ROWS
            or table.client_writable(exposed)
        ):
            return None
        return table.inserted_rows

    def touch(self, subject: Subject, where: Location) -> None:
        """Record that the statement at ``where`` created, changed or dropped ``subject``."""
        self.changes[subject] = (where.file_index, where.line)

    def changed_after(self, subject: Subject, file_index: int, line: int) -> bool:
        """True when a statement after (file_index, line) changed ``subject``."""
        last = self.changes.get(subject)
        return last is not None and last > (file_index, line)
