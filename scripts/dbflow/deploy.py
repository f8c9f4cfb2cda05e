"""``inv db.push``: validate, show what will run, back up production, confirm, apply.

Production needs a confirmation: typing the target's name at a terminal, or ``--yes`` in CI
only when the workflow's protected environment was approved (the workflow sets
``DBFLOW_APPROVED_TARGET=production`` inside the approved job). Every push is recorded in
``supabase_migrations.dbflow_pushes``, including a push made with ``--no-backup``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from dbflow.config import Settings, resolve_target
from dbflow.connection import connect
from dbflow.dump import backup_path, dump
from dbflow.errors import DbflowError
from dbflow.migrations.history import ensure_history
from dbflow.migrations.reset import run_options
from dbflow.migrations.runner import RunResult, migrate, who_applies
from dbflow.redact import redact_url
from dbflow.validate.engine import Report
from dbflow.validate.run import Request, run_validation

APPROVAL_VARIABLE = "DBFLOW_APPROVED_TARGET"
PROTECTED_TARGETS = ("production",)

_PUSHES_SQL = """
CREATE TABLE IF NOT EXISTS supabase_migrations.dbflow_pushes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pushed_at timestamptz NOT NULL DEFAULT now(),
    target text NOT NULL,
    pushed_by text NOT NULL,
    versions text[] NOT NULL,
    backup text,
    no_backup boolean NOT NULL DEFAULT false
)
"""


class PushRefused(DbflowError):
    """The push stopped before changing anything."""


@dataclass(frozen=True)
class PushOptions:
    target: str
    dry_run: bool = False
    yes: bool = False
    no_backup: bool = False
    allow_out_of_order: bool = False


@dataclass(frozen=True)
class PushResult:
    validation: Report
    plan: RunResult
    applied: RunResult | None
    backup: Path | None


Confirm = Callable[[str], str]  # shows a prompt, returns what the person typed


def push(
    settings: Settings,
    options: PushOptions,
    *,
    report: Callable[[str], None],
    confirm: Confirm | None,
) -> PushResult:
    """Push pending migrations to ``options.target``; ``confirm`` is None when not interactive."""
    if options.target == "local":
        raise PushRefused("db.push ships to staging or production; use inv db.up for local")
    target = resolve_target(settings, options.target)
    assert target.url is not None
    url = target.url
    validation = run_validation(settings, Request())
    if validation.fails("error"):
        raise PushRefused(
            f"validation found {validation.count('error')} error(s): nothing was pushed",
            detail="\n".join(
                f"{f.path}:{f.line}:{f.column}: {f.rule_id} {f.message}"
                for f in validation.findings
                if f.severity == "error"
            ),
            hint="fix them (inv db.validate shows each with its fix), or suppress one on purpose "
            "with -- dbflow: ignore RULE reason",
        )
    runner = replace(run_options(settings), allow_out_of_order=options.allow_out_of_order)
    plan = migrate(url, settings.migrations_dir, replace(runner, dry_run=True))
    if options.dry_run or not plan.planned:
        return PushResult(validation, plan, None, None)
    protected = options.target in PROTECTED_TARGETS
    backup: Path | None = None
    if protected:
        confirm_protected(options, confirm)
        if options.no_backup:
            report("no backup taken (--no-backup): recorded in supabase_migrations.dbflow_pushes")
        else:
            backup = dump(url, backup_path(settings.project_root, options.target),
                          pg_bin_dir=settings.pg_bin_dir)  # fmt: skip
            report(f"backup written to {backup.relative_to(settings.project_root)}")
    applied = migrate(url, settings.migrations_dir, runner, report)
    _record(url, options, applied, backup, settings)
    report(f"pushed {len(applied.applied)} migration(s) to {options.target} ({redact_url(url)})")
    return PushResult(validation, plan, applied, backup)


def confirm_protected(options: PushOptions, confirm: Confirm | None) -> None:
    """Ask for (or check) the confirmation a protected target needs; raise if missing."""
    if options.yes:
        in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        if in_ci and os.environ.get(APPROVAL_VARIABLE) != options.target:
            raise PushRefused(
                f"--yes for {options.target} in CI needs the environment's approval",
                detail=f"{APPROVAL_VARIABLE} is not {options.target!r} in this job",
                hint="run the push from the workflow job that uses the protected "
                f"'{options.target}' environment; it sets {APPROVAL_VARIABLE} after approval",
            )
        return
    if confirm is None:
        raise PushRefused(
            f"pushing to {options.target} needs a confirmation",
            hint=f"run it at a terminal and type '{options.target}', or pass --yes from the "
            "approved deployment workflow",
        )
    answer = confirm(f"type '{options.target}' to push to {options.target}: ").strip()
    if answer != options.target:
        raise PushRefused(f"confirmation did not match '{options.target}': nothing was pushed")


def _record(
    url: str, options: PushOptions, applied: RunResult, backup: Path | None, settings: Settings
) -> None:
    with connect(url, autocommit=True) as conn:
        ensure_history(conn)
        conn.execute(_PUSHES_SQL)
        conn.execute(
            "INSERT INTO supabase_migrations.dbflow_pushes "
            "(target, pushed_by, versions, backup, no_backup) VALUES (%s, %s, %s, %s, %s)",
            (
                options.target,
                who_applies(settings.project_root),
                [item.version for item in applied.applied],
                str(backup.relative_to(settings.project_root)) if backup else None,
                options.no_backup,
            ),
        )
