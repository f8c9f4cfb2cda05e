"""The checks: ``db.validate`` and ``db.validate-docs`` (the validator, its flags specified
once for the task and the console script, :data:`dbflow.validate.flags.FLAGS`), ``db.lint``,
``db.test``, ``db.advisors`` and ``db.trace``."""

from __future__ import annotations

from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from dbflow.tasks.output import (
    console,
    fail,
    progress,
    say,
    settings,
    terminal_confirm,
    usage_error,
    user_errors,
    whole_number,
)
from dbflow.validate.flags import task_help

FIX_HELP = {
    "fix": "rewrite the hazards that have a safe form in pending migrations, once proven "
    "(the same schema, the rule no longer firing); then report what is left",
    "unsafe-fixes": "with --fix or --diff: the fixes that change behaviour too",
    "diff": "print what --fix would write, as a diff, and write nothing (exit 1 if any)",
}


@task(iterable=["file"], help={**task_help(), **FIX_HELP})
def validate(
    c: Context,
    file: list[str] | None = None,
    format: str | None = None,
    fail_on: str = "error",
    since: str | None = None,
    baseline: str | None = None,
    write_baseline: str | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
) -> None:
    """Check migrations for what would hurt production (exit 1 on errors, 2 on bad usage)."""
    from dbflow.validate.cli import validate_command

    if fix or diff or unsafe_fixes:
        _fix(file or [], since, baseline, write=fix, unsafe=unsafe_fixes, diff=diff)
        if not fix:
            return
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


def _fix(
    files: list[str], since: str | None, baseline: str | None, *, write: bool, unsafe: bool,
    diff: bool,
) -> None:  # fmt: skip
    """--fix and --diff: plan the fixes, show them, and (--fix) prove and write them."""
    from pathlib import Path

    from dbflow.validate.fix_plan import shown, unified_diff
    from dbflow.validate.run import Request
    from dbflow.workflows.fix import fix_migrations

    if not write and not diff:
        usage_error("--unsafe-fixes goes with --fix (or --diff)")
    project = settings()
    request = Request(
        tuple(Path(item) for item in files), since, Path(baseline) if baseline else None
    )
    with user_errors(), progress("fixing migrations" if write else "planning fixes") as notify:
        outcome = fix_migrations(project, request, unsafe=unsafe, write=write, notify=notify)
    plan, root = outcome.plan, project.project_root.absolute()
    if diff:
        console().print(unified_diff(plan, root), end="", markup=False, highlight=False)
    for item in plan.chosen:
        verb = "fixed" if outcome.written else "fixable"
        say(f"{verb}: {shown(item.path, root)}:{item.line} {item.rule_id} {item.title} "
            f"({item.applicability})")  # fmt: skip
    for item in plan.unsafe:
        say(f"unsafe, not applied: {shown(item.path, root)}:{item.line} {item.rule_id} "
            f"{item.title} (add --unsafe-fixes)")  # fmt: skip
    for refused in plan.refused:
        say(f"no automatic fix: {shown(refused.path, root)}:{refused.line} {refused.rule_id}: "
            f"{refused.reason}")  # fmt: skip
    if outcome.proof is not None and not outcome.proof.proven:
        for problem in outcome.proof.problems:
            say(f"not proven: {problem}")
        fail(
            "the fixes were not proven, so nothing was written (fix those by hand, or pick "
            "the files to fix with --file)"
        )
    if outcome.written:
        for path in sorted(plan.created):
            say(f"added {shown(path, root)}")
        say(f"proven: the fixed migrations build the same schema as before, and no rule reports "
            f"the fixed statements; {len(plan.chosen)} fix(es) written to "
            f"{len(plan.contents)} file(s). The local database ran the old text: "
            "inv db.reset rebuilds it")  # fmt: skip
    elif not plan.chosen:
        say("nothing to fix")
    elif diff:
        raise Exit(code=1)


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
    from dbflow.checks.function_lint import lint_functions, render_lint

    if format not in ("text", "json", "github"):
        usage_error("--format must be text, json or github")
    with user_errors(), progress("checking functions with plpgsql_check") as notify:
        report = lint_functions(settings(), notify)
    print(render_lint(report, format))
    if report.count("error"):
        raise Exit(code=1)


@task(
    name="test",
    iterable=["file"],
    help={
        "target": "local (default: a fresh seeded copy per file), or staging (each file in a "
        "transaction that is rolled back); production is refused",
        "file": "run only this test file (repeatable; default supabase/tests/**/*.sql)",
        "no-seed": "locally, leave out the test seed (db.seed-test's fixtures)",
        "yes": "instead of typing the target's name (a DATABASE_URL that is not this machine)",
    },
)
def test_task(
    c: Context,
    target: str = "local",
    file: list[str] | None = None,
    no_seed: bool = False,
    yes: bool = False,
) -> None:
    """Run the pgTAP tests in supabase/tests: N passed, N failed (exit 1 when any fails, 2
    without pgTAP)."""
    from dbflow.checks.sql_tests import render_run, run_tests

    with user_errors(), progress("running the pgTAP tests") as notify:
        result = run_tests(
            settings(),
            target,
            list(file or []),
            seed=not no_seed,
            yes=yes,
            confirm=terminal_confirm(),
            notify=notify,
        )
    for line in render_run(result):
        say(line)
    if not result.ok:
        raise Exit(code=1)


@task(
    iterable=["only"],
    help={
        "target": "local (default), staging or production (read-only)",
        "format": "text (default), json or sarif",
        "only": "run only this lint, by name (repeatable), e.g. rls_disabled_in_public",
        "output": "also write the report to this file (the format chosen)",
    },
)
def advisors(
    c: Context,
    target: str = "local",
    format: str = "text",
    only: list[str] | None = None,
    output: str | None = None,
) -> None:
    """The platform's Security and Performance Advisor lints against a live database,
    read-only: exit 1 on ERROR-level findings."""

    from dbflow.checks.advisors.render import render_advisors
    from dbflow.checks.advisors.run import run_advisors
    from dbflow.report.files import check_output_file, write_output

    if format not in ("text", "json", "sarif"):
        usage_error("--format must be text, json or sarif")
    with user_errors():
        path = check_output_file(output, "--output") if output else None
        report = run_advisors(settings(), target, only=tuple(only or ()))
    rendered = render_advisors(report, format)
    print(rendered)
    if path is not None:
        write_output(path, rendered + "\n")
    if report.count("ERROR"):
        raise Exit(code=1)


@task(
    iterable=["file"],
    help={
        "rows": "rows generated in each table the traced migrations touch (default 100000)",
        "threshold-ms": "flag an ACCESS EXCLUSIVE lock held longer than this (default 500)",
        "file": "trace this migration (repeatable; default: those the local database lacks)",
        "since": "trace the migrations changed since this git ref (e.g. origin/main)",
        "format": "text (default), json, or github (annotations, then the text)",
        "output": "also write the report to this file (text for --format github: for a job "
        "summary or a pull-request comment)",
    },
)
def trace(
    c: Context,
    rows: str = "100000",
    threshold_ms: str = "500",
    file: list[str] | None = None,
    since: str | None = None,
    format: str = "text",
    output: str | None = None,
) -> None:
    """Apply the pending migrations to a throwaway copy with rows and report, per statement,
    the locks it takes, rewrites, scans and how long it blocks (exit 1 when one is flagged)."""
    from pathlib import Path

    from dbflow.checks.trace import TraceRequest, render_trace, trace_migrations
    from dbflow.report.files import check_output_file, write_output
    from dbflow.validate.run import changed_since

    if format not in ("text", "json", "github"):
        usage_error("--format must be text, json or github")
    count = whole_number(rows, "--rows")
    try:
        threshold = float(threshold_ms)
    except ValueError:
        usage_error(f"--threshold-ms {threshold_ms!r} is not a number of milliseconds")
    project = settings()
    with user_errors(), progress("tracing migrations") as notify:
        path = check_output_file(output, "--output") if output else None
        files = [Path(item).resolve() for item in file or []]
        if since:
            files += sorted(
                path for path in changed_since(project, since)
                if path.parent.resolve() == project.migrations_dir.resolve()
                and path.suffix == ".sql" and path.exists()
            )  # fmt: skip
            if not files:
                say(f"nothing to trace: no migration changed since {since}")
                return
        request = TraceRequest(count if count is not None else 100_000, threshold, tuple(files))
        report = trace_migrations(project, request, notify)
    rendered = render_trace(report, format)
    print(rendered)
    if path is not None:  # the readable report (with --format github: without annotations)
        kept = render_trace(report, "text") if format == "github" else rendered
        write_output(path, kept + "\n")
    if report.flagged:
        raise Exit(code=1)


TASKS = [validate, validate_docs, lint, test_task, advisors, trace]
