"""Changing a database other than by a reset: ``db.up``, ``db.push``, ``db.repair``, ``db.restore``.

Each asks the gate (:mod:`dbflow.places.gate`) first and does what its cell of the policy asks:
validation, a backup, a confirmation, a record. ``db.push`` shows what it would run before it
asks; the others ask before they do anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from dbflow.config import Settings, resolve_target
from dbflow.connection import connect
from dbflow.errors import ConfigError
from dbflow.migrations.discovery import MigrationFile
from dbflow.migrations.history import read_history, who_applies
from dbflow.migrations.render import render_run
from dbflow.migrations.repair import RepairStatus, repair
from dbflow.migrations.runner import RunOptions, RunResult, migrate
from dbflow.places.gate import Clearance, Confirm, PushJournal, Refused, clear, record
from dbflow.places.project_lock import project_lock
from dbflow.progress import Notify, quiet
from dbflow.redact import redact_url
from dbflow.schema.dump import backup_path, dump, restore
from dbflow.schema.dump_crypto import archive_recipients, is_encrypted
from dbflow.validate.findings import ValidationReport
from dbflow.validate.run import Request, run_validation

PushRefused = Refused  # the push stopped before changing anything


@dataclass(frozen=True)
class PushOptions:
    target: str
    dry_run: bool = False
    yes: bool = False
    no_backup: bool = False
    allow_out_of_order: bool = False
    plaintext: bool = False  # an unencrypted backup of production, on purpose


@dataclass(frozen=True)
class PushResult:
    validation: ValidationReport
    plan: RunResult
    applied: RunResult | None
    backup: Path | None
    target: str = ""  # the target and its redacted URL


def push(
    settings: Settings,
    options: PushOptions,
    *,
    notify: Notify,
    confirm: Confirm | None,
) -> PushResult:
    """Push pending migrations to ``options.target``; ``confirm`` is None when not interactive."""
    clearance = clear(settings, "push", options.target, deferred=True)
    url = clearance.url
    validation = run_validation(settings, Request())
    if clearance.requirement.validation and validation.fails("error"):
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
    runner = replace(
        RunOptions.from_settings(settings), allow_out_of_order=options.allow_out_of_order
    )
    plan = migrate(url, settings.migrations_dir, replace(runner, dry_run=True))
    if clearance.requirement.soak and plan.planned:
        check_soak(settings, [item.migration for item in plan.planned])
    where = f"{options.target} ({redact_url(url)})"
    if options.dry_run or not plan.planned:
        return PushResult(validation, plan, None, None, where)
    if clearance.requirement.backup and not options.no_backup:
        archive_recipients(settings, clearance.place, options.plaintext)  # before confirming
    clearance.confirm(yes=options.yes, confirm=confirm)
    backup = _backup(settings, clearance, options.no_backup, notify, options.plaintext)
    journal = PushJournal(
        clearance,
        by=who_applies(settings.project_root),
        backup=str(backup.relative_to(settings.project_root)) if backup else None,
        no_backup=options.no_backup,
    )
    try:
        applied = migrate(url, settings.migrations_dir, runner, notify, journal)
    except BaseException as exc:  # the record says how the push ended, then the error goes on
        stopped = isinstance(exc, KeyboardInterrupt | SystemExit)
        with contextlib.suppress(Exception):
            journal.close(url, "interrupted" if stopped else "failed", _one_line(exc))
        raise
    journal.close(url, "completed")
    return PushResult(validation, plan, applied, backup, where)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_soak(settings: Settings, migrations: list[MigrationFile]) -> None:
    """Nothing reaches production that staging has not held for ``staging_soak`` (the
    workflow's "tested in staging for 24+ hours"): each migration must be in staging's
    history for that long; the refusal names each one and when it reached staging."""
    soak = settings.staging_soak_seconds
    if soak <= 0:
        return
    try:
        staging = resolve_target(settings, "staging").url
    except ConfigError:
        staging = None
    hours = f"{soak / 3600:g} h"
    if staging is None:
        raise PushRefused(
            "refusing to push to production: staging_soak asks that staging held each "
            f"migration for {hours}, and STAGING_DATABASE_URL is not set to check it",
            hint="set STAGING_DATABASE_URL for the production push (its job in "
            "deploy-production.yml does), or set staging_soak = 0 in [tool.dbflow]",
        )
    with connect(staging, autocommit=True) as conn:
        history = read_history(conn)
    now = dt.datetime.now(dt.UTC)
    waiting = []
    for migration in migrations:
        held = history.get(migration.version)
        if held is None:
            waiting.append(f"{migration.path.name}: not on staging")
        elif held.applied_at is None:
            waiting.append(
                f"{migration.path.name}: on staging, but its history does not say since when "
                "(applied there by another tool)"
            )
        elif now - held.applied_at < dt.timedelta(seconds=soak):
            age = (now - held.applied_at).total_seconds() / 3600
            waiting.append(
                f"{migration.path.name}: reached staging {held.applied_at:%Y-%m-%d %H:%M} UTC, "
                f"{age:.1f} h ago"
            )
    if waiting:
        raise PushRefused(
            f"refusing to push to production: {len(waiting)} migration(s) have not been on "
            f"staging for {hours} (staging_soak)",
            detail="\n".join(waiting),
            hint="push them to staging (inv db.push --target staging) and push to production "
            "once they have held there; staging_soak in [tool.dbflow] sets the time (0 turns "
            "it off)",
        )


def render_push(result: PushResult, root: Path) -> list[str]:
    """What ``db.push`` says: the validation, then the plan (dry run) or what was pushed."""
    warnings = result.validation.count("warning")
    lines = [f"validation passed ({warnings} warning(s); inv db.validate shows them)"]
    if result.applied is None:
        return lines + render_run(result.plan)
    if result.backup is not None:
        lines.append(f"backup written to {result.backup.relative_to(root)}")
    lines.append(f"pushed {len(result.applied.applied)} migration(s) to {result.target}")
    return lines


def push_report(result: PushResult, root: Path) -> str:
    """The deploy in Markdown, for a job summary or a pull-request comment: the target, what
    was applied (or would be, for a dry run) with each file's mode and time, the backup."""
    name = result.target or "the target"
    warnings = result.validation.count("warning")
    lines = []
    if result.applied is None:
        planned = result.plan.planned
        lines.append(f"### Dry run against {name}: {len(planned)} migration(s) would be applied")
        lines += [f"- `{plan.migration.path.name}` ({plan.mode})" for plan in planned]
    else:
        applied = result.applied.applied
        lines.append(f"### Pushed {len(applied)} migration(s) to {name}")
        lines += [f"- `{item.path.name}` ({item.mode}, {item.duration_ms} ms)" for item in applied]
        if result.backup is not None:
            lines.append(f"\nBackup taken first: `{result.backup.relative_to(root)}`")
    if not (result.plan.planned if result.applied is None else result.applied.applied):
        lines.append("\nNothing to apply: the database is up to date.")
    lines.append(f"\nValidation passed with {warnings} warning(s).")
    return "\n".join(lines) + "\n"


def push_message(result: PushResult) -> dict[str, object]:
    """A short Slack-compatible message about the deploy."""
    if result.applied is None:
        files = [plan.migration.path.name for plan in result.plan.planned]
        text = f"Dry run against {result.target}: {len(files)} migration(s) would be applied"
    else:
        files = [item.path.name for item in result.applied.applied]
        text = f"Pushed {len(files)} migration(s) to {result.target}"
        if result.backup is not None:
            text += f" (backup {result.backup.name})"
    return {"text": text, "migrations": files}


def apply_pending(
    settings: Settings,
    target: str,
    *,
    dry_run: bool = False,
    allow_out_of_order: bool = False,
    notify: Notify = quiet,
) -> RunResult:
    """``db.up``: apply (or plan) the pending migrations of a local or shared database."""
    clearance = clear(settings, "up", target, dry_run=dry_run)
    options = replace(
        RunOptions.from_settings(settings), dry_run=dry_run, allow_out_of_order=allow_out_of_order
    )
    if clearance.place != "local" or dry_run:
        return migrate(clearance.url, settings.migrations_dir, options, notify)
    with project_lock(settings, "db.up", notify):  # not while a reset or a seed runs
        return migrate(clearance.url, settings.migrations_dir, options, notify)


def repair_history(
    settings: Settings,
    target: str,
    version: str,
    status: RepairStatus,
    *,
    yes: bool = False,
    confirm: Confirm | None = None,
) -> str:
    """``db.repair``: mark a version applied or reverted without running it."""
    clearance = clear(settings, "repair", target, yes=yes, confirm=confirm)
    message = repair(clearance.url, settings.migrations_dir, version, status)
    _record(settings, clearance, (f"{status}:{version}",), None, False)
    return message


def restore_archive(
    settings: Settings,
    target: str,
    archive: Path,
    *,
    yes: bool = False,
    confirm: Confirm | None = None,
    notify: Notify = quiet,
    identity: Path | None = None,
    plaintext: bool = False,
) -> Path | None:
    """``db.restore``: restore ``archive`` into ``target`` (an encrypted one with
    ``identity``); return the backup taken first."""
    clearance = clear(settings, "restore", target, deferred=True)
    if not archive.is_file():
        raise Refused(
            f"{archive}: no such archive", hint="inv db.dump writes archives to backups/ by default"
        )
    if is_encrypted(archive) and identity is None:
        raise Refused(
            f"{archive} is encrypted (age): nothing was restored",
            hint=f"inv db.restore {archive} --identity KEYFILE (an age identity file, or an SSH "
            "private key whose public key is in backup_recipients)",
        )
    archive_recipients(settings, clearance.place, plaintext)  # before anything is done
    clearance.confirm(yes=yes, confirm=confirm)
    backup = _backup(settings, clearance, False, notify, plaintext)
    restore(clearance.url, archive, pg_bin_dir=settings.pg_bin_dir, identity=identity)
    _record(settings, clearance, (), backup, False)
    return backup


def _backup(
    settings: Settings, clearance: Clearance, skip: bool, notify: Notify, plaintext: bool = False
) -> Path | None:
    if not clearance.requirement.backup:
        return None
    if skip:
        notify("no backup taken (--no-backup): recorded in supabase_migrations.dbflow_pushes")
        return None
    keys = archive_recipients(settings, clearance.place, plaintext)
    archive = backup_path(settings.project_root, clearance.target, encrypted=bool(keys))
    path = dump(clearance.url, archive, pg_bin_dir=settings.pg_bin_dir, recipients=keys)
    notify(f"backup written to {path.relative_to(settings.project_root)}")
    return path


def _record(
    settings: Settings,
    clearance: Clearance,
    versions: tuple[str, ...],
    backup: Path | None,
    no_backup: bool,
) -> None:
    shown = str(backup.relative_to(settings.project_root)) if backup else None
    by = who_applies(settings.project_root)
    record(clearance, clearance.url, by=by, versions=versions, backup=shown, no_backup=no_backup)
