"""``dbflow-validate [FILES...]``: the validator as a plain command (pre-commit, CI, editors).

Exit codes: 0 clean (or only findings below --fail-on), 1 findings at or above it,
2 a usage or configuration error. Never a traceback for bad input.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from dbflow.config import load_settings
from dbflow.errors import DbflowError
from dbflow.progress import Notify, quiet
from dbflow.report.files import check_output_file
from dbflow.validate.cache_writes import Write, write_detached
from dbflow.validate.findings import write_baseline
from dbflow.validate.flags import FLAGS, FORMATS, argument_parser
from dbflow.validate.reporters import render
from dbflow.validate.run import Request, cache_folder, run_validation

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # as a shell reports a command Ctrl-C ended


def default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def validate_command(
    files: list[str],
    *,
    fmt: str | None = None,
    fail_on: str = "error",
    since: str | None = None,
    baseline: str | None = None,
    write_baseline_to: str | None = None,
    progress: Callable[[], AbstractContextManager[Notify]] = lambda: nullcontext(quiet),
) -> int:
    """Run the validator and print the report; return the exit code. ``progress`` opens
    what hears of each file while the run lasts (the task's live line on a terminal)."""
    chosen = fmt or default_format()
    if chosen not in FORMATS:
        print(f"error: --format must be one of {', '.join(FORMATS)}", file=sys.stderr)
        return EXIT_USAGE
    severities = next(flag.choices for flag in FLAGS if flag.name == "fail-on") or ()
    if fail_on not in severities:
        print(f"error: --fail-on must be one of {', '.join(severities)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        baseline_out = (
            check_output_file(write_baseline_to, "--write-baseline") if write_baseline_to else None
        )
        settings = load_settings()
        request = Request(
            files=tuple(Path(file) for file in files),
            since=since,
            baseline=Path(baseline) if baseline else None,
        )
        writes: list[Write] = []
        with progress() as notify, _without_cyclic_gc():
            report = run_validation(settings, request, notify, writes)
    except DbflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if baseline_out is not None:
        write_baseline(baseline_out, report)
        print(f"wrote {len(report.findings)} finding(s) to {write_baseline_to}")
        write_detached(cache_folder(settings), writes)
        return EXIT_CLEAN
    colour = chosen == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        print(render(report, chosen, settings.project_root, colour=colour))
    finally:  # the report is out (or its reader gone): the caches are kept after it
        write_detached(cache_folder(settings), writes)
    return EXIT_FINDINGS if report.fails(fail_on) else EXIT_CLEAN


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Parse trees and the model hold no reference cycles, but build millions of containers:
    the cyclic collector would rescan them over and over (half of a cold run). Reference
    counting still frees everything. A command runs once per process, so what the run keeps
    is frozen out of later collections, and the collector is back on when it ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what the run keeps (parses, the model) is not rescanned later either
        if enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> None:
    args = argument_parser().parse_args(argv)
    try:
        code = validate_command(
            args.files,
            fmt=args.format,
            fail_on=args.fail_on,
            since=args.since,
            baseline=args.baseline,
            write_baseline_to=args.write_baseline,
        )
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_FINDINGS
    except KeyboardInterrupt:  # Ctrl-C: one line (the caches are only written after a report)
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    # The command is a process of its own and everything it printed is flushed: end it
    # without freeing the parse trees and the model one object at a time (a tenth of a
    # second on a large history, for memory the system takes back at once anyway).
    os._exit(code)
