"""db.validate throughput against squawk on a generated corpus (~20,000 statements, 1,000 files).

Prints statements per second for dbflow (cold: first run in a fresh process; warm: a second
run in the same process, where the parse cache by content hash applies) and for squawk
(the squawk-cli wheel: pip install 'dbflow[bench]'), each end to end, with the ratios.

    python benchmarks/validate.py [--files 1000]
"""

from __future__ import annotations

import argparse
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
    for number in range(1, files + 1):
        (folder / f"{20250101000000 + number * 100:014d}_items_{number:04d}.sql").write_text(
            migration(number)
        )
    (root / "pyproject.toml").write_text("[tool.dbflow]\n")
    return folder


def time_dbflow(root: Path) -> tuple[float, float, int]:
    code = (
        "import sys, time; from pathlib import Path\n"
        "from dbflow.config import load_settings\n"
        "from dbflow.validate.run import Request, run_validation\n"
        "s = load_settings(Path(sys.argv[1]))\n"
        "t = time.perf_counter(); r = run_validation(s, Request()); cold = time.perf_counter() - t\n"
        "t = time.perf_counter(); run_validation(s, Request()); warm = time.perf_counter() - t\n"
        "print(cold, warm, r.statements)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
    )
    process = time.perf_counter() - started
    cold, warm, statements = result.stdout.split()
    startup = process - float(cold) - float(warm)
    return float(cold) + startup, float(warm), int(statements)


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
        cold, warm, squawk = [], [], []
        statements = 0
        for _ in range(args.runs):
            c, w, statements = time_dbflow(root)
            cold.append(c)
            warm.append(w)
            s = time_squawk(folder)
            if s is not None:
                squawk.append(s)
        c, w = statistics.median(cold), statistics.median(warm)
        print(f"corpus: {args.files} files, {statements} statements")
        print(f"dbflow cold (new process, parse everything): {statements / c:9,.0f} statements/s")
        print(f"dbflow warm (cached parse, same process):    {statements / w:9,.0f} statements/s")
        if squawk:
            s = statistics.median(squawk)
            print(f"squawk (squawk-cli, new process):            {statements / s:9,.0f} statements/s")
            print(f"ratio dbflow/squawk: cold {s / c:.2f}, warm {s / w:.2f} (above 1: faster)")
        else:
            print("squawk is not installed: pip install 'dbflow[bench]' to compare")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
