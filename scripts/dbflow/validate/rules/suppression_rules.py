"""Rules about suppressions themselves: ids that name no rule, and suppressions that silence
nothing once a run applied them."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.validate.rules import RULES, FileContext, Hit, SuppressionContext, rule


@rule(
    id="SUP01",
    name="unknown-rule-in-suppression",
    severity="warning",
    message="A suppression names a rule that does not exist",
    why="A misspelled rule id suppresses nothing, and the finding it meant to silence returns.",
    bad="-- dbflow: ignore DAT99 typo in the id\ndrop table if exists public.tmp_import;",
    good="-- dbflow: ignore DAT01 the import table is rebuilt nightly\n"
    "drop table if exists public.tmp_import;",
    fix="Use the id printed with the finding (e.g. DAT01).",
    scope="file",
)
def unknown_rule_in_suppression(ctx: FileContext) -> Iterator[Hit]:
    for suppression in ctx.suppressions:
        if not suppression.rule_ids:
            yield Hit("The suppression names no rule id", suppression.line)
        for rule_id in suppression.rule_ids:
            if rule_id not in RULES:
                yield Hit(f"Unknown rule {rule_id} in a suppression", suppression.line)


@rule(
    id="SUP02",
    name="unused-suppression",
    severity="warning",
    message="A suppression silences nothing: remove it",
    why="""A suppression that no longer matches a finding hides the next real one on that
    statement; keeping suppressions exact keeps them honest.""",
    bad="-- dbflow: ignore DAT01 no longer needed\ncreate table public.kept (id bigint);",
    good="create table public.kept (id bigint);",
    fix="Delete the suppression comment.",
    scope="suppressions",
)
def unused_suppression(ctx: SuppressionContext) -> Iterator[Hit]:
    for suppression in ctx.suppressions:
        for rule_id in suppression.rule_ids:
            if rule_id in RULES and rule_id not in suppression.used:
                yield Hit(f"The suppression of {rule_id} silences nothing", suppression.line)
