"""``inv db.diff``: the schemas of two sides read as snapshots and compared, object by object.

Sides are targets (local, staging, production), ``migrations`` (what the migrations build,
read from the template database the local engine keeps for resets) or ``schemas`` (what the
declared files in supabase/schemas build, :mod:`dbflow.schema.declared`). What the comparison says
is written by ``schema.diff.report``; the SQL that converges the sides, by
``schema.diff.migration``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import psycopg

from dbflow.catalog.snapshot import Snapshot, take_snapshot
from dbflow.config import Settings
from dbflow.connection import connect
from dbflow.migrations.templates import ensure_templates
from dbflow.places.gate import clear
from dbflow.places.local import local_engine, start_local
from dbflow.places.scratch import migrated_copy
from dbflow.schema.declared import declared_copy

Change = Literal["missing", "extra", "changed"]
KIND_ORDER = (
    "schema",
    "extension",
    "enum",
    "sequence",
    "table",
    "column",
    "constraint",
    "index",
    "view",
    "owner",
    "function",
    "trigger",
    "policy",
    "grant",
    "publication",
    "privilege",
    "comment",
)  # fmt: skip  (a word list, several to a line)


PLURALS = {"index": "indexes", "policy": "policies"}


@dataclass(frozen=True)
class Difference:
    kind: str
    name: str
    change: Change  # missing: only in "from"; extra: only in "to"; changed: both, different
    expected: str | None
    actual: str | None


@dataclass(frozen=True)
class DiffResult:
    source: str
    target: str
    differences: list[Difference]
    expected: Snapshot
    actual: Snapshot

    @property
    def drifted(self) -> bool:
        return bool(self.differences)


def side_url(settings: Settings, side: str) -> str:
    """A database URL for ``side``: a target name, or ``migrations``."""
    if side == "migrations":
        start_local(settings)
        engine = local_engine(settings)
        templates = ensure_templates(engine, settings, notify=lambda _: None)
        return engine.url(templates.app)
    return clear(settings, "diff", side).url


def side_snapshot(settings: Settings, side: str, *, include_managed: bool = False) -> Snapshot:
    """The schema of ``side``: a target, ``migrations`` (what they build) or ``schemas``
    (what the declared files build, on a throwaway database)."""
    if side == "schemas":
        with declared_copy(settings) as url, connect(url, autocommit=True) as conn:
            return take_snapshot(conn, include_managed=include_managed)
    with connect(side_url(settings, side), autocommit=True) as conn:
        return take_snapshot(conn, include_managed=include_managed)


def prove_on_migrations(
    settings: Settings, statements: list[str], expected: Snapshot, scratch: str = "dbflow_proof"
) -> tuple[list[Difference], str | None]:
    """Apply ``statements`` in one transaction to a throwaway copy of what the migrations
    build; return what then still differs from ``expected`` and the failure, if one failed."""
    with migrated_copy(settings, scratch) as url:
        try:
            with connect(url, autocommit=True) as conn, conn.transaction():
                for statement in statements:
                    conn.execute(statement.encode())
        except psycopg.Error as exc:
            return [], f"{statement}: {exc.diag.message_primary or exc}"
        with connect(url, autocommit=True) as conn:
            return compare_snapshots(expected, take_snapshot(conn)), None


def diff_databases(
    settings: Settings, source: str, target: str, *, include_managed: bool = False
) -> DiffResult:
    expected, actual = (
        side_snapshot(settings, side, include_managed=include_managed) for side in (source, target)
    )
    return DiffResult(source, target, compare_snapshots(expected, actual), expected, actual)


def compare_snapshots(expected: Snapshot, actual: Snapshot) -> list[Difference]:
    differences = []
    for kind in KIND_ORDER:
        left, right = expected.objects.get(kind, {}), actual.objects.get(kind, {})
        for name in sorted(set(left) | set(right)):
            if name not in right:
                differences.append(Difference(kind, name, "missing", left[name], None))
            elif name not in left:
                differences.append(Difference(kind, name, "extra", None, right[name]))
            elif left[name] != right[name]:
                differences.append(Difference(kind, name, "changed", left[name], right[name]))
    return differences
