"""``inv db.new``: a timestamped migration file with a header, optionally from a template."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from dbflow.errors import DbflowError
from dbflow.migrations.discovery import discover
from dbflow.migrations.history import git_setting

# A plain identifier: what the file name and the object names in templates are built from.
_PLAIN_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
TEMPLATES = ("table", "column")

_HEADER = """\
-- Migration: {name}
-- Purpose: TODO: why this change is needed
-- Author: {author}
-- Date: {date}
-- Dependencies: TODO: migrations or data this relies on
-- Risks: TODO: locks, data loss, backward compatibility
-- Optional directives (lock_timeout and statement_timeout for this file only):
-- dbflow: lock_timeout=10s statement_timeout=15min
"""

_TABLE_TEMPLATE = """
create table if not exists public.{table} (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references auth.users (id) on delete cascade,
    -- TODO: columns
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.{table} is 'TODO: what one row of {table} is';

create index if not exists {table}_user_id_idx on public.{table} (user_id);

alter table public.{table} enable row level security;

-- TODO: replace with the access rule of this table (see docs/wiki/rls-patterns.md).
create policy "{table}: users manage their own rows"
    on public.{table} for all
    to authenticated
    using ((select auth.uid()) = user_id)
    with check ((select auth.uid()) = user_id);

create trigger {table}_set_updated_at
    before update on public.{table}
    for each row execute function public.set_updated_at();
"""

_COLUMN_TEMPLATE = """
-- Adding a nullable column (or one with a constant default) does not rewrite the table.
alter table public.{table}
    add column if not exists {column} text;

comment on column public.{table}.{column} is 'TODO: what {column} holds';

-- An index on an existing table: put CREATE INDEX CONCURRENTLY in a migration of its own.
"""


def new_migration(
    migrations_dir: Path,
    name: str,
    *,
    template: str | None = None,
    table: str | None = None,
    column: str | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """Write ``<UTC YYYYMMDDHHMMSS>_<name>.sql`` and return its path."""
    check_identifier(name, "migration name")
    if template is not None and template not in TEMPLATES:
        raise DbflowError(f"unknown template {template!r}: choose {' or '.join(TEMPLATES)}")
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    version = moment.strftime("%Y%m%d%H%M%S")
    existing = discover(migrations_dir).migrations
    if any(migration.version == version for migration in existing):
        raise DbflowError(
            f"a migration with version {version} already exists in {migrations_dir}",
            hint="wait a second and run again: versions are UTC timestamps to the second",
        )
    newest = max((migration.version for migration in existing), default="")
    if newest and version < newest:
        newest_file = next(m.path.name for m in existing if m.version == newest)
        raise DbflowError(
            f"the new version {version} would be older than the newest migration ({newest_file})",
            detail="migrations apply in version order; a file dated in the future breaks that",
            hint=f"check the clock, or rename {newest_file} to a version before {version}",
        )
    body = ""
    if template == "table":
        body = _TABLE_TEMPLATE.format(table=_object_name(table, name, "table"))
    elif template == "column":
        if not column:
            raise DbflowError("the column template needs --column NAME (and --table NAME)")
        check_identifier(column, "column name")
        body = _COLUMN_TEMPLATE.format(table=_object_name(table, name, "table"), column=column)
    header = _HEADER.format(
        name=name, author=_author(migrations_dir), date=moment.strftime("%Y-%m-%d %H:%M UTC")
    )
    migrations_dir.mkdir(parents=True, exist_ok=True)
    path = migrations_dir / f"{version}_{name}.sql"
    path.write_text(header + body, encoding="utf-8")
    return path


def _object_name(given: str | None, migration_name: str, what: str) -> str:
    if given:
        check_identifier(given, f"{what} name")
        return given
    for prefix in ("create_", "add_"):
        if migration_name.startswith(prefix) and len(migration_name) > len(prefix):
            return migration_name.removeprefix(prefix)
    return migration_name


def check_identifier(value: str, what: str) -> None:
    if not _PLAIN_IDENTIFIER.fullmatch(value):
        raise DbflowError(
            f"{what} {value!r} is not a plain identifier",
            hint="use lowercase letters, digits and underscores, starting with a letter "
            "(e.g. add_projects_table)",
        )


def _author(where: Path) -> str:
    parts = [value for key in ("user.name", "user.email") if (value := git_setting(key, where))]
    if len(parts) == 2:
        return f"{parts[0]} <{parts[1]}>"
    return parts[0] if parts else "TODO: your name"
