"""Rules about suppressions themselves; the engine reports them while applying suppressions."""

from __future__ import annotations

from collections.abc import Iterator

from dbflow.validate.rules import FileContext, Hit, rule


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
def unknown_rule(ctx: FileContext) -> Iterator[Hit]:
    return iter(())


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
    scope="file",
)
def unused_suppression(ctx: FileContext) -> Iterator[Hit]:
    return iter(())
