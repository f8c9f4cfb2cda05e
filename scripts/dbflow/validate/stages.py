"""The stages of a validation run that need the rules and the parser (see
:mod:`dbflow.validate.pipeline` for the whole run):

2. replay the history: statement and file rules per file, the declared schema built as the
   files go (:mod:`dbflow.validate.replay`, resumed from the cache);
3. findings about an object a later statement changed are left to that statement; history
   rules over the schema as the whole history leaves it;
4. suppressions written in the files, then the rules about suppressions;
5. keep what is reported: the files asked for, minus the baseline, in place order.
"""

from __future__ import annotations

from pathlib import Path

from dbflow.progress import Notify
from dbflow.redact import mask_sql_secrets
from dbflow.validate.cache import Span, cache_fingerprint, load_cache, save_cache
from dbflow.validate.cache_writes import Write, settled
from dbflow.validate.config import ValidateConfig
from dbflow.validate.declared import DeclaredSchema
from dbflow.validate.findings import SEVERITY_RANK, Finding
from dbflow.validate.migration_text import MigrationText
from dbflow.validate.options import SEVERITIES
from dbflow.validate.replay import RawHit, Replayed, RuleSet, replay_history
from dbflow.validate.rules import RULES, HistoryContext, Rule, SuppressionContext
from dbflow.validate.suppressions import Suppression, read_suppressions


def check_history(
    files: list[MigrationText],
    config: ValidateConfig,
    *,
    report_only: set[Path] | None,
    baseline: set[str],
    cache_path: Path | None,
    notify: Notify,
    writes: list[Write] | None = None,
) -> tuple[list[Finding], int, list[str]]:
    """Every finding of the files asked for (minus the baseline), in place order; how many
    statements were checked; notes about the run. The model cache is written at once, or its
    write appended to ``writes``."""
    rules = RuleSet.enabled(config)
    with settled(cache_path.parent if cache_path is not None else None):
        displays = [file.display for file in files]
        cache = load_cache(cache_path, cache_fingerprint(repr(config)), displays)
    replayed = replay_history(files, rules, config, cache, notify)
    if writes is None:
        save_cache(cache_path, cache)
    else:
        writes.append(lambda: save_cache(cache_path, cache, make_folder=False))
    standing = [hit for hit in replayed.hits if not _overtaken(hit, replayed.model)]
    hits = standing + _check_history(rules.history, replayed, files, config)
    findings = _suppress(hits, files, replayed.spans, rules.suppressions, config)
    reported = {file.display for file in files if report_only is None or file.path in report_only}
    findings = [f for f in findings if f.path in reported and f.fingerprint not in baseline]
    findings.sort(key=lambda finding: finding.order)
    return findings, replayed.statements, cache.notes


def _overtaken(hit: RawHit, model: DeclaredSchema) -> bool:
    """True when a later statement dropped, replaced or altered the object the hit is about:
    what that statement leaves is what counts (it is checked on its own)."""
    return hit.subject is not None and model.changed_after(hit.subject, hit.file_index, hit.line)


def _check_history(
    rules: list[Rule], replayed: Replayed, files: list[MigrationText], config: ValidateConfig
) -> list[RawHit]:
    """History rules, placed where the object they name was defined."""
    context = HistoryContext(replayed.model, config.options)
    hits = []
    for rule in rules:
        for hit in rule.check(context):
            where = hit.location
            if where is None:
                continue
            file = files[where.file_index]
            text = _statement_at(replayed.spans[where.file_index], where.line, file.text)
            place = (where.file_index, where.line, where.column)
            hits.append(RawHit(rule.id, hit.message, *place, text, severity=hit.severity))
    return hits


def _statement_at(spans: list[Span], line: int, text: str) -> str:
    """The text of the statement of ``spans`` (a file's, whose text is ``text``) that starts
    on ``line``."""
    for first, _, offset, length in spans:
        if first == line:
            return text[offset : offset + length]
    return ""


def _suppress(
    hits: list[RawHit],
    files: list[MigrationText],
    spans: list[list[Span]],
    suppression_rules: list[Rule],
    config: ValidateConfig,
) -> list[Finding]:
    """Findings not silenced by a suppression, then what the suppression rules say."""
    suppressions = [
        _suppressions_of(file, file_spans) for file, file_spans in zip(files, spans, strict=True)
    ]
    findings = [
        _finding(hit, files[hit.file_index].display, config)
        for hit in hits
        if not _silenced(hit, suppressions[hit.file_index])
    ]
    for file, found in zip(files, suppressions, strict=True):
        if not found:
            continue
        context = SuppressionContext(file.display, found)
        for rule in suppression_rules:
            for hit in rule.check(context):
                placed = RawHit(rule.id, hit.message, 0, hit.line or 1, 1, "")
                findings.append(_finding(placed, file.display, config))
    return findings


def _suppressions_of(file: MigrationText, spans: list[Span]) -> list[Suppression]:
    """The file's suppressions, each knowing the lines of the statement it applies to."""
    found = read_suppressions(file.text) if "-- dbflow:" in file.text else []
    for suppression in found:
        if not suppression.whole_file:
            following = [span for span in spans if span[0] > suppression.line]
            suppression.covers = (following[0][0], following[0][1]) if following else None
    return found


def _silenced(hit: RawHit, suppressions: list[Suppression]) -> bool:
    for suppression in suppressions:
        if hit.rule_id in suppression.rule_ids and suppression.applies_to(hit.line):
            suppression.used.add(hit.rule_id)
            return True
    return False


def _finding(hit: RawHit, display: str, config: ValidateConfig) -> Finding:
    rule = RULES[hit.rule_id]
    level = config.level(rule.id, rule.severity)
    assert level != "off", "a rule turned off does not run"
    for milder in SEVERITIES:  # "at most": a milder case of the rule keeps its severity
        if milder == hit.severity and SEVERITY_RANK[milder] < SEVERITY_RANK[level]:
            level = milder
    return Finding(
        rule_id=rule.id,
        rule_name=rule.name,
        severity=level,
        message=mask_sql_secrets(hit.message or rule.message),
        path=display,
        line=hit.line,
        column=hit.column,
        statement=mask_sql_secrets(hit.statement),
        fix=rule.fix,
    )
