"""`inv db.down`: a down migration for the last migrations, proven on throwaway copies."""

from __future__ import annotations

from tests.cli_helpers import INV, assert_no_traceback, project_dir, run


def test_down_migrations_of_the_example_app_are_proven() -> None:
    """Reversing the last 1, 2, ... 5 migrations of the example app: each file is proven (the
    schema after applying it equals the schema before those migrations), says what it
    reverses, and lists the statements that lose data."""
    with project_dir("dbflow-down-", app=True) as project:
        for steps in range(1, 6):
            output = project / f"down{steps}.sql"
            done = run(project, INV, "db.down", "--steps", str(steps), "--output", str(output))
            assert_no_traceback(done)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "proven" in done.stdout
            text = output.read_text()
            assert text.startswith("-- Down migration: reverses ")
            assert "-- Proven:" in text and "NOT proven" not in text
            if steps >= 3:  # organizations, memberships... come back out with their rows
                assert "-- DATA LOSS:" in text and "drop table public.memberships" in text
        default = run(project, INV, "db.down")
        assert (project / "supabase" / "rollbacks" / "20250101000400_down.sql").is_file()
        assert default.returncode == 0
        too_many = run(project, INV, "db.down", "--steps", "9")
        assert too_many.returncode == 1 and "--steps 9: there are 5 migration(s)" in too_many.stderr
