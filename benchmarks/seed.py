"""Seeder speed against PostgreSQL's binary COPY floor, and memory for a million rows.

In one throwaway engine set up as `inv db.start` sets up a developer's (on disk, durable):

1. COPY floor: rows built in Python beforehand, then written with binary COPY (the fastest a
   client can load them); rows/s.
2. dbflow: the same table seeded end to end (values generated from the schema, then binary
   COPY); rows/s and the ratio to the floor (target: at least 0.85).
3. The example app's whole graph at about 100,000 rows; rows/s.
4. The largest project of ../shared/corpus (most CREATE TABLE statements; set DBFLOW_CORPUS
   elsewhere), applied with `inv db.reset --no-seed`, then seeded with 2,000 users and 500
   rows a table; rows/s (skipped with a message when there is no corpus).
5. Peak memory of a process that seeds 1,000,000 rows into one table (target: under 150 MB).

    python benchmarks/seed.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from dbflow.bootstrap.install import install_bootstrap
from dbflow.config import load_settings
from dbflow.connection import connect, create_database
from dbflow.engine.cluster import LocalEngine
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.seed.run import SeedOptions, seed_within
from dbflow.testing.plugin import free_port

TABLE = """
create table public.items (
    id bigint primary key,
    email text not null,
    full_name text not null,
    status text not null check (status in ('active', 'pending', 'archived')),
    price numeric(10, 2) not null check (price >= 0),
    created_at timestamptz not null
);
"""

MEMORY_SCRIPT = """
import resource, sys
from pathlib import Path
from dbflow.config import load_settings
from dbflow.connection import connect
from dbflow.seed.run import SeedOptions, seed_within
url, root = sys.argv[1], Path(sys.argv[2])
with connect(url, autocommit=True) as conn:
    seed_within(conn, load_settings(root, environ={}),
                SeedOptions(mode="dev", users=3, rows={"items": 1_000_000}), lambda p, n: None)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def copy_floor(url: str, count: int) -> float:
    moment = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    rows = [
        (i + 1, f"user{i}@example.com", f"Name {i}", "active", Decimal("9.99"), moment)
        for i in range(count)
    ]
    with connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("TRUNCATE public.items")
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY public.items (id, email, full_name, status, price, created_at) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "text", "text", "text", "numeric", "timestamptz"])
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        conn.execute("TRUNCATE public.items")
    return count / seconds


def dbflow_rate(url: str, root: Path, count: int) -> float:
    settings = load_settings(root, environ={})
    with connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE public.items")
        conn.execute("DELETE FROM auth.users")
        result = seed_within(
            conn,
            settings,
            SeedOptions(mode="dev", users=3, rows={"items": count}),
            lambda p, n: None,
        )
    table = next(t for t in result.tables if t.name == "public.items")
    return table.rows / table.seconds


def largest_corpus_project() -> Path | None:
    corpus = Path(
        os.environ.get("DBFLOW_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
    )
    folders = [folder for folder in corpus.glob("*/migrations") if folder.is_dir()]
    if not folders:
        return None

    def tables(folder: Path) -> int:
        return sum(
            path.read_text(errors="replace").lower().count("create table")
            for path in folder.glob("*.sql")
        )

    return max(folders, key=tables)


def corpus_rate(folder: Path) -> str:
    """Whole-graph rate on a real project, set up as a user would (`inv db.reset`)."""
    from dbflow.catalog.read import read_catalog
    from dbflow.seed.model import NOT_SEEDED

    project = Path(tempfile.mkdtemp(prefix="dbflow-bench-corpus-"))
    project.chmod(0o755)
    (project / "pyproject.toml").write_text(f"[tool.dbflow]\nport = {free_port()}\n")
    (project / "tasks.py").write_text("from dbflow.tasks import ns  # noqa: F401\n")
    shutil.copytree(folder, project / "supabase" / "migrations")
    inv = str(Path(sys.executable).with_name("inv"))
    try:
        reset = subprocess.run(
            [inv, "db.reset", "--no-seed"], cwd=project, capture_output=True, text=True
        )
        if reset.returncode != 0:
            why = (reset.stderr.strip().splitlines() or ["no message"])[0]
            return f"{folder.parent.name}: skipped, `inv db.reset --no-seed` failed: {why}"
        status = subprocess.run(
            [inv, "db.status", "--env"], cwd=project, capture_output=True, text=True
        )
        url = status.stdout.strip().partition("=")[2]
        if status.returncode != 0 or not url:
            return f"{folder.parent.name}: skipped, its local database is not running"
        settings = load_settings(project, environ={})
        with connect(url, autocommit=True) as conn:
            names = [
                f"{key[0]}.{key[1]}"
                for key in read_catalog(conn).tables
                if key[0] not in ("auth", *NOT_SEEDED)
            ]
            started = time.perf_counter()
            result = seed_within(
                conn,
                settings,
                SeedOptions(mode="dev", users=2_000, rows=dict.fromkeys(names, 500)),
                lambda p, n: None,
            )
            seconds = time.perf_counter() - started
        total = sum(t.rows for t in result.tables)
        left = f", {len(result.skipped)} left empty" if result.skipped else ""
        return (
            f"{folder.parent.name}: {len(result.tables)} tables{left}, {total:,} rows in "
            f"{seconds:.1f} s = {total / seconds:,.0f} rows/s"
        )
    finally:
        subprocess.run([inv, "db.stop"], cwd=project, capture_output=True, check=False)
        shutil.rmtree(project, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dbflow-bench-seed-"))
    root.chmod(0o755)
    (root / "pyproject.toml").write_text("[tool.dbflow]\n")
    engine = LocalEngine(root / ".dbflow", free_port())
    try:
        engine.start(attach=True)
        install_bootstrap(engine.admin_url())
        create_database(engine.admin_url(), "single")
        install_bootstrap(engine.admin_url("single"))
        single = engine.url("single")
        with connect(single, autocommit=True) as conn:
            conn.execute(TABLE)
        floor = max(copy_floor(single, args.rows) for _ in range(3))
        ours = max(dbflow_rate(single, root, args.rows) for _ in range(3))
        print(f"one table, {args.rows:,} rows:")
        print(f"  COPY floor (pre-built rows)   {floor:10,.0f} rows/s")
        print(f"  dbflow generate + load        {ours:10,.0f} rows/s   ratio {ours / floor:.2f}")

        create_database(engine.admin_url(), "app")
        install_bootstrap(engine.admin_url("app"))
        repo = Path(__file__).resolve().parents[1]
        migrate(engine.url("app"), repo / "supabase" / "migrations", RunOptions())
        counts = {"skills": 5_000, "memberships": 40_000, "organizations": 5_000}
        with connect(engine.url("app"), autocommit=True) as conn:
            started = time.perf_counter()
            result = seed_within(
                conn,
                load_settings(repo, environ={}),
                SeedOptions(mode="dev", users=16_000, rows=counts),
                lambda p, n: None,
            )
            seconds = time.perf_counter() - started
        total = sum(t.rows for t in result.tables)
        print(
            f"example app graph: {total:,} rows in {seconds:.1f} s = {total / seconds:,.0f} rows/s"
        )

        folder = largest_corpus_project()
        if folder is None:
            print("largest corpus project: skipped (no corpus; set DBFLOW_CORPUS)")
        else:
            print(f"largest corpus project, {corpus_rate(folder)}")

        peak = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, single, str(root)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"peak memory seeding 1,000,000 rows into one table: {peak} MB (target < 150)")
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
