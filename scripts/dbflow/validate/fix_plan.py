"""The fixes of a validation run as a plan: the new text of each file they change and the
migrations they add right after it, ready to show (``--diff``, the JSON and SARIF reports)
or, once proven, to write (:mod:`dbflow.workflows.fix`).

A file's follow-up steps go into new migrations with the next free versions after it (one
second later for a timestamp version) and before the next migration: transactional steps
together, each step that cannot run in a transaction in a file of its own.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from dbflow.migrations.discovery import MIGRATION_FILE_NAME
from dbflow.validate.findings import Finding
from dbflow.validate.fixes import FIXERS, Fix, NoFix, Step, fixes_for
from dbflow.validate.source import SourceFile, parse_file


@dataclass
class FixPlan:
    """What ``--fix`` would write, and what it leaves, with the reason."""

    chosen: list[Fix] = field(default_factory=list)
    unsafe: list[Fix] = field(default_factory=list)  # left for --unsafe-fixes
    refused: list[NoFix] = field(default_factory=list)
    contents: dict[Path, str] = field(default_factory=dict)  # changed files' new text
    created: dict[Path, str] = field(default_factory=dict)  # new migrations
    steps_of: dict[int, list[Path]] = field(default_factory=dict)  # id(fix) -> its new files
    sources: dict[Path, SourceFile] = field(default_factory=dict)  # the files read


def plan_fixes(
    findings: list[Finding],
    root: Path,
    history: list[Path],
    *,
    unsafe: bool,
    applied: set[str] = frozenset(),  # type: ignore[assignment]
    parsed: Callable[[Path, str], SourceFile] | None = None,
) -> FixPlan:
    """The fixes for ``findings`` (paths relative to ``root``) as new file contents;
    ``history``: every migration file, in order; ``applied``: versions a deploy target ran
    (their files are left alone); ``parsed``: a parse of a file already at hand."""
    sources: dict[Path, SourceFile] = {}

    def source(path: Path) -> SourceFile:
        absolute = path if path.is_absolute() else root / path
        if absolute not in sources:
            text = absolute.read_text("utf-8")
            read = parsed or (lambda where, content: parse_file(where, str(path), content))
            sources[absolute] = read(absolute, text)
        return sources[absolute]

    plan = FixPlan(sources=sources)
    for fix in fixes_for(findings, source):
        if isinstance(fix, NoFix):
            plan.refused.append(fix)
        elif version_of(fix.path) in applied:
            plan.refused.append(
                NoFix(
                    fix.rule_id,
                    fix.path,
                    fix.line,
                    "a deploy target has applied this migration: put the change in a new one",
                )
            )
        elif fix.applicability == "unsafe" and not unsafe:
            plan.unsafe.append(fix)
        else:
            plan.chosen.append(fix)
    _write_texts(plan, sources, history)
    return plan


def version_of(path: Path) -> str:
    match = MIGRATION_FILE_NAME.match(path.name)
    return match["version"] if match else ""


def _write_texts(plan: FixPlan, sources: dict[Path, SourceFile], history: list[Path]) -> None:
    by_file: dict[Path, list[Fix]] = defaultdict(list)
    for fix in plan.chosen:
        by_file[fix.path].append(fix)
    taken = {version_of(path) for path in history}
    kept: list[Fix] = []
    for path, fixes in sorted(by_file.items()):
        fixes = _without_overlaps(sorted(fixes, key=lambda item: item.start), plan)
        files = _step_files(path, fixes, history, taken)
        if files is None:
            plan.refused.extend(
                NoFix(
                    fix.rule_id,
                    fix.path,
                    fix.line,
                    f"no free version right after {path.name} for the next migration: "
                    "rename the files apart first",
                )
                for fix in fixes
                if fix.steps
            )
            fixes, files = [fix for fix in fixes if not fix.steps], []
        text = sources[path].text
        for fix in reversed(fixes):
            text = text[: fix.start] + fix.text + text[fix.end :]
        if fixes:
            plan.contents[path] = text
        for new, content, owners in files:
            plan.created[new] = content
            for owner in owners:
                plan.steps_of.setdefault(id(owner), []).append(new)
        kept.extend(fixes)
    plan.chosen = kept


def _without_overlaps(fixes: list[Fix], plan: FixPlan) -> list[Fix]:
    kept: list[Fix] = []
    for fix in fixes:
        if kept and fix.start < kept[-1].end:
            plan.refused.append(
                NoFix(
                    fix.rule_id,
                    fix.path,
                    fix.line,
                    "another fix rewrites the same statement: run --fix again",
                )
            )
            continue
        kept.append(fix)
    return kept


def _step_files(
    path: Path, fixes: list[Fix], history: list[Path], taken: set[str]
) -> list[tuple[Path, str, list[Fix]]] | None:
    """The follow-up migrations of ``path`` as (file, text, the fixes whose steps it holds);
    None when no versions are free between ``path`` and the next migration."""
    groups: list[tuple[list[Step], list[Fix]]] = []  # (steps, the fixes they come from)
    for fix in fixes:
        for step in fix.steps:
            if groups and not step.alone and not groups[-1][0][-1].alone:
                groups[-1][0].append(step)
                groups[-1][1].append(fix)
            else:
                groups.append(([step], [fix]))
    version = version_of(path)
    header = f"{STEP_HEADER} {path.name}"
    later = [
        version_of(item)
        for item in history
        if version_of(item) > version and not _first_line(item).startswith(header)
    ]  # the steps an earlier --fix wrote for this file come before any new one
    ceiling = min(later, key=int) if later else None
    match = MIGRATION_FILE_NAME.match(path.name)
    name = match["name"] if match else path.stem
    files = []
    for steps, owners in groups:
        version = _next_version(version)
        while version in taken:
            version = _next_version(version)
        if ceiling is not None and int(version) >= int(ceiling):
            return None
        taken.add(version)
        suffixes = {step.suffix for step in steps}
        suffix = suffixes.pop() if len(suffixes) == 1 else "steps"
        text = f"{header}, written by inv db.validate --fix\n" + "".join(s.sql for s in steps)
        files.append((path.with_name(f"{version}_{name}_{suffix}.sql"), text, owners))
    return files


STEP_HEADER = "-- the next step of"


def _first_line(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as handle:
            return handle.readline()
    except (OSError, UnicodeDecodeError):
        return ""


def _next_version(version: str) -> str:
    """The version one second later (a timestamp), or one more (any other number)."""
    try:
        moment = datetime.strptime(version, "%Y%m%d%H%M%S")
    except ValueError:
        return str(int(version or "0") + 1).zfill(len(version))
    return (moment + timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")


def unified_diff(plan: FixPlan, root: Path) -> str:
    """What ``--fix`` writes, as a unified diff of the migration files."""
    parts: list[str] = []
    for path, text in sorted(plan.contents.items()):
        before = path.read_text("utf-8")
        name = shown(path, root)
        parts.extend(
            difflib.unified_diff(
                before.splitlines(True), text.splitlines(True), f"a/{name}", f"b/{name}"
            )
        )
    for path, text in sorted(plan.created.items()):
        name = shown(path, root)
        parts.extend(difflib.unified_diff([], text.splitlines(True), "/dev/null", f"b/{name}"))
    return "".join(parts)


def shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def describe_fixes(
    findings: list[Finding],
    root: Path,
    history: list[Path],
    parsed: Callable[[Path, str], SourceFile] | None = None,
) -> dict[int, dict[str, object]]:
    """Each fixable finding's fix (unsafe ones too), as the JSON and SARIF reports carry it,
    by the finding's index; a finding without an automatic fix gets the reason."""
    if not any(item.rule_id in FIXERS and item.severity != "info" for item in findings):
        return {}
    plan = plan_fixes(findings, root, history, unsafe=True, parsed=parsed)
    by_place: dict[tuple[str, Path, int], dict[str, object]] = {}
    for fix in plan.chosen:
        source = plan.sources[fix.path]
        start, end = source.position(fix.start), source.position(fix.end)
        by_place[(fix.rule_id, fix.path, fix.line)] = {
            "title": fix.title,
            "applicability": fix.applicability,
            "replace": {
                "start_line": start.line, "start_column": start.column,
                "end_line": end.line, "end_column": end.column, "text": fix.text,
            },
            "new_files": [
                {"file": shown(path, root), "text": plan.created[path]}
                for path in plan.steps_of.get(id(fix), [])
            ],
        }  # fmt: skip
    for refused in plan.refused:
        by_place.setdefault(
            (refused.rule_id, refused.path, refused.line),
            {"applicability": "none", "reason": refused.reason},
        )
    described = {}
    for index, finding in enumerate(findings):
        path = Path(finding.path)
        place = (finding.rule_id, path if path.is_absolute() else root / path, finding.line)
        if place in by_place:
            described[index] = by_place[place]
    return described
