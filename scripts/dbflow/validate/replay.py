"""The first stage of a run: every migration in apply order, its statement and file rules
checked while its statements replay into the declared schema.

Files are parsed once per content in a process, and not at all when the cache holds their
findings and the model after them (a run after appending one migration replays that one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from dbflow.progress import Notify, quiet
from dbflow.sql.parse import Script, parse_script
from dbflow.validate.cache import CachedHit, FileSummary, Span, ValidationCache
from dbflow.validate.config import ValidateConfig
from dbflow.validate.declared import DeclaredSchema, Location, Subject
from dbflow.validate.effects import WRITES, apply_embedded, apply_statement
from dbflow.validate.guards import runs
from dbflow.validate.migration_text import MigrationText
from dbflow.validate.noops import does_nothing
from dbflow.validate.parse_ahead import ParseAhead
from dbflow.validate.rules import FileContext, Rule, StatementContext, VersionNames, all_rules
from dbflow.validate.source import SourceFile

_parse_cache: dict[str, SourceFile] = {}
_ahead: ParseAhead | None = None  # the parses of the files the run is about to reach


@dataclass(frozen=True)
class RuleSet:
    """The enabled rules, sorted by when a run calls them."""

    by_kind: dict[str | None, list[Rule]]  # statement rules by statement kind (None: any)
    own_file: list[Rule]  # file rules that look at one file
    cross_file: list[Rule]  # file rules that also look at the other files' names
    history: list[Rule]
    suppressions: list[Rule]

    @classmethod
    def enabled(cls, config: ValidateConfig) -> RuleSet:
        rules = [rule for rule in all_rules() if config.level(rule.id, rule.severity) != "off"]
        by_kind: dict[str | None, list[Rule]] = defaultdict(list)
        for rule in rules:
            if rule.scope == "statement":
                for kind in rule.kinds or [None]:
                    by_kind[kind].append(rule)
        file_rules = [rule for rule in rules if rule.scope == "file"]
        return cls(
            by_kind=dict(by_kind),
            own_file=[rule for rule in file_rules if not rule.cross_file],
            cross_file=[rule for rule in file_rules if rule.cross_file],
            history=[rule for rule in rules if rule.scope == "history"],
            suppressions=[rule for rule in rules if rule.scope == "suppressions"],
        )

    def for_statement(self, kind: str) -> list[Rule]:
        return self.by_kind.get(kind, []) + self.by_kind.get(None, [])


@dataclass(frozen=True)
class RawHit:
    """A rule's match, placed, before severity levels and suppressions apply."""

    rule_id: str
    message: str | None
    file_index: int
    line: int
    column: int
    statement: str
    subject: Subject | None = None
    severity: str | None = None  # at most this severity


@dataclass
class Replayed:
    hits: list[RawHit] = field(default_factory=list)
    spans: list[list[Span]] = field(default_factory=list)  # per file: its statements' lines
    model: DeclaredSchema = field(default_factory=DeclaredSchema)  # after the last file
    statements: int = 0


def replay_history(
    files: list[MigrationText],
    rules: RuleSet,
    config: ValidateConfig,
    cache: ValidationCache,
    notify: Notify = quiet,
) -> Replayed:
    """Check and replay ``files`` in order, reusing and then updating ``cache``; ``notify``
    hears of each file that is parsed and checked."""
    keys = cache.prefix_keys([(file.display, file.sha) for file in files])
    summary_keys = [f"{file.display}|{file.sha}" for file in files]
    resume = cache.resume_point(keys, summary_keys)
    replayed = Replayed(model=cache.model() if resume >= 0 else DeclaredSchema())
    names_by_version = VersionNames()
    for file in files:
        if file.version is not None:
            names_by_version.setdefault(file.version, []).append(file.path.name)

    findings_by_key: dict[str, tuple[int, list[CachedHit]]] = {}
    summaries: dict[str, FileSummary] = {}
    _parse_ahead([file for file in files[resume + 1 :] if file.applies])
    try:
        for index, file in enumerate(files):
            if index <= resume:
                source = _unparsed(file)
                summary = cache.summaries[summary_keys[index]]
                count, hits = cache.findings[keys[index]]
            else:
                cache.changed = True
                notify(f"validating {index + 1}/{len(files)}: {file.display}")
                source = parsed_source(file) if file.applies else _unparsed(file)
                context = FileContext(source, index, config.options, names_by_version, file.problem)
                if file.applies:
                    summary = FileSummary(_check_file(context, rules.own_file), _spans(source))
                    count, hits = _check_statements(source, index, replayed.model, config, rules)
                else:  # the runner skips it: only its name is wrong
                    naming = [rule for rule in rules.own_file if rule.skipped_files]
                    summary, count, hits = FileSummary(_check_file(context, naming), []), 0, []
            summaries[summary_keys[index]] = summary
            findings_by_key[keys[index]] = (count, hits)
            replayed.spans.append(summary.spans)
            replayed.statements += count
            context = FileContext(source, index, config.options, names_by_version, file.problem)
            cross_hits = _check_file(context, rules.cross_file)
            for rule_id, message, line, column, text, subject, severity in (
                summary.file_hits + cross_hits + hits
            ):
                replayed.hits.append(
                    RawHit(rule_id, message, index, line, column, text, subject, severity)
                )
    finally:
        _stop_parsing_ahead()
    if cache.changed or len(keys) != len(cache.findings):
        cache.changed = True
        cache.summaries, cache.findings = summaries, findings_by_key
        if keys:
            cache.keep_model(keys[-1], replayed.model)
    return replayed


def _check_file(context: FileContext, rules: list[Rule]) -> list[CachedHit]:
    return [
        (rule.id, hit.message, hit.line or 1, hit.column or 1, "", hit.subject, hit.severity)
        for rule in rules
        for hit in rule.check(context)
    ]


def _check_statements(
    source: SourceFile, index: int, model: DeclaredSchema, config: ValidateConfig, rules: RuleSet
) -> tuple[int, list[CachedHit]]:
    """Run the statement rules over one file, replaying it into ``model``."""
    hits: list[CachedHit] = []
    ordered = source.ordered
    for statement in ordered:
        if statement.guards and not runs(statement.guards, model):
            continue  # an IF [NOT] EXISTS around it is known to skip it
        if does_nothing(statement.kind, statement.node, model):
            continue  # an IF NOT EXISTS of what the history has: a no-op
        context = StatementContext(statement, source, index, model, config.options)
        in_body = statement.context == "function body"
        for rule in rules.for_statement(statement.kind):
            if in_body and not rule.in_function_bodies:
                continue
            for found in rule.check(context):
                hit = rule.on_few_rows(context, found)
                line = hit.line or statement.line
                column = hit.column or statement.column
                text = statement.text
                hits.append((rule.id, hit.message, line, column, text, hit.subject, hit.severity))
        where = Location(index, source.display, statement.line, statement.column)
        if statement.context is not None and statement.kind in WRITES:
            apply_embedded(model, statement.kind, statement.node, where)
        elif not in_body:
            apply_statement(model, statement.kind, statement.node, where)
    return len(ordered), hits


def _unparsed(file: MigrationText) -> SourceFile:
    return SourceFile(file.path, file.display, Script(file.text))


def parsed_source(file: MigrationText) -> SourceFile:
    """The parsed file (parsed once per content in this process)."""
    cached = _parse_cache.get(file.sha)
    if cached is None:
        script = _ahead.take(file.sha) if _ahead is not None else None
        cached = SourceFile(file.path, file.display, script or parse_script(file.text))
        _parse_cache[file.sha] = cached
    return SourceFile(file.path, file.display, cached.script)


def _parse_ahead(files: list[MigrationText]) -> None:
    """Start parsing ``files`` (those the run will parse, in its order) ahead of it, where
    that pays: :func:`parsed_source` takes each parse from there until the replay ends."""
    global _ahead
    _ahead = ParseAhead({file.sha: file.text for file in files if file.sha not in _parse_cache})


def _stop_parsing_ahead() -> None:
    global _ahead
    if _ahead is not None:
        _ahead.close()
    _ahead = None


def _spans(source: SourceFile) -> list[Span]:
    return [
        (
            statement.line,
            statement.line + statement.text.count("\n"),
            statement.offset,
            len(statement.text),
        )
        for statement in source.statements
    ]
