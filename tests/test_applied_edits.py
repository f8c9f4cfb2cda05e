"""An applied migration may change in comments, whitespace and keyword case, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbflow.migrations.plan import MigrationError
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.migrations.status import migration_rows
from dbflow.sql.canonical import canonical_script, canonical_statements

VERSION = "20250301000000"

APPLIED = """\
create table public.payments (
    id bigint generated always as identity primary key,
    note varchar(50),
    currency text not null default 'USD',
    amount numeric not null check (amount > 0)
);
alter table public.payments enable row level security;
create policy "payments: members read" on public.payments
    for select to authenticated using (false);
insert into storage.buckets (id, name, public) values ('receipts', 'receipts', true);
create function public.fee() returns numeric language plpgsql as $$
begin
    return 0.25;
end
$$;
"""

VALUE_EDITS = {
    "policy role": ("to authenticated", "to anon"),
    "policy expression": ("using (false)", "using (true)"),
    "bucket public flag": ("'receipts', true)", "'receipts', false)"),
    "column default": ("'USD'", "'EUR'"),
    "check bound": ("amount > 0", "amount > 1000000"),
    "type modifier": ("varchar(50)", "varchar(5)"),
    "constant in a function body": ("return 0.25", "return 2.5"),
    "quoted name": ('"payments: members read"', '"Payments: members read"'),
    "string spacing": ("'USD'", "'USD '"),
}

ALLOWED_EDITS = {
    "comments": lambda sql: (
        "-- Purpose: payments\n"
        + sql.replace("note varchar(50),", "note varchar(50), -- free text")
        .replace("begin\n", "begin\n    /* a fixed fee */\n")
        .replace("enable row", "/* inline */ enable row")
    ),
    "whitespace": lambda sql: (
        sql.replace("\n    for select", " for select")
        .replace("(\n    id", "(  id")
        .replace("    return 0.25;", "\treturn   0.25 ;")
    ),
    "keyword case": lambda sql: (
        sql.replace("create table", "CREATE TABLE")
        .replace("not null", "NOT NULL")
        .replace("using (false)", "USING (FALSE)")
        .replace("begin\n", "BEGIN\n")
        .replace("return 0.25", "RETURN 0.25")
        .replace("language plpgsql", "LANGUAGE plpgsql")
    ),
    "unquoted name case": lambda sql: sql.replace(
        "create table public.payments", "create table public.Payments"
    ),
}


@pytest.fixture
def applied(bare_db_url: str, tmp_path: Path) -> tuple[str, Path]:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / f"{VERSION}_payments.sql").write_text(APPLIED)
    assert len(migrate(bare_db_url, folder, RunOptions()).applied) == 1
    return bare_db_url, folder


@pytest.mark.parametrize("edit", sorted(VALUE_EDITS))
def test_an_edit_that_changes_a_value_is_caught(applied: tuple[str, Path], edit: str) -> None:
    url, folder = applied
    old, new = VALUE_EDITS[edit]
    assert old in APPLIED
    (folder / f"{VERSION}_payments.sql").write_text(APPLIED.replace(old, new, 1))
    assert [row.state for row in migration_rows(url, folder)] == ["changed"]
    with pytest.raises(MigrationError, match="was changed after it was applied"):
        migrate(url, folder, RunOptions())


@pytest.mark.parametrize("edit", sorted(ALLOWED_EDITS))
def test_comment_whitespace_and_case_edits_are_not_changes(
    applied: tuple[str, Path], edit: str
) -> None:
    url, folder = applied
    edited = ALLOWED_EDITS[edit](APPLIED)
    assert edited != APPLIED
    (folder / f"{VERSION}_payments.sql").write_text(edited)
    assert [row.state for row in migration_rows(url, folder)] == ["ok"]
    assert migrate(url, folder, RunOptions()).applied == ()


def test_a_body_in_another_language_keeps_its_whitespace() -> None:
    python = "create function f() returns int language plpython3u as $$\nif x:\n    return 1\n$$;"
    keywords_upper = python.replace("create function", "CREATE FUNCTION").replace("as $$", "AS $$")
    assert canonical_script(python) == canonical_script(keywords_upper)
    assert canonical_script(python) != canonical_script(python.replace("    return", "return"))


def test_statement_boundaries_and_the_files_own_transaction_do_not_count() -> None:
    assert canonical_script("begin;\nselect 1;\nselect 2;\ncommit;\n") == canonical_statements(
        ["select 1;", "select 2"]
    )
