"""A validation run: read the migrations, answer from the report cache when nothing the
report depends on changed, and otherwise run the stages (:mod:`dbflow.validate.stages`):

1. read the migrations (their text and content hash);
2. replay the history: statement and file rules per file, the declared schema built as the
   files go, resumed from the cache;
3. findings about an object a later statement changed are left to that statement; history
   rules over the schema as the whole history leaves it;
4. suppressions written in the files, then the rules about suppressions;
5. keep what is reported: the files asked for, minus the baseline, in place order.

A run answered from the report cache loads neither the rules nor the parser.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dbflow.progress import Notify, quiet
from dbflow.validate.cache_files import load_report, report_key, save_report
from dbflow.validate.cache_writes import Write, settled
from dbflow.validate.config import ValidateConfig
from dbflow.validate.findings import FIXABLE_RULES, Finding, ValidationReport
from dbflow.validate.migration_text import MigrationText, read_migration


def validate_files(
    paths: list[Path],
    config: ValidateConfig,
    *,
    root: Path,
    report_only: set[Path] | None = None,
    baseline: set[str] | None = None,
    cache_path: Path | None = None,
    notify: Notify = quiet,
    writes: list[Write] | None = None,
) -> ValidationReport:
    """Validate the migration history ``paths`` (in apply order).

    With ``cache_path``, files before the first changed one are not parsed again: their
    findings, statement spans and the model after them come from the cache; when nothing
    changed at all, the last report is the answer. With ``writes``, the caches are not
    written but their writes appended there, for the caller to run once its report is out
    (:func:`dbflow.validate.cache_writes.write_detached`).
    """
    started = time.perf_counter()
    base = os.path.abspath(root) + os.sep
    files = [read_migration(path, _display(path, base)) for path in paths]
    reported = [file.display for file in files if report_only is None or file.path in report_only]
    key = report_key(repr(config), [(f.display, f.sha) for f in files], reported, baseline)
    with settled(cache_path.parent if cache_path is not None else None):
        cached = load_report(cache_path, key)
    if cached is not None:
        cached.seconds = time.perf_counter() - started
        return cached
    from dbflow.validate.stages import check_history  # the rules and the parser load here

    findings, statements, notes = check_history(
        files,
        config,
        report_only=report_only,
        baseline=baseline or set(),
        cache_path=cache_path,
        notify=notify,
        writes=writes,
    )
    result = ValidationReport(findings, len(reported), statements, 0.0, notes)
    result.fixes = _fixes(findings, files, root)
    result.seconds = time.perf_counter() - started
    if writes is None:
        save_report(cache_path, key, result)
    else:
        writes.append(lambda: save_report(cache_path, key, result, make_folder=False))
    return result


def _fixes(
    findings: list[Finding], files: list[MigrationText], root: Path
) -> dict[int, dict[str, object]]:
    """The reports' fixes, from the parses this run made (validate.fix_plan, loaded only
    when a finding may have one)."""
    if not any(item.rule_id in FIXABLE_RULES and item.severity != "info" for item in findings):
        return {}
    from dbflow.validate.fix_plan import describe_fixes
    from dbflow.validate.replay import parsed_source
    from dbflow.validate.source import SourceFile, parse_file

    by_path = {Path(os.path.abspath(file.path)): file for file in files}

    def parsed(path: Path, text: str) -> SourceFile:
        known = by_path.get(Path(os.path.abspath(path)))
        return parsed_source(known) if known is not None else parse_file(path, str(path), text)

    absolute = Path(os.path.abspath(root))
    return describe_fixes(findings, absolute, [file.path for file in files], parsed)


def _display(path: Path, base: str) -> str:
    """``path`` relative to the project (``base`` ends with a separator), else as given."""
    absolute = os.path.abspath(path)
    return absolute[len(base) :] if absolute.startswith(base) else str(path)
