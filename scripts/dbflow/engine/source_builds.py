"""Extensions built from source for an engine that lacks them.

The embedded build ships ``pg_config`` and the server headers, so an extension's PGXS source
tree (Debian's source package unpacked, ``apt-get source pgtap``, or a release tarball) builds
against it. Folders named in ``DBFLOW_EXTENSION_SOURCES`` (separated by ``:``) hold such trees,
one per subfolder; dbflow builds each one whose extension the engine lacks into the engine's
extension overlay (never into the installation), and says in one line why a build failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from dbflow.engine.binaries import Binaries

SOURCES_VARIABLE = "DBFLOW_EXTENSION_SOURCES"
_BUILD_SECONDS = 600
# The flags PostgreSQL itself needs, in place of the build's own (the embedded build was
# compiled with clang, whose warning flags gcc refuses).
_PORTABLE_CFLAGS = "CFLAGS=-O2 -fno-strict-aliasing -fwrapv"


@dataclass(frozen=True)
class SourceTree:
    """A PGXS source tree and the extension it builds."""

    path: Path
    extension: str


@dataclass(frozen=True)
class Built:
    """What a build put in the overlay, or why it failed (one line)."""

    extension: str
    files: tuple[Path, ...] = ()
    libraries: tuple[Path, ...] = ()
    failure: str | None = None


def source_trees(folders: str | None = None) -> list[SourceTree]:
    """The source trees in ``folders`` (default: ``DBFLOW_EXTENSION_SOURCES``)."""
    listed = folders if folders is not None else os.environ.get(SOURCES_VARIABLE, "")
    trees: list[SourceTree] = []
    for folder in (Path(part) for part in listed.split(":") if part):
        candidates = (
            [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
            if (folder.is_dir())
            else []
        )
        for candidate in candidates:
            extension = _extension_of(candidate)
            if extension and all(tree.extension != extension for tree in trees):
                trees.append(SourceTree(candidate, extension))
    return trees


def fingerprint(trees: Iterable[SourceTree]) -> str:
    """What the overlay's stamp records of the trees: their paths and when they changed."""
    return "|".join(
        f"{tree.extension}={tree.path}@{tree.path.stat().st_mtime_ns}" for tree in trees
    )


def build(binaries: Binaries, tree: SourceTree, extension_dir: Path, lib_dir: Path) -> Built:
    """Build ``tree`` with the engine's pg_config and copy what it installs into the overlay
    (``extension_dir`` for control and script files, ``lib_dir`` for libraries)."""
    pg_config = binaries.bin_dir / "pg_config"
    if not pg_config.is_file():
        return Built(tree.extension, failure=f"{binaries.bin_dir} has no pg_config")
    if shutil.which("make") is None:
        return Built(tree.extension, failure="make is not installed (apt-get install make)")
    with tempfile.TemporaryDirectory(prefix="dbflow-build-") as scratch:
        work = Path(scratch) / "src"
        destination = Path(scratch) / "dest"
        shutil.copytree(tree.path, work, symlinks=True)
        for step in (["make"], ["make", "install", f"DESTDIR={destination}"]):
            try:
                done = subprocess.run(
                    [*step, f"PG_CONFIG={pg_config}", "OPTFLAGS=", _PORTABLE_CFLAGS],
                    cwd=work,
                    capture_output=True,
                    text=True,
                    timeout=_BUILD_SECONDS,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return Built(tree.extension, failure=f"{' '.join(step)} failed: {exc}")
            if done.returncode != 0:
                last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
                return Built(tree.extension, failure=f"{' '.join(step)} failed: {last[0]}")
        share = _under(destination, binaries.share_dir) / "extension"
        libs = _under(destination, binaries.pkglib_dir)
        files = _copy_all(share, extension_dir, lambda path: True)
        libraries = _copy_all(libs, lib_dir, lambda path: path.suffix in (".so", ".dylib"))
    if not any(path.name == f"{tree.extension}.control" for path in files):
        return Built(tree.extension, failure=f"the build installed no {tree.extension}.control")
    return Built(tree.extension, files, libraries)


def _extension_of(folder: Path) -> str | None:
    if not (folder / "Makefile").is_file():
        return None
    controls = sorted(folder.glob("*.control")) + sorted(folder.glob("*.control.in"))
    if not controls:
        return None
    return controls[0].name.removesuffix(".in").removesuffix(".control")


def _under(root: Path, absolute: Path) -> Path:
    return root / absolute.relative_to(absolute.anchor)


def _copy_all(source: Path, target: Path, keep: Callable[[Path], bool]) -> tuple[Path, ...]:
    if not source.is_dir():
        return ()
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for path in sorted(source.iterdir()):
        if path.is_file() and keep(path):
            shutil.copy2(path, target / path.name)
            copied.append(target / path.name)
    return tuple(copied)
