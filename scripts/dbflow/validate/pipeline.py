"""Run every rule over the migration history and collect findings.

All files are parsed (once per content, cached in memory) and replayed in version order into
the schema model; findings are kept only for the files being reported (all of them, or those
changed since a git ref), judged against the whole history.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dbflow.sql.files import decode_sql
from dbflow.sql.parse import Script
from dbflow.validate.cache import (
    CachedHit,
    FileSummary,
    Span,
    cache_fingerprint,
    load_cache,
    save_cache,
)
from dbflow.validate.config import ValidateConfig
from dbflow.validate.model import Location, SchemaModel
from dbflow.validate.rules import (
    RULES,
    FileContext,
    HistoryContext,
    Hit,
    Rule,
    Severity,
    StatementContext,
    all_rules,
)
from dbflow.validate.source import ParsedStatement, SourceFile, parse_file
from dbflow.validate.suppressions import Suppression, read_suppressions

_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
_parse_cache: dict[str, SourceFile] = {}


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    path: str
    line: int
    column: int
    statement: str
    fix: str

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: rule, file name and the statement's text."""
        normalized = " ".join(self.statement.split())
        digest = hashlib.sha256(f"{self.rule_id}|{Path(self.path).name}|{normalized}".encode())
        return digest.hexdigest()[:32]


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    statements: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # about the run itself, e.g. the cache

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def fails(self, fail_on: str) -> bool:
        threshold = _SEVERITY_RANK[fail_on]
        return any(_SEVERITY_RANK[finding.severity] >= threshold for finding in self.findings)


@dataclass
class _Raw:
    rule: Rule
    hit: Hit
    file_index: int
    line: int
    column: int
    statement: str


def validate_files(
    paths: list[Path],
    config: ValidateConfig,
    *,
    root: Path,
    report_only: set[Path] | None = None,
    baseline: set[str] | None = None,
    cache_path: Path | None = None,
) -> ValidationReport:
    """Validate the migration history ``paths`` (in apply order).

    With ``cache_path``, files before the first changed one are not parsed again: their
    findings, statement spans and the model after them come from the cache.
    """
    started = time.perf_counter()
    rules = [rule for rule in all_rules() if config.level(rule.id, rule.severity) != "off"]
    by_kind: dict[str | None, list[Rule]] = defaultdict(list)
    for rule in rules:
        if rule.scope == "statement":
            for kind in rule.kinds or [None]:
                by_kind[kind].append(rule)
    file_rules = [rule for rule in rules if rule.scope == "file"]
    cross_file = [rule for rule in file_rules if rule.cross_file]
    cache = load_cache(cache_path, cache_fingerprint(repr(config)))

    files = [_read_text(path, _display(path, root)) for path in paths]
    keys = cache.prefix_keys([(file.display, file.sha) for file in files])
    summary_keys = [f"{file.display}|{file.sha}" for file in files]
    resume = cache.resume_point(keys, summary_keys)
    model = cache.model() if resume >= 0 else SchemaModel()
    names_by_version: dict[str, list[str]] = defaultdict(list)
    for file in files:
        version, underscore, _ = file.path.name.partition("_")
        if underscore and version.isdigit():
            names_by_version[version].append(file.path.name)

    raw: list[_Raw] = []
    statements = 0
    spans: list[list[Span]] = []
    findings_by_key: dict[str, tuple[int, list[CachedHit]]] = {}
    summaries: dict[str, FileSummary] = {}
    for index, file in enumerate(files):
        source = SourceFile(file.path, file.display, Script(file.text))
        if index <= resume:
            summary = cache.summaries[summary_keys[index]]
            count, hits = cache.findings[keys[index]]
        else:
            cache.changed = True
            source = _parsed(file)
            file_hits = _check_file(
                source, index, config, names_by_version,
                [rule for rule in file_rules if not rule.cross_file],
            )  # fmt: skip
            summary = FileSummary(file_hits, _spans(source))
            count, hits = _check_statements(source, index, model, config, by_kind)
        summaries[summary_keys[index]] = summary
        findings_by_key[keys[index]] = (count, hits)
        spans.append(summary.spans)
        statements += count
        cross_hits = _check_file(source, index, config, names_by_version, cross_file)
        for rule_id, message, line, column, text in summary.file_hits + cross_hits + hits:
            raw.append(_Raw(RULES[rule_id], Hit(message), index, line, column, text))
    if cache.changed or len(keys) != len(cache.findings):
        cache.changed = True
        cache.summaries, cache.findings = summaries, findings_by_key
        if keys:
            cache.keep_model(keys[-1], model)
    save_cache(cache_path, cache)

    history = HistoryContext(model, config.options)
    for rule in (rule for rule in rules if rule.scope == "history"):
        for hit in rule.check(history):
            location = hit.location
            if location is None:
                continue
            text = _statement_at(spans[location.file_index], location.line)
            raw.append(_Raw(rule, hit, location.file_index, location.line, location.column, text))

    findings = _apply_suppressions(raw, files, spans, config)
    for file in files:
        if file.problem:
            message = f"{RULES['HYG07'].message}: {file.problem}"
            unreadable_finding = _finding("HYG07", message, file.display, 1, config)
            if unreadable_finding is not None:
                findings.append(unreadable_finding)
    reported = {
        files[index].display
        for index, path in enumerate(paths)
        if report_only is None or path in report_only
    }
    findings = [finding for finding in findings if finding.path in reported]
    if baseline:
        findings = [finding for finding in findings if finding.fingerprint not in baseline]
    findings.sort(key=lambda f: (f.path, f.line, f.column, -_SEVERITY_RANK[f.severity], f.rule_id))
    return ValidationReport(
        findings, len(reported), statements, time.perf_counter() - started, list(cache.notes)
    )


def _check_file(
    source: SourceFile,
    index: int,
    config: ValidateConfig,
    names_by_version: dict[str, list[str]],
    rules: list[Rule],
) -> list[CachedHit]:
    context = FileContext(source, index, config.options, names_by_version)
    return [
        (rule.id, hit.message, hit.line or 1, hit.column or 1, "")
        for rule in rules
        for hit in rule.check(context)
    ]


def _check_statements(
    source: SourceFile,
    index: int,
    model: SchemaModel,
    config: ValidateConfig,
    by_kind: dict[str | None, list[Rule]],
) -> tuple[int, list[CachedHit]]:
    """Run the statement rules over one file, replaying it into ``model``."""
    hits: list[CachedHit] = []
    ordered = _in_order(source)
    for statement in ordered:
        context = StatementContext(statement, source, index, model, config.options)
        in_body = statement.context == "function body"
        for rule in by_kind.get(statement.kind, []) + by_kind.get(None, []):
            if in_body and not rule.in_function_bodies:
                continue
            for hit in rule.check(context):
                line = hit.line or statement.line
                column = hit.column or statement.column
                hits.append((rule.id, hit.message, line, column, statement.text))
        if not in_body:
            where = Location(index, source.display, statement.line, statement.column)
            model.apply(statement.kind, statement.node, where)
    return len(ordered), hits


@dataclass(frozen=True)
class _File:
    path: Path
    display: str
    text: str
    sha: str
    problem: str | None


def _read_text(path: Path, display: str) -> _File:
    """The file's text and content hash, or the reason it cannot be read as SQL text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _File(path, display, "", "", f"cannot read the file: {exc.strerror}")
    sha = hashlib.sha256(data).hexdigest()
    try:
        return _File(path, display, decode_sql(data), sha, None)
    except ValueError as exc:
        return _File(path, display, "", sha, str(exc))


def _parsed(file: _File) -> SourceFile:
    """The parsed file (parsed once per content in this process)."""
    cached = _parse_cache.get(file.sha)
    if cached is None:
        cached = parse_file(file.path, file.display, file.text)
        _parse_cache[file.sha] = cached
    return SourceFile(file.path, file.display, cached.script)


def _spans(source: SourceFile) -> list[Span]:
    return [
        (statement.line, statement.line + statement.text.count("\n"), statement.text)
        for statement in source.statements
    ]


def _in_order(source: SourceFile) -> list[ParsedStatement]:
    """Top-level statements, each followed by the statements of its DO block or body."""
    if not source.embedded:
        return source.statements
    nested: dict[int, list[ParsedStatement]] = defaultdict(list)
    for statement in source.embedded:
        nested[statement.offset].append(statement)
    ordered: list[ParsedStatement] = []
    for statement in source.statements:
        ordered.append(statement)
        ordered.extend(nested.get(statement.offset, []))
    return ordered


def _statement_at(spans: list[Span], line: int) -> str:
    for first, _, text in spans:
        if first == line:
            return text
    return ""


def _apply_suppressions(
    raw: list[_Raw], sources: list[_File], spans: list[list[Span]], config: ValidateConfig
) -> list[Finding]:
    suppressions: dict[int, list[Suppression]] = {}
    notes: list[Finding | None] = []
    for index, source in enumerate(sources):
        found = read_suppressions(source.text) if "-- dbflow:" in source.text else []
        for suppression in found:
            if not suppression.whole_file:
                following = [span for span in spans[index] if span[0] > suppression.line]
                suppression.covers = (following[0][0], following[0][1]) if following else None
            if not suppression.rule_ids:
                message = "The suppression names no rule id"
                notes.append(_finding("SUP01", message, source.display, suppression.line, config))
            for rule_id in suppression.rule_ids:
                if rule_id not in RULES:
                    message = f"Unknown rule {rule_id} in a suppression"
                    notes.append(
                        _finding("SUP01", message, source.display, suppression.line, config)
                    )
        suppressions[index] = found

    findings: list[Finding] = []
    for item in raw:
        level = config.level(item.rule.id, item.rule.severity)
        if level == "off" or _suppressed(item, suppressions.get(item.file_index, [])):
            continue
        findings.append(
            Finding(
                rule_id=item.rule.id,
                rule_name=item.rule.name,
                severity=level,
                message=item.hit.message or item.rule.message,
                path=sources[item.file_index].display,
                line=item.line,
                column=item.column,
                statement=item.statement,
                fix=item.rule.fix,
            )
        )
    for index, found in suppressions.items():
        for suppression in found:
            for rule_id in suppression.rule_ids:
                if rule_id in RULES and rule_id not in suppression.used:
                    message = f"The suppression of {rule_id} silences nothing"
                    display = sources[index].display
                    notes.append(_finding("SUP02", message, display, suppression.line, config))
    return findings + [note for note in notes if note is not None]


def _suppressed(item: _Raw, found: Iterable[Suppression]) -> bool:
    for suppression in found:
        if item.rule.id not in suppression.rule_ids:
            continue
        if suppression.whole_file or (
            suppression.covers and suppression.covers[0] <= item.line <= suppression.covers[1]
        ):
            suppression.used.add(item.rule.id)
            return True
    return False


def _finding(
    rule_id: str, message: str, display: str, line: int, config: ValidateConfig
) -> Finding | None:
    """A finding the engine itself reports (suppressions, unreadable files); None if off."""
    rule = RULES[rule_id]
    level = config.level(rule.id, rule.severity)
    if level == "off":
        return None
    return Finding(rule.id, rule.name, level, message, display, line, 1, "", rule.fix)


def _display(path: Path, root: Path) -> str:
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    if absolute.startswith(base + os.sep):
        return absolute[len(base) + 1 :]
    return str(path)


def load_baseline(path: Path) -> set[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return set(data.get("fingerprints", []))


def write_baseline(path: Path, report: ValidationReport) -> None:
    data = {"fingerprints": sorted({finding.fingerprint for finding in report.findings})}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
