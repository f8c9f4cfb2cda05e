"""``db.start``, ``db.stop``, ``db.status``, ``db.reset`` and ``db.down``: the local database."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from dbflow.tasks.output import fail, progress, say, settings, user_errors, warn


@task
def start(c: Context) -> None:
    """Start the local PostgreSQL (made to look like Supabase) and install the bootstrap."""
    from dbflow.places.local import render_start, start_local

    with user_errors():
        report = start_local(settings())
    for line in render_start(report):
        say(line)


@task
def stop(c: Context) -> None:
    """Stop the local PostgreSQL started by `db.start`."""
    from dbflow.places.local import stop_local

    with user_errors():
        stopped = stop_local(settings())
    if stopped is None:
        say("DATABASE_URL is set: that server is not dbflow's to stop")
    else:
        say("stopped the local PostgreSQL" if stopped else "the local PostgreSQL was not running")


@task(help={"env": "print DATABASE_URL=... (unredacted, for scripts) instead of the report"})
def status(c: Context, env: bool = False) -> None:
    """Show the local database: engine, version, data dir, URL, extensions, bootstrap."""
    from dbflow.places.local import describe_local, render_status

    with user_errors():
        report = describe_local(settings())
    if env:
        if not report.reachable or report.url is None:
            fail("the local database is not running; start it with `inv db.start`")
        print(f"DATABASE_URL={report.url}")
        return
    rows = render_status(report)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        say(f"{label.ljust(width)}  {value}")
    if not report.reachable:
        raise Exit(code=1)


@task(
    help={
        "seed": "run supabase/seed.sql and seeds/dev/*.sql after the migrations (--no-seed skips)",
        "target": "local (the default and the only one allowed: a reset drops everything)",
        "to": "stop after the migration with this version (the later ones stay pending)",
        "strict": "fail when generated data cannot fill a table (by default it is left empty, "
        "with a warning)",
        "from-schemas": "build it from the declared schema (supabase/schemas) instead of the "
        "migrations, for prototyping",
    }
)
def reset(
    c: Context,
    seed: bool = True,
    target: str = "local",
    to: str | None = None,
    strict: bool = False,
    from_schemas: bool = False,
) -> None:
    """Rebuild the local database from the migrations and seed it (local only)."""
    from dbflow.workflows.reset import render_reset, reset_local

    with user_errors(), progress("resetting the local database") as notify:
        result = reset_local(
            settings(),
            seed=seed,
            notify=notify,
            target=target,
            to=to,
            strict=strict,
            from_schemas=from_schemas,
        )
    for line in render_reset(result):
        if line.startswith("warning:"):
            warn(line)
        else:
            say(line)


@task(
    help={
        "steps": "how many of the last migrations to reverse (default 1)",
        "output": "where to write (default supabase/rollbacks/<version>_down.sql)",
    }
)
def down(c: Context, steps: int = 1, output: str | None = None) -> None:
    """Write a down migration for the last migrations, proven on throwaway copies."""

    from dbflow.report.files import check_output_file, write_output
    from dbflow.workflows.down import default_path, down_migration, render_down

    project = settings()
    with user_errors(), progress("building the schemas before and after") as notify:
        chosen = check_output_file(output, "--output") if output else None
        result = down_migration(project, steps, notify)
        path = chosen or check_output_file(default_path(project, result), "--output")
    write_output(path, render_down(result))
    state = "proven" if result.proven else "NOT proven (see the top of the file)"
    say(f"wrote {path}: {len(result.statements)} statement(s), {state}")
    if result.data_loss:
        say(f"{len(result.data_loss)} statement(s) lose data: listed at the top of the file")
    if not result.proven:
        raise Exit(code=1)


TASKS = [start, stop, status, reset, down]
