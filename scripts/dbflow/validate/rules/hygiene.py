"""File hygiene: file names the runner skips or sorts badly, duplicate versions, empty and
unreadable files."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dbflow.migrations.discovery import MIGRATION_FILE_NAME
from dbflow.validate.rules import FileContext, Hit, informs, rule

_TIMESTAMP = re.compile(
    r"^20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$"
)


@rule(
    id="HYG04",
    name="bad-file-name",
    severity="error",
    message="Migration file name is not <YYYYMMDDHHMMSS>_<name>.sql",
    why="""The runner (and the Supabase CLI) skip files that do not start with a version and an
    underscore: such a file never runs. Any all-digit version is accepted; one that is not a UTC
    timestamp is reported as info, since versions from two branches can then collide or sort
    unexpectedly.""",
    bad="-- file: supabase/migrations/add_orders.sql\ncreate table public.orders (id bigint);",
    good="-- file: supabase/migrations/20250101120000_add_orders.sql\n"
    "create table public.orders (id bigint);",
    fix="Create migrations with inv db.new NAME, or rename the file.",
    scope="file",
    skipped_files=True,
    cases=[
        informs(
            "-- file: supabase/migrations/0001_add_orders.sql\n"
            "create table public.orders (id bigint);",
            "a 4-digit version is accepted: info",
        ),
    ],
)
def bad_file_name(ctx: FileContext) -> Iterator[Hit]:
    name = ctx.source.path.name
    match = MIGRATION_FILE_NAME.match(name)
    if match is None or not match["name"]:
        yield Hit(f"{name} is not <version>_<name>.sql: the runner would skip it", 1, 1)
    elif not _TIMESTAMP.match(match["version"]):
        yield Hit(f"The version of {name} is not a 14-digit UTC timestamp", 1, 1, severity="info")


@rule(
    id="HYG05",
    name="duplicate-version",
    severity="error",
    message="Two migration files share a version: only one can be applied",
    why="The history table is keyed by version; the second file with the same version never runs.",
    bad="-- two files: 20250101120000_a.sql and 20250101120000_b.sql",
    good="-- 20250101120000_a.sql and 20250101120100_b.sql",
    fix="Rename one of the files to a new timestamp (inv db.new creates unique ones).",
    scope="file",
    cross_file=True,
)
def duplicate_version(ctx: FileContext) -> Iterator[Hit]:
    match = MIGRATION_FILE_NAME.match(ctx.source.path.name)
    if match is None:
        return
    others = [
        name
        for name in ctx.names_by_version.get(match["version"], [])
        if name != ctx.source.path.name
    ]
    if others:
        yield Hit(f"{ctx.source.path.name} has the same version as {others[0]}", 1, 1)


@rule(
    id="HYG06",
    name="empty-migration",
    severity="info",
    message="The migration has no statements",
    why="An empty file is recorded as applied and does nothing; usually a forgotten stub.",
    bad="-- TODO: write this migration",
    good="create table public.todo_items (id bigint primary key);",
    fix="Write the migration, or delete the file.",
    scope="file",
)
def empty_migration(ctx: FileContext) -> Iterator[Hit]:
    source = ctx.source
    if not source.statements and not source.syntax_problems:
        yield Hit(None, 1, 1)


@rule(
    id="HYG07",
    name="unreadable-file",
    severity="error",
    message="The file is not UTF-8 text",
    why="The runner reads migrations as UTF-8 SQL; a binary or mis-encoded file cannot apply.",
    bad="-- (a file with bytes that are not UTF-8)",
    good="-- (a UTF-8 text file)",
    fix="Save the file as UTF-8, or remove it from the migrations folder.",
    scope="file",
)
def unreadable_file(ctx: FileContext) -> Iterator[Hit]:
    if ctx.problem is not None:
        yield Hit(f"{unreadable_file.message}: {ctx.problem}", 1)
