"""The one safety gate: what every action needs on every kind of database.

Every task and workflow asks :func:`clear` before it touches a database. The policy is one
table, :data:`POLICY`, of action x place -> requirement, where the place is what the target
really is: ``local`` (certainly this machine), ``shared`` (the local target, but its
``DATABASE_URL`` is not certainly this machine), ``staging`` or ``production``. The README's
safety section is rendered from the same table, and a test walks every cell of it through
the command line.

A confirmation is the target's name typed at a terminal. ``--yes`` stands in for it: for a
``typed`` confirmation anywhere, for an ``approved`` one only when the process environment
(never ``.env``) has ``DBFLOW_APPROVED_TARGET`` set to the target, which the deployment
workflow's protected environment sets after a reviewer approved the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from dbflow.config import Settings, resolve_target
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError
from dbflow.migrations.history import ensure_history
from dbflow.migrations.plan import PlannedMigration
from dbflow.places.local import target_url
from dbflow.redact import redact_url
from dbflow.urls import is_local_url

Action = Literal[
    "up",
    "repair",
    "push",
    "pull",
    "restore",
    "reset",
    "seed",
    "test",
    "dump",
    "list",
    "diff",
    "types",
    "advisors",
]
Place = Literal["local", "shared", "staging", "production"]
Confirmation = Literal["typed", "approved"]
Confirm = Callable[[str], str]  # shows a prompt at a terminal, returns what the person typed

APPROVAL_VARIABLE = "DBFLOW_APPROVED_TARGET"
_TASKS = {"seed": ("seed-dev", "seed-test")}  # where a gated action's tasks have other names
_VERBS: dict[str, str] = {
    "up": "apply migrations to",
    "repair": "repair the history of",
    "push": "push to",
    "pull": "pull the schema of",
    "restore": "restore into",
    "reset": "reset",
    "seed": "seed",
    "test": "run the SQL tests on",
    "dump": "dump",
    "list": "list the migrations of",
    "diff": "compare",
    "types": "generate types from",
    "advisors": "run the advisors on",
}
ACTIONS: tuple[Action, ...] = get_args(Action)
PLACES: tuple[Place, ...] = get_args(Place)


class Refused(DbflowError):
    """The gate stopped an action before it changed anything."""


@dataclass(frozen=True)
class Requirement:
    """What an action needs on a place before (and after) it runs."""

    refusal: str | None = None  # set: never allowed; says what to use instead
    opt_in: str | None = None  # a flag the person must pass, e.g. --allow-remote
    confirmation: Confirmation | None = None
    validation: bool = False  # the validator runs first; an error stops the action
    backup: bool = False  # a pg_dump archive of the target first (--no-backup skips, recorded)
    record: bool = False  # a row in supabase_migrations.dbflow_pushes afterwards
    soak: bool = False  # every migration held by staging for staging_soak first

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    def describe(self) -> str:
        """One table cell: what this requirement asks for, in words."""
        if self.refusal:
            return "refused"
        parts = []
        if self.opt_in:
            parts.append(self.opt_in)
        if self.soak:
            parts.append("held on staging first")
        if self.validation:
            parts.append("validation")
        if self.backup:
            parts.append("backup")
        if self.confirmation == "typed":
            parts.append("typed name or --yes")
        elif self.confirmation == "approved":
            parts.append("typed name, or --yes in the approved job")
        if self.record:
            parts.append("record")
        return ", ".join(parts) or "yes"


_OK = Requirement()
_READ = Requirement()
_USE_PUSH = "apply migrations to staging or production with inv db.push, which validates first"
_LOCAL_ONLY = "inv db.reset rebuilds a database on this machine only"

POLICY: dict[tuple[Action, Place], Requirement] = {
    ("up", "local"): _OK,
    ("up", "shared"): _OK,
    ("up", "staging"): Requirement(refusal=_USE_PUSH + " (inv db.push --target staging)"),
    ("up", "production"): Requirement(refusal=_USE_PUSH + " (inv db.push --target production)"),
    ("push", "local"): Requirement(
        refusal="inv db.push ships to staging or production; use inv db.up for the local database"
    ),
    ("push", "shared"): Requirement(
        refusal="inv db.push ships to staging or production; use inv db.up for the local database"
    ),
    ("push", "staging"): Requirement(validation=True, record=True),
    ("push", "production"): Requirement(
        validation=True, backup=True, confirmation="approved", record=True, soak=True
    ),
    ("repair", "local"): _OK,
    ("repair", "shared"): Requirement(confirmation="typed"),
    ("repair", "staging"): Requirement(confirmation="typed", record=True),
    ("repair", "production"): Requirement(confirmation="approved", record=True),
    ("pull", "local"): _OK,
    ("pull", "shared"): Requirement(confirmation="typed"),
    ("pull", "staging"): Requirement(confirmation="typed", record=True),
    ("pull", "production"): Requirement(confirmation="approved", record=True),
    ("restore", "local"): _OK,
    ("restore", "shared"): Requirement(confirmation="typed"),
    ("restore", "staging"): Requirement(backup=True, confirmation="typed", record=True),
    ("restore", "production"): Requirement(backup=True, confirmation="approved", record=True),
    ("reset", "local"): _OK,
    ("reset", "shared"): Requirement(refusal=_LOCAL_ONLY),
    ("reset", "staging"): Requirement(refusal=_LOCAL_ONLY),
    ("reset", "production"): Requirement(refusal=_LOCAL_ONLY),
    ("seed", "local"): _OK,
    ("seed", "shared"): Requirement(opt_in="--allow-remote"),
    ("seed", "staging"): Requirement(opt_in="--allow-remote"),
    ("seed", "production"): Requirement(
        refusal="seed data belongs in local and test databases, never in production"
    ),
    ("test", "local"): _OK,
    ("test", "shared"): Requirement(confirmation="typed"),
    ("test", "staging"): _OK,  # inside a transaction that is always rolled back
    ("test", "production"): Requirement(
        refusal="the tests write rows and take locks inside their transaction: run them "
        "locally (inv db.test) or on staging (inv db.test --target staging)"
    ),
    **{
        (action, place): _READ
        for action in ("dump", "list", "diff", "types", "advisors")
        for place in PLACES
    },
}


@dataclass(frozen=True)
class Clearance:
    """An action the gate let through, on a target, and what it still has to do."""

    action: Action
    target: str
    place: Place
    url: str  # where to connect (dbflow's own engine is started for the local target)
    requirement: Requirement

    def describe(self) -> str:
        return f"{self.target} ({redact_url(self.url)})"

    def confirm(self, *, yes: bool, confirm: Confirm | None) -> None:
        """Ask for (or check) the confirmation the policy requires; raise Refused if missing.
        Workflows that show a plan first call this after the plan (see ``deferred``)."""
        if self.requirement.confirmation:
            _confirmed(self.requirement.confirmation, self.action, self.target, yes, confirm)


_NAMED_PLACES: dict[str, Place] = {"staging": "staging", "production": "production"}


def place_of(settings: Settings, target: str) -> tuple[Place, str | None]:
    """What ``target`` really is, and its URL (None for dbflow's own engine)."""
    resolved = resolve_target(settings, target)
    named = _NAMED_PLACES.get(target)
    if named is not None:
        return named, resolved.url
    if resolved.url is None or is_local_url(resolved.url):
        return "local", resolved.url
    return "shared", resolved.url


def clear(
    settings: Settings,
    action: Action,
    target: str = "local",
    *,
    yes: bool = False,
    dry_run: bool = False,
    opted_in: bool = False,
    confirm: Confirm | None = None,
    deferred: bool = False,
) -> Clearance:
    """Let ``action`` on ``target`` through, or raise Refused saying why and what to do.

    ``confirm`` asks at a terminal (None when there is none). A dry run needs no
    confirmation: it changes nothing. With ``deferred`` the caller asks for the confirmation
    itself (:meth:`Clearance.confirm`), after showing what would be done.
    """
    named = _NAMED_PLACES.get(target)
    if named is not None and POLICY[(action, named)].refusal:  # refused: no URL needed
        place, url = named, None
    else:
        place, url = place_of(settings, target)
    requirement = POLICY[(action, place)]
    what = f"{_VERBS[action]} {target}"
    if place == "shared":
        what = (
            f"{_VERBS[action]} {redact_url(url or '')} (DATABASE_URL is not certainly this machine)"
        )
    if requirement.refusal:
        raise Refused(f"refusing to {what}", hint=requirement.refusal)
    if requirement.opt_in and not opted_in:
        raise Refused(
            f"refusing to {what} without {requirement.opt_in}",
            hint=f"pass {requirement.opt_in} to do it on purpose",
        )
    clearance = Clearance(action, target, place, url or target_url(settings, target), requirement)
    if not dry_run and not deferred:
        clearance.confirm(yes=yes, confirm=confirm)
    return clearance


def record(
    clearance: Clearance,
    url: str,
    *,
    by: str,
    versions: tuple[str, ...] = (),
    backup: str | None = None,
    no_backup: bool = False,
) -> None:
    """Write what was done to ``supabase_migrations.dbflow_pushes`` in the target itself,
    when the policy asks for a record."""
    if not clearance.requirement.record:
        return
    with connect(url, autocommit=True) as conn:
        ensure_history(conn)
        conn.execute(_RECORD_SQL)
        conn.execute(
            "INSERT INTO supabase_migrations.dbflow_pushes "
            "(action, target, pushed_by, versions, backup, no_backup) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (clearance.action, clearance.target, by, list(versions), backup, no_backup),
        )


class PushJournal:
    """``db.push``'s record, kept as the push goes: a row opened under the runner's lock
    with what it will apply (``running``), each migration added to it in that migration's own
    transaction, then ``completed``, ``failed`` or ``interrupted``. A push killed outright
    leaves ``running`` with exactly the migrations it applied; a push that finds nothing left
    to apply (another push applied it first) writes no row."""

    def __init__(
        self, clearance: Clearance, *, by: str, backup: str | None, no_backup: bool
    ) -> None:
        self.clearance = clearance
        self.by = by
        self.backup = backup
        self.no_backup = no_backup
        self.id: int | None = None

    def opened(self, conn: Conn, planned: list[PlannedMigration]) -> None:
        if not self.clearance.requirement.record:
            return
        ensure_history(conn)
        conn.execute(_RECORD_SQL)
        row = conn.execute(
            "INSERT INTO supabase_migrations.dbflow_pushes "
            "(action, target, pushed_by, versions, planned, backup, no_backup, status) "
            "VALUES (%s, %s, %s, '{}', %s, %s, %s, 'running') RETURNING id",
            (
                self.clearance.action,
                self.clearance.target,
                self.by,
                [plan.migration.version for plan in planned],
                self.backup,
                self.no_backup,
            ),
        ).fetchone()
        self.id = int(row[0]) if row else None

    def applied(self, conn: Conn, version: str) -> None:
        if self.id is not None:
            conn.execute(
                "UPDATE supabase_migrations.dbflow_pushes "
                "SET versions = array_append(versions, %s) WHERE id = %s",
                (version, self.id),
            )

    def close(self, url: str, status: str, error: str | None = None) -> None:
        """The push's end: ``completed``, or ``failed`` / ``interrupted`` with why (on a
        connection of its own: the run's may be gone)."""
        if self.id is None:
            return
        with connect(url, autocommit=True) as conn:
            conn.execute(
                "UPDATE supabase_migrations.dbflow_pushes "
                "SET status = %s, error = %s, finished_at = now() WHERE id = %s",
                (status, error, self.id),
            )


def policy_table() -> str:
    """The policy as a Markdown table (the README's safety section shows it)."""
    lines = [
        "| action | " + " | ".join(PLACES) + " |",
        "|---|" + "---|" * len(PLACES),
    ]
    for action in ACTIONS:
        cells = [POLICY[(action, place)].describe() for place in PLACES]
        tasks = " ".join(f"`db.{task}`" for task in _TASKS.get(action, (action,)))
        lines.append(f"| {tasks} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


_RECORD_SQL = """
CREATE TABLE IF NOT EXISTS supabase_migrations.dbflow_pushes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    target text NOT NULL,
    pushed_by text NOT NULL,
    versions text[] NOT NULL,
    backup text,
    no_backup boolean NOT NULL DEFAULT false
);
ALTER TABLE supabase_migrations.dbflow_pushes
    ADD COLUMN IF NOT EXISTS action text NOT NULL DEFAULT 'push',
    ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'completed',
    ADD COLUMN IF NOT EXISTS planned text[],
    ADD COLUMN IF NOT EXISTS finished_at timestamptz,
    ADD COLUMN IF NOT EXISTS error text;
"""


def _confirmed(
    kind: Confirmation, action: Action, target: str, yes: bool, confirm: Confirm | None
) -> None:
    if yes:
        if kind == "approved" and os.environ.get(APPROVAL_VARIABLE) != target:
            raise Refused(
                f"--yes for inv db.{action} on {target} needs the deployment's approval",
                detail=f"{APPROVAL_VARIABLE} is not {target!r} in this process's environment",
                hint=f"at a terminal, leave out --yes and type '{target}' when asked; in CI, run "
                f"it from the job of the protected '{target}' environment, which sets "
                f"{APPROVAL_VARIABLE}={target} after a reviewer approved",
            )
        return
    if confirm is None:
        raise Refused(
            f"inv db.{action} on {target} needs a confirmation",
            hint=f"run it at a terminal and type '{target}' when asked"
            + (
                ", or pass --yes"
                if kind == "typed"
                else f", or pass --yes from the approved deployment job ({APPROVAL_VARIABLE})"
            ),
        )
    answer = confirm(f"type '{target}' to run inv db.{action} on {target}: ").strip()
    if answer != target:
        raise Refused(f"the confirmation did not match '{target}': nothing was done")
