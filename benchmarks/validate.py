"""db.validate against squawk, end to end through the command line, side by side.

Two inputs: a generated history of 1,000 files (20,000 statements) and every project of the
corpus of real Supabase projects (../shared/corpus). For each, dbflow-validate and squawk run
in turn, pair by pair, and the median of each is compared (ratio = squawk's time / dbflow's:
above 1, dbflow is faster):

- cold: no cache (``.dbflow`` removed), a new process, as a first run or a CI run without
  its cache;
- warm: nothing changed since the last run;
- one new migration: one file appended to the warm history, against squawk on the same
  1,001 files.

dbflow keeps its caches after printing the report (a detached writer); each measurement
waits for the previous run's writer first, so no run pays for another's. squawk comes from
the squawk-cli wheel: pip install 'dbflow[bench]'.

    python benchmarks/validate.py [--files 1000] [--runs 5] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dbflow.validate.cache_writes import settled

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

STATEMENTS_PER_FILE = 20


def migration(number: int) -> str:
    table = f"items_{number:04d}"
    parent = f"items_{number - 1:04d}" if number > 1 else None
    fk = f", parent_id bigint references public.{parent} (id)" if parent else ""
    lines = [
        f"create table public.{table} (id bigint generated always as identity primary key, "
        f"owner_id uuid not null references auth.users (id), title text not null, "
        f"payload jsonb not null default '{{}}', created_at timestamptz not null default now()"
        f"{fk});",
        f"comment on table public.{table} is 'generated table {number}';",
        f"create index {table}_owner_idx on public.{table} (owner_id);",
        f"alter table public.{table} enable row level security;",
        f'create policy "{table}: read" on public.{table} for select to authenticated '
        f"using ((select auth.uid()) = owner_id);",
        f'create policy "{table}: write" on public.{table} for insert to authenticated '
        f"with check ((select auth.uid()) = owner_id);",
        f"alter table public.{table} add column status text not null default 'open';",
        f"alter table public.{table} add constraint {table}_title_len "
        f"check (char_length(title) < 200) not valid;",
        f"create function public.{table}_count() returns bigint language sql stable "
        f"set search_path = '' as $$ select count(*) from public.{table} $$;",
        f"create trigger {table}_touch before update on public.{table} for each row "
        f"execute function public.set_updated_at();",
    ]
    for row in range(STATEMENTS_PER_FILE - len(lines)):
        lines.append(
            f"insert into public.{table} (owner_id, title) values "
            f"('00000000-0000-0000-0000-{row:012d}', 'row {row}');"
        )
    return "\n".join(lines) + "\n"


def build_corpus(root: Path, files: int) -> Path:
    folder = root / "supabase" / "migrations"
    folder.mkdir(parents=True)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for number in range(1, files + 1):
        version = (start + dt.timedelta(minutes=number)).strftime("%Y%m%d%H%M%S")
        (folder / f"{version}_items_{number:04d}.sql").write_text(migration(number))
    (root / "pyproject.toml").write_text("[tool.dbflow]\n")
    return folder


def time_dbflow(root: Path) -> float:
    """One end-to-end run of dbflow-validate in a new process, in seconds (after waiting for
    the cache writer of the run before, which the run would otherwise wait for)."""
    with settled(root / ".dbflow" / "cache"):
        pass
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dbflow.validate", "--format", "json"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def time_dbflow_cold(root: Path) -> float:
    with settled(root / ".dbflow" / "cache"):
        shutil.rmtree(root / ".dbflow", ignore_errors=True)
    return time_dbflow(root)


def squawk_program() -> str | None:
    squawk = shutil.which("squawk") or str(Path(sys.executable).with_name("squawk"))
    return squawk if Path(squawk).exists() else None


def time_squawk(squawk: str, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [squawk, "--reporter", "json", str(folder / "*.sql")], capture_output=True, check=False
    )
    return time.perf_counter() - started


def statement_count(folder: Path) -> int:
    from dbflow.sql.parse import parse_script

    return sum(
        len(parse_script(path.read_text(errors="replace"), plpgsql=False).statements)
        for path in folder.glob("*.sql")
    )


def paired(
    runs: int, first: Callable[[], float], second: Callable[[], float]
) -> tuple[float, float]:
    """Medians of ``runs`` measurements of each, taken in turn (first, second, first, ...)."""
    ones, twos = [], []
    for _ in range(runs):
        ones.append(first())
        twos.append(second())
    return statistics.median(ones), statistics.median(twos)


def line(label: str, statements: int, dbflow: float, squawk: float) -> str:
    return (
        f"  {label:34} dbflow {statements / dbflow:9,.0f} st/s  "
        f"squawk {statements / squawk:9,.0f} st/s   ratio {squawk / dbflow:5.2f}"
    )


def generated(files: int, runs: int, squawk: str) -> None:
    root = Path(tempfile.mkdtemp(prefix="dbflow-bench-validate-"))
    try:
        folder = build_corpus(root, files)
        statements = files * STATEMENTS_PER_FILE
        print(f"generated history: {files} files, {statements} statements, median of {runs}")
        cold = paired(runs, lambda: time_dbflow_cold(root), lambda: time_squawk(squawk, folder))
        print(line("cold (no cache)", statements, *cold))
        time_dbflow(root)  # the cache of the history as it is
        warm = paired(runs, lambda: time_dbflow(root), lambda: time_squawk(squawk, folder))
        print(line("warm (nothing changed)", statements, *warm))
        extra = folder / "20990101000000_extra.sql"
        warm_cache = root / "warm-cache"
        with settled(root / ".dbflow" / "cache"):
            shutil.copytree(root / ".dbflow", warm_cache)

        def one_new() -> float:
            with settled(root / ".dbflow" / "cache"):
                shutil.rmtree(root / ".dbflow")
                shutil.copytree(warm_cache, root / ".dbflow")
            return time_dbflow(root)

        extra.write_text(migration(files + 1))
        new = paired(runs, one_new, lambda: time_squawk(squawk, folder))
        print(line("one new migration (1,001 files)", statements + STATEMENTS_PER_FILE, *new))
    finally:
        with settled(root / ".dbflow" / "cache"):
            shutil.rmtree(root, ignore_errors=True)


def corpus(folder: Path, runs: int, squawk: str) -> None:
    projects = sorted(path for path in folder.iterdir() if (path / "migrations").is_dir())
    print(f"corpus: {len(projects)} projects, cold, median of {runs}")
    total_dbflow = total_squawk = 0.0
    total_statements = 0
    for project in projects:
        root = Path(tempfile.mkdtemp(prefix="dbflow-bench-validate-"))
        try:
            migrations = root / "supabase" / "migrations"
            shutil.copytree(project / "migrations", migrations)
            (root / "pyproject.toml").write_text("[tool.dbflow]\n")
            statements = statement_count(migrations)
            mine, theirs = paired(
                runs,
                lambda root=root: time_dbflow_cold(root),  # type: ignore[misc]
                lambda folder=migrations: time_squawk(squawk, folder),  # type: ignore[misc]
            )
            print(line(project.name[:34], statements, mine, theirs))
            total_dbflow, total_squawk = total_dbflow + mine, total_squawk + theirs
            total_statements += statements
        finally:
            with settled(root / ".dbflow" / "cache"):
                shutil.rmtree(root, ignore_errors=True)
    print(line("all projects (sum of medians)", total_statements, total_dbflow, total_squawk))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    squawk = squawk_program()
    if squawk is None:
        print("squawk is not installed: pip install 'dbflow[bench]' to compare")
        raise SystemExit(1)
    generated(args.files, args.runs, squawk)
    if args.corpus.is_dir():
        corpus(args.corpus, args.runs, squawk)
    else:
        print(f"no corpus at {args.corpus}: only the generated history was measured")


if __name__ == "__main__":
    main()
