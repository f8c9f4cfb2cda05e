"""The declarative cycle through `inv`: declared files (supabase/schemas) ahead of the
migrations, `db.diff --to schemas` shows it, `db.new --from-schemas` writes a proven
migration, `db.diff` is then empty and `db.reset` works; `db.reset --from-schemas` builds the
local database from the declared files. Among the changes: a grant, a comment, a policy and a
view's owner, the kinds the Supabase CLI's differ documents as caveats."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run

MIGRATION = """\
create table public.notes (id bigint primary key, owner uuid, body text);
alter table public.notes enable row level security;
create policy "notes: read own" on public.notes for select to authenticated
  using ((select auth.uid()) = owner);
create view public.note_bodies with (security_invoker = on) as select id, body from public.notes;
create table public.drafts (id bigint primary key, body text);
alter table public.drafts enable row level security;
"""
# The declared schema: the same tables, with the four caveat kinds changed, a new column, and
# drafts replaced by sketches (a rename, or a drop and a create: the file must say so).
DECLARED = {
    "10_notes.sql": """\
create table public.notes (id bigint primary key, owner uuid, body text, pinned boolean);
alter table public.notes enable row level security;
create policy "notes: read own" on public.notes for select to authenticated
  using ((select auth.uid()) = owner and body is not null);
comment on table public.notes is 'One note a user wrote.';
revoke all on public.notes from anon;
""",
    "20_views.sql": """\
create view public.note_bodies with (security_invoker = on) as select id, body from public.notes;
alter view public.note_bodies owner to authenticated;
""",
    "30_sketches.sql": """\
create table public.sketches (id bigint primary key, body text);
alter table public.sketches enable row level security;
""",
}


def _project(root: Path) -> None:
    migrations = root / "supabase" / "migrations"
    migrations.mkdir(parents=True)
    (migrations / "20250101000000_notes.sql").write_text(MIGRATION)
    schemas = root / "supabase" / "schemas"
    schemas.mkdir()
    for name, text in DECLARED.items():
        (schemas / name).write_text(text)


def test_declared_files_become_a_proven_migration() -> None:
    with project_dir("dbflow-declared-") as root:
        _project(root)
        ahead = run(root, INV, "db.diff", "--from", "schemas", "--to", "migrations", timeout=600)
        assert_no_traceback(ahead)
        assert ahead.returncode == 1, ahead.stdout + ahead.stderr
        for kind in ("grants", "comments", "policies", "owners", "columns", "tables"):
            assert f"{kind}:" in ahead.stdout, (kind, ahead.stdout)

        written = run(root, INV, "db.new", "declared", "--from-schemas", timeout=600)
        assert_no_traceback(written)
        assert written.returncode == 0, written.stdout + written.stderr
        assert "proven on a copy of the migrations" in written.stdout, written.stdout
        migration = next((root / "supabase" / "migrations").glob("*_declared.sql"))
        text = migration.read_text()
        assert "-- Proven:" in text
        assert "A RENAME?" in text and "drafts" in text  # drafts gone while sketches appear
        assert "owner to authenticated" in text.lower(), text
        assert "comment on table public.notes" in text.lower(), text
        assert "on public.notes from anon" in text.lower(), text  # the grant taken back

        same = run(root, INV, "db.diff", "--from", "schemas", "--to", "migrations", timeout=600)
        assert same.returncode == 0, same.stdout + same.stderr
        reset = run(root, INV, "db.reset", timeout=600)
        assert reset.returncode == 0, reset.stderr[-3000:]
        again = run(root, INV, "db.new", "again", "--from-schemas", timeout=600)
        assert again.returncode == 0 and "nothing to write" in again.stdout, again.stdout


def test_reset_from_the_declared_schema() -> None:
    with project_dir("dbflow-declared-reset-") as root:
        _project(root)
        reset = run(root, INV, "db.reset", "--from-schemas", timeout=600)
        assert_no_traceback(reset)
        assert reset.returncode == 0, reset.stderr[-3000:]
        assert "built from the declared schema" in reset.stdout + reset.stderr
        local = run(root, INV, "db.diff", "--from", "schemas", "--to", "local", timeout=600)
        assert local.returncode == 0, local.stdout + local.stderr


def test_a_declared_file_that_fails_names_itself() -> None:
    with project_dir("dbflow-declared-bad-") as root:
        _project(root)
        (root / "supabase" / "schemas" / "40_broken.sql").write_text(
            "create table public.broken (id bigint primary key references public.missing);\n"
        )
        result = run(root, INV, "db.new", "broken", "--from-schemas", timeout=600)
        assert_no_traceback(result)
        assert result.returncode == 1
        assert "supabase/schemas/40_broken.sql:" in result.stderr, result.stderr
        assert not list((root / "supabase" / "migrations").glob("*_broken.sql"))
        (root / "supabase" / "schemas" / "40_broken.sql").unlink()
        for path in (root / "supabase" / "schemas").glob("*.sql"):
            path.unlink()
        none = run(root, INV, "db.diff", "--from", "schemas", "--to", "migrations")
        assert none.returncode == 1 and "no declared schema" in none.stderr, none.stderr
