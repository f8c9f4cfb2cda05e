"""``db.init``: bring dbflow's workflow into an existing Supabase project."""

from __future__ import annotations

from invoke.context import Context
from invoke.tasks import task

from dbflow.tasks.output import say, settings, user_errors

BASELINE = "supabase/validate-baseline.json"


@task(
    help={
        "force": "replace files that exist, after showing the difference",
        "baseline": f"record the existing migrations' findings in {BASELINE} so that they do "
        "not fail the first CI run",
    }
)
def init(c: Context, force: bool = False, baseline: bool = False) -> None:
    """Write tasks.py, a noxfile, the CI and deploy workflows, the pre-commit hook, seeds and
    [tool.dbflow] into this Supabase project (never overwriting)."""
    from pathlib import Path

    from dbflow.workflows.init import init_project, record_baseline

    root = Path.cwd()
    with user_errors():
        result = init_project(root, force=force)
    for name in result.written:
        say(f"wrote {name}")
    for name, difference in result.replaced:
        say(f"replaced {name}:")
        say(difference.rstrip())
    for name in result.left_alone:
        say(f"left alone {name}: it exists and differs (--force replaces it, showing the change)")
    if result.unchanged:
        say(f"unchanged: {', '.join(result.unchanged)}")
    for note in result.notes:
        say(f"note: {note}")
    with user_errors():
        errors, recorded = record_baseline(settings(), root / BASELINE, write=baseline)
    if recorded:
        say(f"recorded {recorded} finding(s) of the existing migrations in {BASELINE} "
            "([tool.dbflow.validate] baseline): they do not fail CI, new ones do")  # fmt: skip
    elif errors:
        say(f"the existing migrations have {errors} error(s) that would fail the first CI run: "
            "dbflow db.init --baseline records them as accepted")  # fmt: skip
    say("next:")
    say("  inv db.reset       build the local database from supabase/migrations and seed it")
    say("  inv db.validate    check the migrations as CI will")
    say('  git add -A && git commit -m "Use dbflow for the database workflow"')


TASKS = [init]
