"""``inv db.validate --fix``: the validator's fixes applied to pending migrations, and proven.

A fix is written only when it is proven: the migrations with the fixes applied build, from
the platform's bootstrap, a schema equal to the one the unfixed migrations build (compared
object by object, as ``db.diff`` compares), and the validator, run again over the fixed
files, no longer reports the rule at the fixed statements nor anything new there. A file a
deploy target has applied is never rewritten: it is what that database ran.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dbflow.catalog.snapshot import take_snapshot
from dbflow.config import TARGET_URL_VARIABLES, Settings, resolve_target
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.migrations.history import read_history
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.places.project_lock import project_lock
from dbflow.places.scratch import copy_up_to
from dbflow.progress import Notify, quiet
from dbflow.schema.diff.compare import compare_snapshots, side_url
from dbflow.validate.config import load_validate_config
from dbflow.validate.findings import ValidationReport
from dbflow.validate.fix_plan import FixPlan, plan_fixes
from dbflow.validate.pipeline import validate_files
from dbflow.validate.run import Request, history, history_files, run_validation

DEPLOY_TARGETS = ("staging", "production")


@dataclass
class FixOutcome:
    plan: FixPlan
    proof: Proof | None = None  # None: nothing was proven (--diff, or nothing to fix)

    @property
    def written(self) -> bool:
        return self.proof is not None and self.proof.proven


def fix_migrations(
    settings: Settings, request: Request, *, unsafe: bool, write: bool, notify: Notify = quiet
) -> FixOutcome:
    """The fixes for the findings ``request`` reports, in files no deploy target applied;
    with ``write``, proven and written (nothing is written unless all of them are proven)."""
    report = run_validation(settings, request, notify)
    applied = applied_on_targets(settings, notify)
    root = settings.project_root.absolute()
    plan = plan_fixes(report.findings, root, history(settings), unsafe=unsafe, applied=applied)
    if not write or not plan.chosen:
        return FixOutcome(plan)
    with project_lock(settings, "db.validate --fix", notify):  # one proof at a time
        proof = prove(settings, plan, report, notify)
        if proof.proven:
            write_fixes(plan)
    return FixOutcome(plan, proof)


def applied_on_targets(settings: Settings, notify: Notify = quiet) -> set[str]:
    """Versions a deploy target (staging, production) has applied, for those configured. A
    configured target that cannot be read stops the run: a file it ran must not change."""
    found: set[str] = set()
    for name in DEPLOY_TARGETS:
        if not settings.env.get(TARGET_URL_VARIABLES[name]):
            continue
        target = resolve_target(settings, name)
        assert target.url is not None
        try:
            with connect(target.url, autocommit=True) as conn:
                versions = set(read_history(conn))
        except DbflowError as exc:
            raise DbflowError(
                f"cannot read which migrations {name} applied: {exc}",
                hint="--fix rewrites only files no deploy target ran: make it reachable, or "
                f"leave {TARGET_URL_VARIABLES[name]} unset where it cannot be reached",
            ) from None
        notify(f"{name} has applied {len(versions)} migration(s): their files stay as they are")
        found |= versions
    return found


@dataclass(frozen=True)
class Proof:
    problems: list[str]  # empty: proven

    @property
    def proven(self) -> bool:
        return not self.problems


def prove(
    settings: Settings, plan: FixPlan, before: ValidationReport, notify: Notify = quiet
) -> Proof:
    """Build the schema from the fixed migrations and compare it with the one the unfixed
    migrations build; validate the fixed files again."""
    with tempfile.TemporaryDirectory(prefix="dbflow-fix-") as scratch:
        folder = Path(scratch) / "migrations"
        shutil.copytree(settings.migrations_dir.absolute(), folder, symlinks=False)
        for path, text in [*plan.contents.items(), *plan.created.items()]:
            (folder / path.name).write_text(text, "utf-8")
        problems = _same_findings(settings, plan, before, folder)
        notify("building the schema from the unfixed migrations")
        with connect(side_url(settings, "migrations"), autocommit=True) as conn:
            expected = take_snapshot(conn)
        notify("building the schema from the fixed migrations")
        with copy_up_to(settings, "dbflow_fix_proof", None) as url:
            try:
                migrate(url, folder, RunOptions.from_settings(settings))
            except DbflowError as exc:
                said = str(exc).replace(f"{folder}/", "")
                return Proof([*problems, f"the fixed migrations do not apply: {said}"])
            with connect(url, autocommit=True) as conn:
                actual = take_snapshot(conn)
    differences = compare_snapshots(expected, actual)
    problems.extend(
        f"the fixed migrations build a different schema: {item.kind} {item.name} {item.change}"
        for item in differences
    )
    return Proof(problems)


def _same_findings(
    settings: Settings, plan: FixPlan, before: ValidationReport, folder: Path
) -> list[str]:
    """What the validator reports at the statements the fixes wrote: the fixed rule again,
    or a warning or error the original statement did not have."""
    config = load_validate_config(settings)
    after = validate_files(history_files(folder), config, root=folder.parent)
    allowed: dict[str, set[str]] = {}  # written statement -> rules the original had
    for fix in plan.chosen:
        original = _normal(fix.original)
        had = {f.rule_id for f in before.findings if _normal(f.statement) == original}
        for text in fix.statements:
            allowed.setdefault(_normal(text), set()).update(had - {fix.rule_id})
    problems = []
    for finding in after.findings:
        statement = _normal(finding.statement)
        if finding.severity == "info" or statement not in allowed:
            continue
        if finding.rule_id not in allowed[statement]:
            problems.append(
                f"{Path(finding.path).name}:{finding.line}: {finding.rule_id} reports the "
                f"fixed statement: {finding.message}"
            )
    return problems


def _normal(text: str) -> str:
    return " ".join(text.split()).rstrip(";")


def write_fixes(plan: FixPlan) -> None:
    """Write the fixed files and the new migrations (each through a temporary name)."""
    for path, text in [*plan.contents.items(), *plan.created.items()]:
        partial = path.with_name(f".{path.name}.fixing")
        partial.write_text(text, "utf-8")
        partial.replace(path)
