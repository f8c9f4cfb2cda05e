"""The ``dbflow`` console script: the same task collection as ``inv``, without invoke's CLI."""

from __future__ import annotations

from invoke.program import Program

from dbflow import __version__
from dbflow.tasks import ns

program = Program(namespace=ns, version=__version__, name="dbflow", binary="dbflow")


def main() -> None:
    program.run()
