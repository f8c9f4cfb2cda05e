"""The rule framework: one module-level Rule object per rule, registered by id.

A rule says what breaks (``message``), why, a bad and a good example (tested, and printed
in the generated reference), and how to fix it. It checks one of four scopes:

- ``statement``: called for each statement of its ``kinds`` with the schema model as it
  was before that statement;
- ``file``: called once per file (names, transactions, empty files);
- ``history``: called once after the whole history was replayed (RLS by the end of the
  history, foreign keys covered by an index by the end, ...);
- ``suppressions``: called per file once the file's suppressions were applied (a suppression
  that silenced nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from dbflow.sql.parse import Statement
from dbflow.sql.tree import Node, Tree, added_columns, qualified, string_constants
from dbflow.validate.declared import DeclaredSchema, DeclaredTable, Key, Location, Subject
from dbflow.validate.options import Options, Severity
from dbflow.validate.source import SourceFile
from dbflow.validate.suppressions import Suppression, read_suppressions

Scope = Literal["statement", "file", "history", "suppressions"]


@dataclass(frozen=True)
class Hit:
    """A rule matched. Empty fields fall back to the rule's message and the statement's place."""

    message: str | None = None
    line: int | None = None
    column: int | None = None
    location: Location | None = None  # history rules: where the object was defined
    # The object the finding is about (("view", schema, name), ...): a finding about an
    # object that a later statement drops, replaces or alters is judged by that statement
    # instead, so it is dropped at the end of the history.
    subject: Subject | None = None
    severity: Severity | None = None  # at most this severity (a milder case of the rule)


@dataclass(frozen=True)
class Case:
    """One more example the rule's tests run, beside its bad and good example."""

    sql: str
    flagged: bool  # the rule must report the example file (True) or report nothing (False)
    note: str  # what the example shows
    given: str | None = None  # an earlier migration (None: the rule's own ``given``)
    later: str = ""  # a later migration
    severity: Severity | None = None  # reported at this severity (None: the rule's own)


def flags(sql: str, note: str, *, given: str | None = None, later: str = "") -> Case:
    return Case(sql.strip(), True, note, given, later.strip())


def passes(sql: str, note: str, *, given: str | None = None, later: str = "") -> Case:
    return Case(sql.strip(), False, note, given, later.strip())


def warns(sql: str, note: str, *, given: str | None = None, later: str = "") -> Case:
    """Reported as a warning: a milder case of an error rule."""
    return Case(sql.strip(), True, note, given, later.strip(), severity="warning")


def informs(sql: str, note: str, *, given: str | None = None, later: str = "") -> Case:
    """Reported as info: a milder case of the rule."""
    return Case(sql.strip(), True, note, given, later.strip(), severity="info")


_BODY = "function body"  # statements of a function body run when it is called, not now


@dataclass
class StatementContext:
    statement: Statement
    source: SourceFile
    file_index: int
    model: DeclaredSchema
    options: Options

    @property
    def kind(self) -> str:
        return self.statement.kind

    @property
    def node(self) -> Tree:
        return self.statement.node

    def table(self, key: Key) -> DeclaredTable | None:
        return self.model.table(key)

    @property
    def relation(self) -> Key:
        """(schema, name) of the table the statement names (``public`` when unqualified)."""
        return qualified(self.node.get("relation"))

    def holds_data(self, key: Key | None = None) -> bool:
        """True when the table (default: the statement's) existed before this file: it may
        hold production data.

        A table created earlier in this same file is empty; an unknown table (created
        outside the migrations) is assumed to hold data.
        """
        key = self.relation if key is None else key
        table = self.model.table(key)
        if table is None and key in self.model.views:  # a materialized view
            return self.model.views[key].created.file_index < self.file_index
        if table is None or table.created is None:
            return True
        return table.created.file_index < self.file_index

    @property
    def policy(self) -> Subject:
        """The policy a CREATE or ALTER POLICY statement is about."""
        return ("policy", *qualified(self.node.get("table")), self.node.get("policy_name", ""))

    def new_in_file(self, subject: Subject) -> bool:
        """True when this file created, replaced or changed the object before this statement
        (it then holds no data and nothing outside the file uses it yet)."""
        last = self.model.changes.get(subject)
        return last is not None and last[0] == self.file_index

    @property
    def later(self) -> list[Statement]:
        """The statements that run after this one in its file (those of DO blocks and
        PL/pgSQL bodies included, in their order)."""
        ordered = self.source.ordered
        for position, statement in enumerate(ordered):
            if statement is self.statement:
                return [item for item in ordered[position + 1 :] if item.context != _BODY]
        return [item for item in self.source.statements if item.offset > self.statement.offset]

    @cached_property
    def literals(self) -> list[str]:
        """The statement's string literals (computed once, shared by the rules)."""
        text = self.statement.text
        if "'" not in text and "$" not in text:
            return []
        return string_constants(self.node)

    def few_rows(self, key: Key | None = None) -> str | None:
        """Why a scan, index build or rewrite of the table is cheap: only the migrations fill
        it, with a handful of rows (a lookup table). None for any other table."""
        key = self.relation if key is None else key
        rows = self.model.filled_by_history(key, self.options.exposed_schemas)
        if rows is None:
            return None
        return (
            f"{key[0]}.{key[1]} holds only the {rows} row{'s' if rows != 1 else ''} the "
            "migrations inserted and clients cannot add rows, so the lock lasts milliseconds"
        )

    def added_here(self, columns: Iterable[str], key: Key | None = None) -> str | None:
        """Why a lock on ``columns`` costs nothing more, when every one of them was added by
        ADD COLUMN earlier in this file (or by this statement) to a table an earlier file
        created: the table's ACCESS EXCLUSIVE lock is held to the end of the file already (and
        the columns held only NULLs or their default). None otherwise."""
        key = self.relation if key is None else key
        table = self.model.table(key)
        wanted = list(dict.fromkeys(columns))
        if table is None or not wanted or not self.holds_data(key):
            return None
        added = set(self.statement_adds)
        for name in wanted:
            column = table.columns.get(name)
            where = column.added if column is not None else None
            if name not in added and (where is None or where.file_index != self.file_index):
                return None
        were = "were" if len(wanted) > 1 else "was"
        return (
            f"{', '.join(wanted)} {were} added in this file, whose ADD COLUMN holds the table's "
            "ACCESS EXCLUSIVE lock to its end anyway"
        )

    @cached_property
    def statement_adds(self) -> list[str]:
        """The columns this statement adds (ALTER TABLE ... ADD COLUMN)."""
        return [str(column.get("colname", "")) for column in added_columns(self.node)]

    def exposed(self, schema: str) -> bool:
        return schema in self.options.exposed_schemas

    def hit_at(self, node: Node | None, message: str | None = None) -> Hit:
        """A Hit placed at ``node``'s own location (a byte offset in the parsed text)."""
        location = (node or {}).get("location")
        statement = self.statement
        if not isinstance(location, int) or location < 0 or statement.embedded:
            return Hit(message)
        text = self.source.text
        parsed = text[statement.parse_base :]
        if parsed.isascii():
            offset = statement.parse_base + location
        else:
            prefix = parsed.encode("utf-8")[:location]
            offset = statement.parse_base + len(prefix.decode("utf-8", "ignore"))
        position = self.source.position(offset)
        return Hit(message, position.line, position.column)


class VersionNames(dict[str, list[str]]):
    """Every file's names by version, shared by the files of one history."""

    @cached_property
    def lengths(self) -> frozenset[int]:
        """The lengths of the numeric versions (read once the history is listed)."""
        return frozenset(len(version) for version in self if version.isdigit())


@dataclass
class FileContext:
    source: SourceFile
    file_index: int
    options: Options
    names_by_version: VersionNames = field(default_factory=VersionNames)  # every file's
    problem: str | None = None  # why the file could not be read as SQL text

    @cached_property
    def suppressions(self) -> list[Suppression]:
        text = self.source.text
        return read_suppressions(text) if "-- dbflow:" in text else []


@dataclass
class HistoryContext:
    model: DeclaredSchema
    options: Options

    @property
    def exposed(self) -> tuple[str, ...]:
        """The schemas exposed through the API."""
        return self.options.exposed_schemas


@dataclass
class SuppressionContext:
    """One file's suppressions after they were applied (each knows what it silenced)."""

    display: str
    suppressions: list[Suppression]


StatementCheck = Callable[[StatementContext], Iterable[Hit]]
FileCheck = Callable[[FileContext], Iterable[Hit]]
HistoryCheck = Callable[[HistoryContext], Iterable[Hit]]
SuppressionCheck = Callable[[SuppressionContext], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    family: str
    severity: Severity
    message: str
    why: str
    bad: str
    good: str
    fix: str
    scope: Scope
    check: Callable[..., Iterable[Hit]] = field(repr=False)
    kinds: frozenset[str] | None = None  # statement kinds the check looks at (None: all)
    given: str = ""  # an earlier migration the examples build on
    in_function_bodies: bool = False  # also run on SQL inside PL/pgSQL function bodies
    cross_file: bool = False  # a file rule that looks at the other files' names too
    cases: tuple[Case, ...] = ()  # more examples, run by the tests (not printed)
    skipped_files: bool = False  # a file rule that also checks files the runner skips
    # A lock or rewrite whose cost grows with the table's rows: on a small table that only
    # the migrations fill (a lookup table) it is info, with the reason.
    scales_with_rows: bool = False

    def on_few_rows(self, ctx: StatementContext, hit: Hit) -> Hit:
        """``hit``, as info with the reason, when the statement's table is such a table."""
        if not self.scales_with_rows or hit.severity == "info":
            return hit
        reason = ctx.few_rows()
        if reason is None:
            return hit
        return replace(hit, message=f"{hit.message or self.message}; {reason}", severity="info")


RULES: dict[str, Rule] = {}

# Numbers of the families that no rule has: left free when the families were first numbered,
# and never given since, so that an id always means one rule. A suppression that names one is
# reported as an unknown rule (SUP01).
UNASSIGNED: tuple[str, ...] = (
    "CMP03", "CMP07", "DAT10", "LCK04", "LCK05", "LCK11", "LCK13", "LCK18", "LCK19", "LCK20",
    "LCK21", "SEC09", "SEC16", "SEC17", "SEC18", "SEC19", "SEC21", "STY06", "STY07", "STY08",
    "STY09", "TXN06", "TXN07",
)  # fmt: skip

FAMILIES = {
    "LCK": "Locking and availability",
    "DAT": "Data loss",
    "CMP": "Backward compatibility",
    "TXN": "Transactions and the runner",
    "PRF": "Performance and schema design",
    "STY": "Style",
    "SEC": "Supabase security",
    "HYG": "Secrets, personal data and file hygiene",
    "SUP": "Suppressions",
    "VER": "The platform's PostgreSQL version",
}


def rule(
    *,
    id: str,
    name: str,
    severity: Severity,
    message: str,
    why: str,
    bad: str,
    good: str,
    fix: str,
    scope: Scope = "statement",
    kinds: Iterable[str] | None = None,
    given: str = "",
    in_function_bodies: bool = False,
    cross_file: bool = False,
    cases: Iterable[Case] = (),
    skipped_files: bool = False,
    scales_with_rows: bool = False,
) -> Callable[[Callable[..., Iterable[Hit]]], Rule]:
    """Register the decorated check as a Rule (the module-level name becomes the Rule)."""

    def register(check: Callable[..., Iterable[Hit]]) -> Rule:
        if id in RULES:
            raise ValueError(f"duplicate rule id {id}")
        created = Rule(
            id=id,
            name=name,
            family=id[:3],
            severity=severity,
            message=message,
            why=" ".join(why.split()),
            bad=bad.strip(),
            good=good.strip(),
            fix=" ".join(fix.split()),
            scope=scope,
            check=check,
            kinds=frozenset(kinds) if kinds is not None else None,
            given=given.strip(),
            in_function_bodies=in_function_bodies,
            cross_file=cross_file,
            cases=tuple(cases),
            skipped_files=skipped_files,
            scales_with_rows=scales_with_rows,
        )
        RULES[id] = created
        return created

    return register


def all_rules() -> list[Rule]:
    """Every rule, loaded from the family modules, ordered by id."""
    from dbflow.validate.rules import (  # noqa: F401  (registers the rules)
        compatibility,
        data_loss,
        data_loss_objects,
        hygiene,
        hygiene_secrets,
        locking_alter,
        locking_constraints,
        locking_maintenance,
        performance,
        platform_version,
        security_exposure,
        security_functions,
        security_platform,
        security_rls,
        style,
        suppression_rules,
        transactions,
    )

    return sorted(RULES.values(), key=lambda item: item.id)


def once(condition: bool, message: str | None = None) -> Iterator[Hit]:
    """Yield a single Hit when ``condition`` holds (a small helper for simple rules)."""
    if condition:
        yield Hit(message)
