"""The validator's options, specified once for ``inv db.validate`` and ``dbflow-validate``.

Kept free of heavy imports: the task collection reads it to build its help at start-up.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

FORMATS = ("text", "json", "github", "sarif")


@dataclass(frozen=True)
class Flag:
    """One option of the validator, shared by ``inv db.validate`` and ``dbflow-validate``."""

    name: str
    help: str
    choices: tuple[str, ...] | None = None
    default: str | None = None


# The one specification of the validator's options. The task lists FILES as a repeatable
# --file; the console script takes them as arguments.
FLAGS = (
    Flag("file", "a migration file or folder to report on (default: every migration)"),
    Flag("format", "text (default), json, github (default under GitHub Actions) or sarif", FORMATS),
    Flag(
        "fail-on",
        "lowest severity that fails the run: error (default), warning or info",
        ("error", "warning", "info"),
        "error",
    ),
    Flag("since", "only report files added or changed since this git ref"),
    Flag("baseline", "ignore findings recorded in this baseline file"),
    Flag("write-baseline", "record the current findings in this file and exit 0"),
)  # fmt: skip  (one option per entry, aligned as a table)


def task_help() -> dict[str, str]:
    """The invoke task's help, from FLAGS."""
    return {flag.name: flag.help for flag in FLAGS}


def argument_parser() -> argparse.ArgumentParser:
    """The console script's parser, from FLAGS."""
    parser = argparse.ArgumentParser(
        prog="dbflow-validate", description="Check migrations for what would hurt production."
    )
    for flag in FLAGS:
        if flag.name == "file":
            parser.add_argument("files", nargs="*", help=flag.help)
        else:
            parser.add_argument(
                f"--{flag.name}", choices=flag.choices, default=flag.default, help=flag.help
            )
    return parser
