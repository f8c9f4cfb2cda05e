"""How library code reports progress without printing: a callable that takes one line."""

from __future__ import annotations

from collections.abc import Callable

Notify = Callable[[str], None]


def quiet(_: str) -> None:
    """A Notify that shows nothing."""
