"""db.validate throughput against squawk on a generated corpus (~20,000 statements, 1,000 files).

Prints statements per second for dbflow (cold: first run in a fresh process; warm: a second
run in the same process, where the parse cache by content hash applies) and for squawk
(the squawk-cli wheel: pip install 'dbflow[bench]'), each end to end, with the ratios.

    python benchmarks/validate.py [--files 1000]
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
from pathlib import Path

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
    """One end-to-end run of dbflow-validate in a new process, in seconds."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dbflow.validate", "--format", "json"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def time_squawk(folder: Path) -> float | None:
    squawk = shutil.which("squawk") or str(Path(sys.executable).with_name("squawk"))
    if not Path(squawk).exists():
        return None
    started = time.perf_counter()
    subprocess.run(
        [squawk, "--reporter", "json", str(folder / "*.sql")], capture_output=True, check=False
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dbflow-bench-validate-"))
    try:
        folder = build_corpus(root, args.files)
        statements = args.files * STATEMENTS_PER_FILE
        cold, warm, incremental, squawk = [], [], [], []
        for run in range(args.runs):
            shutil.rmtree(root / ".dbflow", ignore_errors=True)
            cold.append(time_dbflow(root))
            warm.append(time_dbflow(root))
            extra = folder / f"{20990101000000 + run:014d}_extra.sql"
            extra.write_text(migration(args.files + 1 + run))
            incremental.append(time_dbflow(root))
            extra.unlink()
            measured = time_squawk(folder)
            if measured is not None:
                squawk.append(measured)
        print(f"corpus: {args.files} files, {statements} statements, median of {args.runs} runs")
        rows = [
            ("dbflow cold (no cache)", statistics.median(cold)),
            ("dbflow warm (nothing changed)", statistics.median(warm)),
            ("dbflow one new migration", statistics.median(incremental)),
        ]
        squawk_seconds = statistics.median(squawk) if squawk else None
        if squawk_seconds is not None:
            rows.append(("squawk", squawk_seconds))
        for label, seconds in rows:
            ratio = f"   ratio to squawk {squawk_seconds / seconds:5.2f}" if squawk_seconds else ""
            print(f"  {label:32} {statements / seconds:9,.0f} statements/s{ratio}")
        if squawk_seconds is None:
            print("squawk is not installed: pip install 'dbflow[bench]' to compare")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
