"""What a validation run is asked for: the severities, and the options rules depend on (from
``[tool.dbflow.validate]``). Kept apart from the rules so that a run answered from the cache
never loads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass
class Options:
    """What rules may depend on."""

    exposed_schemas: tuple[str, ...] = ("public",)
    postgres_version: int = 15
    runner_sets_lock_timeout: bool = True
