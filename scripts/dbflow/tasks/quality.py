"""``db.validate`` and ``db.validate-docs``: the validator, as the task and the console script
share it (one specification of the flags, :data:`dbflow.validate.cli.FLAGS`)."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from dbflow.tasks.output import progress, say, settings, usage_error, user_errors
from dbflow.validate.flags import task_help


@task(iterable=["file"], help=task_help())
def validate(
    c: Context,
    file: list[str] | None = None,
    format: str | None = None,
    fail_on: str = "error",
    since: str | None = None,
    baseline: str | None = None,
    write_baseline: str | None = None,
) -> None:
    """Check migrations for what would hurt production (exit 1 on errors, 2 on bad usage)."""
    from dbflow.validate.cli import validate_command

    code = validate_command(
        list(file or []),
        fmt=format,
        fail_on=fail_on,
        since=since,
        baseline=baseline,
        write_baseline_to=write_baseline,
        progress=lambda: progress("validating migrations"),
    )
    if code:
        raise Exit(code=code)


@task(name="validate-docs")
def validate_docs(c: Context) -> None:
    """Regenerate docs/wiki/validation-rules.md from the rules."""
    from dbflow.validate.docs import write_reference

    say(f"wrote {write_reference(settings().project_root)}")


@task(
    help={
        "format": "text (default), json, or github (workflow annotations)",
    }
)
def lint(c: Context, format: str = "text") -> None:
    """plpgsql_check over every PL/pgSQL function and trigger of the migrated database, on a
    throwaway copy: exit 1 on errors, 2 when the engine has no plpgsql_check."""
    from dbflow.function_lint import lint_functions, render_lint

    if format not in ("text", "json", "github"):
        usage_error("--format must be text, json or github")
    with user_errors(), progress("checking functions with plpgsql_check") as notify:
        report = lint_functions(settings(), notify)
    print(render_lint(report, format))
    if report.count("error"):
        raise Exit(code=1)


TASKS = [validate, validate_docs, lint]
