"""``db.new``, ``db.up``, ``db.list``, ``db.repair`` and ``db.pull``: migration files and their
history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoke.context import Context
from invoke.tasks import task

from dbflow.tasks.output import (
    YES,
    progress,
    say,
    settings,
    show,
    terminal_confirm,
    usage_error,
    user_errors,
)

if TYPE_CHECKING:
    from dbflow.config import Settings

TARGET_HELP = "local (default), staging or production"


def _new_from_schemas(project: Settings, name: str) -> None:
    """db.new --from-schemas: the proven migration to the declared schema."""
    from dbflow.validate.reporters import render_text
    from dbflow.workflows.declared import migration_from_schemas

    with user_errors(), progress("comparing the migrations with the declared schema") as notify:
        found = migration_from_schemas(project, name, notify)
    if found.path is None:
        say("nothing to write: the migrations build the declared schema")
        return
    say(f"wrote {found.path.relative_to(project.project_root)}: {len(found.statements)} "
        "statement(s), proven on a copy of the migrations")  # fmt: skip
    for item in found.renames:
        say(f"check: {item} (a rename would be written as a drop and a create)")
    for statement in found.removals:
        say(f"removes: {statement}")
    if found.validation is not None and found.validation.findings:
        say(render_text(found.validation, project.project_root))


@task(
    help={
        "name": "the migration's name: a plain identifier, e.g. add_projects_table",
        "template": "start from a template: table (new table with RLS) or column (add column)",
        "table": "the table the template is about (default: from the name)",
        "column": "the column to add (column template)",
        "from-schemas": "write the SQL from the migrations' schema to the declared one "
        "(supabase/schemas), proven on a copy before it is written",
    }
)
def new(
    c: Context,
    name: str,
    template: str | None = None,
    table: str | None = None,
    column: str | None = None,
    from_schemas: bool = False,
) -> None:
    """Write a new timestamped migration in supabase/migrations and print its path."""
    from dbflow.migrations.new import new_migration

    project = settings()
    if from_schemas:
        if template or table or column:
            usage_error("--from-schemas writes the migration itself: no --template")
        _new_from_schemas(project, name)
        return
    with user_errors():
        path = new_migration(
            project.migrations_dir, name, template=template, table=table, column=column
        )
    say(str(path.relative_to(project.project_root)))


@task(
    help={
        "target": "local (the default; staging and production go through db.push)",
        "dry-run": "print the pending files, their mode and their SQL; change nothing",
        "allow-out-of-order": "apply local migrations older than the newest applied one",
    }
)
def up(
    c: Context, target: str = "local", dry_run: bool = False, allow_out_of_order: bool = False
) -> None:
    """Apply pending migrations to the local database in order, one transaction per file.

    Staging and production get their migrations through db.push."""
    from dbflow.migrations.render import render_run
    from dbflow.workflows.deploy import apply_pending

    with user_errors(), progress("applying migrations") as notify:
        result = apply_pending(
            settings(),
            target,
            dry_run=dry_run,
            allow_out_of_order=allow_out_of_order,
            notify=notify,
        )
    for line in render_run(result):
        say(line)
    if target == "local":
        from dbflow.places.local import engine_major_note

        note = engine_major_note(settings())
        if note is not None:
            say(f"note: {note}")


@task(name="list", help={"target": TARGET_HELP, "json": "print JSON (for CI)"})
def list_(c: Context, target: str = "local", json_: bool = False) -> None:
    """Show every migration: local, applied, checksum state, applied at, duration."""
    import json

    from dbflow.migrations.render import render_rows
    from dbflow.migrations.status import migration_rows
    from dbflow.places.gate import clear

    project = settings()
    with user_errors():
        rows = migration_rows(clear(project, "list", target).url, project.migrations_dir)
    if json_:
        print(json.dumps([row.as_json() for row in rows], indent=2))
    elif not rows:
        say(f"no migrations in {project.migrations_dir} and none applied")
    else:
        show(render_rows(rows))


@task(
    help={
        "version": "the migration version (its leading digits)",
        "status": "applied (record the local file as applied) or reverted (forget it)",
        "target": TARGET_HELP,
        "yes": YES,
    }
)
def repair(c: Context, version: str, status: str, target: str = "local", yes: bool = False) -> None:
    """Mark a migration applied or reverted in the history, without running its SQL."""
    from dbflow.workflows.deploy import repair_history

    if status not in ("applied", "reverted"):
        usage_error("--status must be applied or reverted")
    with user_errors():
        message = repair_history(
            settings(),
            target,
            version,
            "applied" if status == "applied" else "reverted",
            yes=yes,
            confirm=terminal_confirm(),
        )
    say(message)


@task(
    help={
        "target": "the database to adopt: staging, production (or local, after changes made "
        "in the local Studio)",
        "name": "the new migration's name (default remote_schema)",
        "dry-run": "print the SQL it would write; write and record nothing",
        "yes": YES,
    }
)
def pull(
    c: Context,
    target: str,
    name: str = "remote_schema",
    dry_run: bool = False,
    yes: bool = False,
) -> None:
    """Write a migration with the schema a database has and the migrations lack (no data),
    proven, validated and recorded as applied there."""
    from dbflow.validate.reporters import render_text
    from dbflow.workflows.pull import pull as pull_schema
    from dbflow.workflows.pull import render_pull

    project = settings()
    with user_errors(), progress(f"pulling the schema of {target}") as notify:
        pulled = pull_schema(
            project,
            target,
            name=name,
            dry_run=dry_run,
            yes=yes,
            confirm=terminal_confirm(),
            notify=notify,
        )
    if not pulled.statements:
        say(f"nothing to pull: the migrations already build what {target} has")
        return
    if pulled.path is None:
        print(render_pull(pulled), end="")
        return
    say(
        f"wrote {pulled.path.relative_to(project.project_root)} and recorded it as applied "
        f"on {target}"
    )
    if pulled.validation is not None and pulled.validation.findings:
        print(render_text(pulled.validation, project.project_root), end="")
        if pulled.validation.count("error"):
            say(
                f"the validator's errors above are live on {target} already: fix them forward "
                "in a new migration (db.push refuses while they stand), or suppress one on "
                "purpose with -- dbflow: ignore RULE reason"
            )


TASKS = [new, up, list_, repair, pull]
