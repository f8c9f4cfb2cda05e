"""File hygiene: file names the runner skips or sorts badly, duplicate versions, empty and
unreadable files, symbolic links, versions in the future."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from dbflow.migrations.discovery import MIGRATION_FILE_NAME
from dbflow.validate.rules import FileContext, Hit, informs, passes, rule

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


@rule(
    id="HYG08",
    name="linked-migration",
    severity="warning",
    message="The migration file is a symbolic link",
    why="""What runs is the file the link points at, which may lie outside the repository: a
    review of the migrations folder does not see it, and it can change without a commit here.""",
    bad="-- supabase/migrations/20250101000000_shared.sql -> /opt/shared/schema.sql",
    good="-- supabase/migrations/20250101000000_shared.sql (a file of its own)",
    fix="Copy the file into the migrations folder (cp --remove-destination TARGET LINK).",
    scope="file",
)
def linked_migration(ctx: FileContext) -> Iterator[Hit]:
    path = ctx.source.path
    if path.is_symlink():
        yield Hit(f"{path.name} is a symbolic link to {path.resolve()}", 1, 1)


@rule(
    id="HYG09",
    name="future-version",
    severity="warning",
    message="The migration's version is a time in the future",
    why="""Versions are UTC timestamps and must grow: inv db.new (like supabase migration new)
    refuses to write a migration older than the newest file, so one dated in the future blocks
    every new migration until that date.""",
    bad="-- file: supabase/migrations/20990101000000_later.sql\nselect 1;",
    good="-- file: supabase/migrations/20250101120000_now.sql\nselect 1;",
    fix="Rename the file to the time it was written (inv db.new gives one); if it is applied "
    "somewhere, repair the history there (inv db.repair).",
    scope="file",
    cases=[
        passes(
            "-- file: supabase/migrations/20250231120000_february.sql\nselect 1;",
            "a version that is no date (the 31st of February) is no time in the future",
        ),
    ],
)
def future_version(ctx: FileContext) -> Iterator[Hit]:
    match = MIGRATION_FILE_NAME.match(ctx.source.path.name)
    if match is None or not _TIMESTAMP.match(match["version"]):
        return
    v = match["version"]  # 14 digits of a date and time (_TIMESTAMP), read without strptime
    year, month, day, hour, minute, second = (int(v[i : i + 2]) for i in range(2, 14, 2))
    try:
        moment = dt.datetime(2000 + year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError:  # the 31st of a shorter month
        return
    if moment > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
        yield Hit(
            f"{ctx.source.path.name} is dated {moment:%Y-%m-%d %H:%M} UTC, in the future: "
            "no migration can be created after it until then",
            1,
            1,
        )


@rule(
    id="HYG10",
    name="version-order",
    severity="warning",
    message="Versions of different lengths: the order files run in is not their time order",
    why="""The runner and the Supabase CLI apply migrations in the order of their versions as
    text. Versions of different lengths (1, 8, 14 digits) then run out of numeric and time order:
    `10_b.sql` runs before `9_a.sql`.""",
    given="create table public.orders (id bigint primary key);",
    bad="-- file: supabase/migrations/9_add_index.sql\n"
    "create index orders_id_idx on public.orders (id);",
    good="-- file: supabase/migrations/20250101130000_add_index.sql\n"
    "create index orders_id_idx on public.orders (id);",
    fix="Rename the files to 14-digit UTC timestamps in the order they must run, and repair the "
    "history where they are applied.",
    scope="file",
    cross_file=True,
)
def version_order(ctx: FileContext) -> Iterator[Hit]:
    match = MIGRATION_FILE_NAME.match(ctx.source.path.name)
    if match is None:
        return
    mine = match["version"]
    if ctx.names_by_version.lengths <= {len(mine)}:
        return  # every version has this length: text order is numeric order
    wrong = sorted(
        other
        for other in ctx.names_by_version
        if other.isdigit()
        and len(other) != len(mine)
        and (other < mine) != (int(other) < int(mine))
    )
    if wrong:
        names = ctx.names_by_version[wrong[0]]
        yield Hit(
            f"{ctx.source.path.name} runs {'after' if wrong[0] < mine else 'before'} "
            f"{names[0] if names else wrong[0]}, though its version is "
            f"{'smaller' if int(mine) < int(wrong[0]) else 'larger'} as a number",
            1,
            1,
        )


@rule(
    id="TXN05",  # its first number, kept for the suppressions that name it
    name="syntax-error",
    severity="error",
    message="Syntax error: this file would fail when deployed",
    why="PostgreSQL's own parser rejects the statement; the migration cannot apply.",
    bad="create tabel public.t (id bigint primary key);",
    good="create table public.t (id bigint primary key);",
    fix="Fix the statement at the reported line and column.",
    scope="file",
)
def syntax_error(ctx: FileContext) -> Iterator[Hit]:
    for problem in ctx.source.syntax_problems:
        yield Hit(
            f"Syntax error: {problem.message}", problem.position.line, problem.position.column
        )
