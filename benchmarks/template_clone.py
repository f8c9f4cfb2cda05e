"""Per-test database clones: median time of CREATE DATABASE ... TEMPLATE against a 100 ms budget.

Builds the same templates as the pytest fixtures (bootstrap + this project's migrations) in a
throwaway engine on tmpfs where available, then clones and drops the migrated template N
times. Prints the median and its ratio to the 100 ms target (below 1.0 is within budget).

    python benchmarks/template_clone.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time

from dbflow.bootstrap.install import install_bootstrap
from dbflow.config import load_settings
from dbflow.connection import create_database, drop_database
from dbflow.engine.cluster import LocalEngine
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.testing.plugin import TEST_SERVER_SETTINGS, free_port, scratch_dir

TARGET_S = 0.100


def main(runs: int) -> None:
    settings = load_settings()
    root = scratch_dir("dbflow-bench-")
    engine = LocalEngine(root, free_port(), server_settings=TEST_SERVER_SETTINGS)
    try:
        started = time.perf_counter()
        engine.start(attach=True)
        start_s = time.perf_counter() - started
        admin = engine.admin_url()
        started = time.perf_counter()
        install_bootstrap(admin)
        create_database(admin, "bench_template")
        install_bootstrap(engine.admin_url("bench_template"))
        migrate(engine.url("bench_template"), settings.migrations_dir, RunOptions())
        template_s = time.perf_counter() - started
        clone_times = []
        for number in range(runs):
            name = f"bench_clone_{number}"
            started = time.perf_counter()
            create_database(admin, name, template="bench_template")
            clone_times.append(time.perf_counter() - started)
            drop_database(admin, name)
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
    median = statistics.median(clone_times)
    print(f"engine start (initdb + start): {start_s * 1000:.0f} ms")
    print(f"template build (bootstrap + migrations): {template_s * 1000:.0f} ms")
    print(f"clone median over {runs}: {median * 1000:.1f} ms (min {min(clone_times) * 1000:.1f})")
    print(f"ratio to the 100 ms target: {median / TARGET_S:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 25)
