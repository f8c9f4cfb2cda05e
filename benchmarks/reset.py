"""db.reset speed: cold and warm resets against the `psql -f` floor for the same SQL.

For the example app (this repository's supabase/), for a generated project of 200
migrations (tables with foreign keys, indexes, RLS, policies and functions) and for the
largest project of the corpus of real Supabase projects (../shared/corpus, when it is there;
without seeding), in a throwaway engine on disk (as a developer's .dbflow/ is):

- cold reset: no cached templates (bootstrap, migrations, clone, seed);
- warm reset: nothing changed, the cached template is cloned, then the seed runs;
- floor: `createdb` + `psql -X -1 -v ON_ERROR_STOP=1 -f` of the same bootstrap SQL, migration
  files and seed file, one psql per file, into a fresh database (for the corpus project
  without -1: its files hold their own transaction control, which psql would refuse in one).

    python benchmarks/reset.py [--runs N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from importlib import resources
from pathlib import Path

from dbflow.config import Settings, load_settings
from dbflow.connection import connect, create_database, drop_database
from dbflow.migrations.discovery import discover
from dbflow.places.local import local_engine, stop_local
from dbflow.workflows.reset import reset_local

REPO = Path(__file__).resolve().parents[1]


def generated_migration(number: int) -> str:
    table = f"items_{number:03d}"
    parent = f"items_{number - 1:03d}" if number > 1 else None
    fk = f",\n    parent_id bigint references public.{parent} (id)" if parent else ""
    index = f"create index {table}_parent_id_idx on public.{table} (parent_id);\n" if parent else ""
    return f"""create table public.{table} (
    id bigint generated always as identity primary key,
    owner_id uuid not null references auth.users (id) on delete cascade,
    title text not null check (char_length(title) <= 200),
    payload jsonb not null default '{{}}',
    created_at timestamptz not null default now(){fk}
);
comment on table public.{table} is 'generated table {number}';
create index {table}_owner_id_idx on public.{table} (owner_id);
{index}alter table public.{table} enable row level security;
create policy "{table}: own rows" on public.{table} for all to authenticated
    using ((select auth.uid()) = owner_id) with check ((select auth.uid()) = owner_id);
create function public.{table}_count() returns bigint language sql stable
    set search_path = '' as $$ select count(*) from public.{table} $$;
"""


def make_project(root: Path, port: int, migrations: list[tuple[str, str]] | None) -> Path:
    root.mkdir(parents=True)
    os.chmod(root, 0o755)
    if migrations is None:
        shutil.copytree(REPO / "supabase", root / "supabase")
    else:
        folder = root / "supabase" / "migrations"
        folder.mkdir(parents=True)
        (root / "supabase" / "seed.sql").write_text("-- no seed\n")
        for name, text in migrations:
            (folder / name).write_text(text)
    (root / "pyproject.toml").write_text(f"[tool.dbflow]\nport = {port}\n")
    return root


def drop_templates(settings: Settings) -> None:
    admin = local_engine(settings).admin_url("template1")
    with connect(admin, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'dbflow\\_%'"
            )
        ]
    for name in names:
        drop_database(admin, name)


def psql_floor(settings: Settings, *, seed: bool = True, single: bool = True) -> float:
    engine = local_engine(settings)
    admin = engine.admin_url("template1")
    drop_database(admin, "floor")
    bootstrap = sorted(
        (entry.name, entry) for entry in (resources.files("dbflow.bootstrap") / "sql").iterdir()
    )
    with tempfile.TemporaryDirectory() as scratch:
        files = []
        for name, entry in bootstrap:
            path = Path(scratch) / name
            path.write_bytes(entry.read_bytes())
            files.append((path, engine.admin_url("floor")))
        files += [
            (m.path, engine.url("floor")) for m in discover(settings.migrations_dir).migrations
        ]
        if seed:
            files += [
                (path, engine.url("floor")) for path in settings.resolve_globs(settings.seed_paths)
            ]
        psql = str(engine.binaries.tool("psql"))
        started = time.perf_counter()
        create_database(admin, "floor")
        for path, url in files:
            subprocess.run(
                [
                    psql,
                    "-X",
                    "-q",
                    *(["-1"] if single else []),
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-f",
                    str(path),
                    url,
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
            )
        seconds = time.perf_counter() - started
    drop_database(admin, "floor")
    return seconds


def measure(label: str, settings: Settings, runs: int, *, seed: bool = True) -> None:
    quiet = lambda _: None  # noqa: E731
    reset_local(settings, notify=quiet, seed=seed)  # start the engine, warm the OS's caches
    cold, warm, floor = [], [], []
    for _ in range(runs):
        drop_templates(settings)
        cold.append(reset_local(settings, notify=quiet, seed=seed).seconds)
        warm.append(reset_local(settings, notify=quiet, seed=seed).seconds)
        floor.append(psql_floor(settings, seed=seed, single=seed))
    c, w, f = (statistics.median(values) for values in (cold, warm, floor))
    count = len(discover(settings.migrations_dir).migrations)
    print(f"{label} ({count} migrations, median of {runs}):")
    print(f"  cold reset  {c:6.2f} s   ratio to psql -f floor {c / f:5.2f}")
    print(f"  warm reset  {w:6.2f} s   ratio to psql -f floor {w / f:5.2f}")
    print(f"  psql -f     {f:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    args = parser.parse_args()
    from dbflow.testing.plugin import free_port

    base = Path(tempfile.mkdtemp(prefix="dbflow-bench-reset-"))
    os.chmod(base, 0o755)
    projects = [
        ("example app", make_project(base / "example", free_port(), None)),
        (
            "generated project",
            make_project(
                base / "generated",
                free_port(),
                [
                    (f"{20250101000000 + n:014d}_items_{n:03d}.sql", generated_migration(n))
                    for n in range(1, 201)
                ],
            ),
        ),
    ]
    largest = _largest_corpus_project(args.corpus)
    if largest is None:
        print(f"no corpus at {args.corpus}: the real-project row is left out")
    else:
        root = base / "corpus"
        make_project(root, free_port(), [(p.name, p.read_text()) for p in largest.iterdir()])
        projects.append((f"corpus: {largest.parent.name.replace('__', '/')}", root))
    try:
        for label, root in projects:
            settings = load_settings(root, environ={})
            try:
                measure(label, settings, args.runs, seed=not label.startswith("corpus"))
            finally:
                stop_local(settings)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _largest_corpus_project(corpus: Path) -> Path | None:
    """The migrations folder with the most files in the corpus, if there is one."""
    folders = [path for path in corpus.glob("*/migrations") if path.is_dir()]
    return max(folders, key=lambda path: len(list(path.iterdir())), default=None)


if __name__ == "__main__":
    main()
