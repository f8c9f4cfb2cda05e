"""``[tool.dbflow.validate]``: rule severities, exposed schemas, PostgreSQL version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dbflow.config import Settings, platform_major
from dbflow.errors import ConfigError
from dbflow.validate.options import SEVERITIES, Options, Severity

Level = Severity | Literal["off"]
_KNOWN = {"rules", "exposed_schemas", "postgres_version", "runner_sets_lock_timeout", "baseline"}


@dataclass(frozen=True)
class ValidateConfig:
    options: Options
    levels: Mapping[str, Level] = field(default_factory=dict)  # per-rule override
    baseline: Path | None = None

    def level(self, rule_id: str, default: Severity) -> Level:
        return self.levels.get(rule_id, default)


def load_validate_config(settings: Settings) -> ValidateConfig:
    """Read the validator's settings; a bad key or rule id is a ConfigError (exit code 2)."""
    table = dict(settings.validate)
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r} in [tool.dbflow.validate]",
            hint=f"known settings: {', '.join(sorted(_KNOWN))}",
        )
    levels: dict[str, Level] = {}
    rules = table.get("rules", {})
    if not isinstance(rules, dict):
        raise ConfigError("[tool.dbflow.validate] rules must be a table of RULE = level")
    known_ids = _rule_ids() if rules else set()
    for rule_id, level in rules.items():
        if rule_id not in known_ids:
            raise ConfigError(
                f"unknown rule id {rule_id!r} in [tool.dbflow.validate.rules]",
                hint="rule ids are listed in docs/wiki/validation-rules.md",
            )
        if level not in (*SEVERITIES, "off"):
            raise ConfigError(
                f"rule {rule_id}: level {level!r} must be error, warning, info or off"
            )
        levels[rule_id] = level
    exposed = table.get("exposed_schemas", list(settings.api_schemas))
    if not isinstance(exposed, list) or not all(isinstance(item, str) for item in exposed):
        raise ConfigError("[tool.dbflow.validate] exposed_schemas must be a list of schema names")
    version = table.get("postgres_version", _postgres_version(settings.project_root))
    if not isinstance(version, int) or not 9 <= version <= 30:
        raise ConfigError("[tool.dbflow.validate] postgres_version must be a major version")
    runner_timeout = table.get("runner_sets_lock_timeout", True)
    if not isinstance(runner_timeout, bool):
        raise ConfigError("[tool.dbflow.validate] runner_sets_lock_timeout must be true or false")
    baseline = table.get("baseline")
    return ValidateConfig(
        options=Options(tuple(exposed), version, runner_timeout),
        levels=levels,
        baseline=settings.project_root / str(baseline) if baseline else None,
    )


def _rule_ids() -> set[str]:
    from dbflow.validate.rules import all_rules  # only when rule levels are configured

    return {rule.id for rule in all_rules()}


def _postgres_version(root: Path) -> int:
    """``[db] major_version`` from supabase/config.toml when present, else 15."""
    return platform_major(root)
