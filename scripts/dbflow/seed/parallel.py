"""A big table's rows generated on every core: forked workers build binary COPY data in
chunks, and the parent sends the chunks in row order on its one connection.

Rows are pure functions of (seed, table, row), so any process can make any chunk and the
bytes are the same as one process would send. Workers are forked (they inherit the plan
and psycopg's dumpers, already set for the COPY's column types), never touch the
connection, and leave with ``os._exit``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator

from psycopg import Copy
from psycopg.types.json import Json, Jsonb

from dbflow.seed.aliases import Value
from dbflow.seed.model import ColumnPlan, SeedPlan, TablePlan

try:  # psycopg's own binary row encoder (C when psycopg is the binary build)
    from psycopg._copy_base import (
        _binary_signature,
        _binary_trailer,
        format_row_binary,
    )
except ImportError:  # pragma: no cover - another psycopg layout: one process then
    format_row_binary = None

PARALLEL_FROM = 50_000  # rows: below this, forking costs more than it saves
CHUNK = 8_000

RowSource = Callable[[SeedPlan, TablePlan, list[ColumnPlan], int, int], Iterator[list[Value]]]


def worker_count(plan: TablePlan, binary: bool) -> int:
    if not binary or format_row_binary is None or plan.total < PARALLEL_FROM:
        return 0
    if not sys.platform.startswith("linux"):  # fork is the safe, cheap start method there
        return 0
    cores = len(os.sched_getaffinity(0))
    return cores if cores >= 2 else 0


def copy_in_parallel(
    copy: Copy,
    seed_plan: SeedPlan,
    plan: TablePlan,
    columns: list[ColumnPlan],
    source: RowSource,
    workers: int,
    progress: Callable[[int], None],
) -> int:
    """Send the plan's rows through ``copy`` (binary, types already set); rows written."""
    transformer = copy.formatter.transformer
    json_positions = [i for i, c in enumerate(columns) if c.column.base_type == "json"]
    chunks = [(start, min(start + CHUNK, plan.total)) for start in range(0, plan.total, CHUNK)]
    context = multiprocessing.get_context("fork")
    receivers, processes = [], []
    for worker in range(workers):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_work,
            args=(send, seed_plan, plan, columns, source, transformer, json_positions),
            kwargs={"ranges": chunks[worker::workers]},
            daemon=True,
        )
        process.start()
        send.close()
        receivers.append(receive)
        processes.append(process)
    written = 0
    try:
        copy.write(_binary_signature)
        for index, (start, end) in enumerate(chunks):
            data = receivers[index % workers].recv_bytes()
            if data[:1] != b"D":
                raise ValueError(data[1:].decode(errors="replace"))
            copy.write(memoryview(data)[1:])
            written += end - start
            progress(written)
        copy.write(_binary_trailer)
    finally:
        for process in processes:
            process.join(timeout=0.5)
            if process.is_alive():
                process.terminate()
                process.join()
        for receive in receivers:
            receive.close()
    return written


def _work(
    send: Value,
    seed_plan: SeedPlan,
    plan: TablePlan,
    columns: list[ColumnPlan],
    source: RowSource,
    transformer: Value,
    json_positions: list[int],
    ranges: list[tuple[int, int]],
) -> None:
    try:
        for start, end in ranges:
            buffer = bytearray(b"D")
            for values in source(seed_plan, plan, columns, start, end):
                for position in json_positions:
                    if isinstance(values[position], Jsonb):
                        values[position] = Json(values[position].obj)
                format_row_binary(values, transformer, buffer)
            send.send_bytes(buffer)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            send.send_bytes(b"E" + f"{type(exc).__name__}: {exc}".encode())
    finally:
        os._exit(0)
