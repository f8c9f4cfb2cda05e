"""`inv db.lint`: plpgsql_check over the functions and triggers the migrations create. A
project with functions broken in known ways: each finding names the function, the migration
file and the line in it; a clean function gives nothing; errors exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run
from tests.conftest import require_extension

MIGRATION = """\
create table public.orders (
    id bigint generated always as identity primary key,
    total numeric not null default 0,
    status text not null default 'new'
);
alter table public.orders enable row level security;

create function public.order_total(order_id bigint) returns numeric
language plpgsql stable set search_path = '' as $$
declare
    result numeric;
begin
    select o.totl into result from public.orders o where o.id = order_id;
    return result;
end;
$$;

create function public.orders_stamp() returns trigger
language plpgsql set search_path = '' as $$
begin
    new.stauts := 'changed';
    return new;
end;
$$;

create trigger orders_stamp before update on public.orders
    for each row execute function public.orders_stamp();

create function public.unused_trigger() returns trigger
language plpgsql as $$ begin return new; end; $$;

create function public.clean_count() returns bigint
language plpgsql stable set search_path = '' as $$
begin
    return (select count(*) from public.orders);
end;
$$;

create function public.with_unused(n int) returns int
language plpgsql immutable set search_path = '' as $$
declare
    never_read int;
begin
    return n + 1;
end;
$$;
"""


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_lint_names_function_file_and_line() -> None:
    require_extension("plpgsql_check", "postgresql-15-plpgsql-check")
    with project_dir("dbflow-lint-") as project:
        folder = project / "supabase" / "migrations"
        folder.mkdir(parents=True)
        migration = folder / "20250101000000_orders.sql"
        migration.write_text(MIGRATION)

        result = run(project, INV, "db.lint", "--format", "json", timeout=600)
        assert_no_traceback(result)
        assert result.returncode == 1, result.stdout + result.stderr
        report = json.loads(result.stdout)
        found = {(f["function"], f["severity"]): f for f in report["findings"]}
        shown = str(Path("supabase/migrations") / migration.name)

        missing_column = found[("public.order_total(order_id bigint)", "error")]
        assert "column o.totl does not exist" in missing_column["message"]
        assert missing_column["file"] == shown
        assert missing_column["line"] == _line_of(MIGRATION, "select o.totl")

        trigger = found[("public.orders_stamp()", "error")]
        assert trigger["table"] == "public.orders" and "stauts" in trigger["message"]
        assert trigger["line"] == _line_of(MIGRATION, "new.stauts")

        unused = found[("public.with_unused(n integer)", "warning")]
        assert "never_read" in unused["message"] and unused["line"] == _line_of(
            MIGRATION, "never_read int"
        )
        assert not any(f["function"].startswith("public.clean_count") for f in report["findings"])
        assert report["unchecked"] == ["public.unused_trigger()"]

        text = run(project, INV, "db.lint", timeout=600)
        assert text.returncode == 1
        line = _line_of(MIGRATION, "select o.totl")
        assert f"{shown}:{line}: error [error] public.order_total(order_id bigint):" in text.stdout
        assert "not checked (no trigger uses it): public.unused_trigger()" in text.stdout
        github = run(project, INV, "db.lint", "--format", "github", timeout=600)
        assert f"::error file={shown},line={line},title=plpgsql_check error::" in github.stdout

        migration.write_text(MIGRATION.replace("o.totl", "o.total").replace("stauts", "status"))
        clean = run(project, INV, "db.lint", timeout=600)
        assert clean.returncode == 0, clean.stdout  # warnings do not fail
        assert "0 error(s), 1 warning(s)" in clean.stdout


def test_lint_on_the_example_app_is_clean() -> None:
    require_extension("plpgsql_check", "postgresql-15-plpgsql-check")
    with project_dir("dbflow-lint-", app=True) as project:
        result = run(project, INV, "db.lint", timeout=600)
        assert_no_traceback(result)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 error(s)" in result.stdout


@pytest.mark.parametrize("flag", ["--format=sarif"])
def test_lint_refuses_an_unknown_format(flag: str) -> None:
    with project_dir("dbflow-lint-") as project:
        result = run(project, INV, "db.lint", flag)
        assert result.returncode == 2 and "--format must be text, json or github" in result.stderr
