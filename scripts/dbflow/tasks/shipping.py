"""``db.push``, ``db.dump``, ``db.restore``, ``db.diff``, ``db.types`` and ``db.drift``: beyond
the local database, every one through the gate (:mod:`dbflow.places.gate`)."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from dbflow.tasks.output import (
    YES,
    console,
    progress,
    say,
    settings,
    terminal_confirm,
    user_errors,
)


@task(
    help={
        "target": "staging or production",
        "dry-run": "validate and print the pending migrations and their SQL; change nothing",
        "yes": YES,
        "no-backup": "push to production without a backup (recorded with the push)",
        "plaintext": "write production's backup unencrypted (without backup_recipients)",
        "allow-out-of-order": "apply local migrations older than the newest applied one",
        "report": "write what was pushed (or would be) as Markdown to this file (for a job "
        "summary or a pull-request comment)",
        "webhook": "POST a Slack-compatible message about the deploy to this URL "
        "(default: DEPLOY_WEBHOOK_URL)",
    }
)
def push(
    c: Context,
    target: str,
    dry_run: bool = False,
    yes: bool = False,
    no_backup: bool = False,
    allow_out_of_order: bool = False,
    report: str | None = None,
    webhook: str | None = None,
    plaintext: bool = False,
) -> None:
    """Ship pending migrations to staging or production: validate, back up, confirm, apply."""
    import os

    from dbflow.report.files import check_output_file, write_output
    from dbflow.webhook import post_json
    from dbflow.workflows.deploy import PushOptions, push, push_message, push_report, render_push

    project = settings()
    with user_errors(), progress(f"pushing to {target}") as notify:
        report_path = check_output_file(report, "--report") if report else None
        result = push(
            project,
            PushOptions(target, dry_run, yes, no_backup, allow_out_of_order, plaintext),
            notify=notify,
            confirm=terminal_confirm(),
        )
    for line in render_push(result, project.project_root):
        say(line)
    if report_path is not None:
        write_output(report_path, push_report(result, project.project_root))
    hook = webhook or project.env.get("DEPLOY_WEBHOOK_URL") or os.environ.get("DEPLOY_WEBHOOK_URL")
    if hook:
        problem = post_json(hook, push_message(result))
        if problem:
            console("err").print(f"warning: {problem}", markup=False)


@task(
    help={
        "target": "local (default), staging or production",
        "schema-only": "only the schema (no rows)",
        "data-only": "only the rows",
        "file": "where to write (default backups/<target>-<UTC timestamp>.dump, .dump.age "
        "when encrypted)",
        "plaintext": "write production's rows unencrypted (without backup_recipients)",
    }
)
def dump(
    c: Context,
    target: str = "local",
    schema_only: bool = False,
    data_only: bool = False,
    file: str | None = None,
    plaintext: bool = False,
) -> None:
    """Write a pg_dump archive (custom format) of a target; production's rows are encrypted
    to backup_recipients."""
    from pathlib import Path

    from dbflow.places.gate import clear, place_of
    from dbflow.report.files import check_output_file
    from dbflow.schema.dump import DumpKind, backup_path
    from dbflow.schema.dump import dump as dump_database
    from dbflow.schema.dump_crypto import archive_recipients

    project = settings()
    kind: DumpKind = "schema" if schema_only else "data" if data_only else "full"
    with user_errors():
        place = place_of(project, target)[0]
        keys = archive_recipients(project, place, plaintext or kind == "schema")
        default = backup_path(project.project_root, target, encrypted=bool(keys))
        path = check_output_file(Path(file) if file else default, "--file")
        url = clear(project, "dump", target).url
        written = dump_database(
            url, path, kind=kind, pg_bin_dir=project.pg_bin_dir, recipients=keys
        )
    say(f"wrote {written}" + (f" (encrypted to {len(keys)} recipient(s))" if keys else ""))


@task(
    help={
        "file": "the archive to restore (made by inv db.dump or db.push)",
        "target": "local (default), staging or production (backed up first, confirmed)",
        "yes": YES,
        "identity": "the age identity (or SSH private key) that decrypts an encrypted archive",
        "plaintext": "write production's backup unencrypted (without backup_recipients)",
    }
)
def restore(
    c: Context,
    file: str,
    target: str = "local",
    yes: bool = False,
    identity: str | None = None,
    plaintext: bool = False,
) -> None:
    """Restore an archive into a target (the emergency path: prefer fixing forward)."""
    from pathlib import Path

    from dbflow.workflows.deploy import restore_archive

    with user_errors(), progress(f"restoring {file}") as notify:
        backup = restore_archive(
            settings(),
            target,
            Path(file),
            yes=yes,
            confirm=terminal_confirm(),
            notify=notify,
            identity=Path(identity) if identity else None,
            plaintext=plaintext,
        )
    say(f"restored {file} into {target}" + (f" (backup first: {backup})" if backup else ""))


@task(
    name="diff",
    help={
        "from": "the expected side: migrations (default), schemas (supabase/schemas), local, "
        "staging or production",
        "to": "the side checked for drift: local (default), schemas, migrations, staging or "
        "production",
        "json": "print JSON (for CI)",
        "sql": "write a migration that brings --to back to --from to this file (what it cannot "
        "express, such as a removed enum value, is listed at its top)",
        "webhook": "POST a Slack-compatible summary to this URL when there is drift",
        "include-managed": "also compare the Supabase-managed schemas (auth, storage, ...)",
    },
)
def diff_task(
    c: Context,
    from_: str = "migrations",
    to: str = "local",
    json_: bool = False,
    sql: str | None = None,
    webhook: str | None = None,
    include_managed: bool = False,
) -> None:
    """Compare two schemas (or one against the migrations): exit 1 on drift."""

    from dbflow.report.files import check_output_file, write_output
    from dbflow.schema.diff.compare import diff_databases
    from dbflow.schema.diff.migration import migration_sql, render_migration
    from dbflow.schema.diff.report import post_webhook, render_json, render_report

    with user_errors():
        sql_path = check_output_file(sql, "--sql") if sql else None
        result = diff_databases(settings(), from_, to, include_managed=include_managed)
    print(render_json(result) if json_ else render_report(result))
    if sql_path is not None:
        migration = migration_sql(result)
        write_output(sql_path, render_migration(result, migration))
        say(
            f"wrote {len(migration.statements)} statement(s) to {sql}; "
            f"{len(migration.not_expressed)} difference(s) left to write by hand"
        )
    if result.drifted and webhook:
        problem = post_webhook(webhook, result)
        if problem:
            console("err").print(f"warning: {problem}", markup=False)
    if result.drifted:
        raise Exit(code=1)


@task(
    help={
        "target": "local (default), staging or production",
        "output": "where to write (default [tool.dbflow] types_path: types/database.ts)",
        "schema": "a schema to type (repeatable; default the API schemas)",
        "specific": 'type inet, macaddr, point, tsvector, "char" and name as string, money '
        "and oid as number (postgres-meta, the default, leaves them unknown)",
    },
    iterable=["schema"],
)
def types(
    c: Context,
    target: str = "local",
    output: str | None = None,
    schema: list[str] | None = None,
    specific: bool = False,
) -> None:
    """Generate TypeScript types of the database for supabase-js (a Database type)."""
    from pathlib import Path

    from dbflow.connection import connect
    from dbflow.places.gate import clear
    from dbflow.report.files import check_output_file, write_output
    from dbflow.schema.typegen import generate_types

    project = settings()
    with user_errors():
        path = check_output_file(Path(output) if output else project.types_path, "--output")
        with connect(clear(project, "types", target).url, autocommit=True) as conn:
            text = generate_types(conn, schema or list(project.api_schemas), specific=specific)
    write_output(path, text)
    say(f"wrote {path}")


@task(
    help={
        "report": "the folder for the JSON reports, one per comparison (default drift-report)",
        "webhook": "POST a Slack-compatible message here when anything differs "
        "(default: DRIFT_WEBHOOK_URL)",
    },
)
def drift(c: Context, report: str = "drift-report", webhook: str | None = None) -> None:
    """The scheduled drift check: staging and production against the migrations, and staging
    against production; JSON reports, a webhook message, exit 1 on drift."""
    import os
    from pathlib import Path

    from dbflow.workflows.drift import alert, check_drift

    project = settings()
    with user_errors():
        check = check_drift(project, Path(report), note=say)
    hook = webhook or project.env.get("DRIFT_WEBHOOK_URL") or os.environ.get("DRIFT_WEBHOOK_URL")
    if check.drifted and hook:
        problem = alert(hook, check)
        if problem:
            console("err").print(f"warning: {problem}", markup=False)
    say(f"reports in {report}: " + ", ".join(path.name for path in check.reports))
    if check.drifted:
        raise Exit(code=1)


TASKS = [push, dump, restore, diff_task, types, drift]
