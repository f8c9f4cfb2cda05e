"""An extension overlay: the engine's own extensions plus dbflow's stand-ins, no system change.

PostgreSQL finds its shared files (extension control and script files among them) relative to
the running ``postgres`` executable when that executable sits in a copy of the installation's
layout. dbflow therefore copies the ``postgres`` binary into ``<data dir>/engine/`` inside a
mirror of the installation's directory layout, links every shared file and library of the real
installation there, and adds the stand-in extensions the engine lacks. Nothing outside the
project's data directory is written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dbflow.bootstrap.platform import (
    PLATFORM_EXTENSION_VERSIONS,
    platform_versions,
    version_key,
)
from dbflow.engine.binaries import Binaries
from dbflow.engine.source_builds import SourceTree, source_trees
from dbflow.engine.source_builds import build as build_from_source
from dbflow.engine.source_builds import fingerprint as sources_fingerprint

STANDIN_COMMENT_PREFIX = "dbflow stand-in"
# Stand-ins used even where the engine has the real extension: a local database should not
# run scheduled jobs or send HTTP requests, and the real pg_cron needs preloading.
ALWAYS_STANDIN = frozenset({"pg_cron", "pg_net"})
# Versions the platform offers (CREATE EXTENSION ... VERSION '0.8.0', as platform dumps write
# it; ALTER EXTENSION ... UPDATE TO): where the engine or the stand-in has a newer build, an
# older version is installed from the newest script, the objects the engine's, labelled with
# the version asked for, and updates from it to the newest change nothing.
VERSION_ALIASES: dict[str, tuple[str, ...]] = {
    name: platform_versions(name) for name in PLATFORM_EXTENSION_VERSIONS
}


@dataclass(frozen=True)
class Overlay:
    """The overlay's ``postgres`` executable and the stand-ins it offers."""

    postgres: Path
    standins: tuple[str, ...]
    extension_dir: Path  # where the server finds extension control and script files
    build_failures: tuple[tuple[str, str], ...] = ()  # (extension, why) of failed builds


@dataclass(frozen=True)
class StandIn:
    """One stand-in extension shipped with dbflow: its name and its files."""

    name: str
    files: tuple[str, ...]


def shipped_standins() -> list[StandIn]:
    """The stand-in extensions in the package, by the control files found there."""
    folder = resources.files("dbflow.bootstrap") / "standins"
    names = sorted(
        entry.name.removesuffix(".control")
        for entry in folder.iterdir()
        if entry.name.endswith(".control")
    )
    standins = []
    for name in names:
        files = tuple(
            sorted(
                entry.name
                for entry in folder.iterdir()
                if entry.name == f"{name}.control" or entry.name.startswith(f"{name}--")
            )
        )
        standins.append(StandIn(name, files))
    return standins


def build_overlay(
    binaries: Binaries, root: Path, sources: list[SourceTree] | None = None
) -> Overlay:
    """Create (or refresh) the overlay under ``root`` and return its ``postgres`` path.

    Extensions the engine lacks whose source trees ``sources`` (default: the folders of
    DBFLOW_EXTENSION_SOURCES) holds are built for it into the overlay."""
    common = Path(os.path.commonpath([binaries.bin_dir, binaries.share_dir, binaries.pkglib_dir]))
    mirror_bin = root / binaries.bin_dir.relative_to(common)
    mirror_share = root / binaries.share_dir.relative_to(common)
    mirror_lib = root / binaries.pkglib_dir.relative_to(common)

    wanted = [
        s
        for s in shipped_standins()
        if s.name in ALWAYS_STANDIN or not binaries.has_extension(s.name)
    ]
    replaced = {s.name for s in wanted}
    trees = [
        tree
        for tree in (source_trees() if sources is None else sources)
        if tree.extension not in replaced and not binaries.has_extension(tree.extension)
    ]
    fingerprint = _fingerprint(binaries, wanted) + "|" + sources_fingerprint(trees)
    stamp = root / "overlay.stamp"
    postgres = mirror_bin / "postgres"
    extension_dir = mirror_share / "extension"
    real_extensions = binaries.share_dir / "extension"
    if stamp.is_file() and stamp.read_text() == fingerprint and postgres.is_file():
        _link_extensions(real_extensions, extension_dir, replaced)  # packages installed since
        return Overlay(postgres, tuple(s.name for s in wanted), extension_dir, _failures(root))

    if root.exists():
        shutil.rmtree(root)
    mirror_bin.mkdir(parents=True)
    shutil.copy2(binaries.tool("postgres"), postgres)

    mirror_share.mkdir(parents=True, exist_ok=True)
    for entry in binaries.share_dir.iterdir():
        if entry.name != "extension":
            (mirror_share / entry.name).symlink_to(entry)
    extension_dir.mkdir()
    _link_extensions(real_extensions, extension_dir, replaced)
    for standin in wanted:
        for name in standin.files:
            (extension_dir / name).write_text(standin_script(name), encoding="utf-8")
    built_lib = root / "built-lib"
    builds = [build_from_source(binaries, tree, extension_dir, built_lib) for tree in trees]
    _mirror_libraries(binaries.pkglib_dir, mirror_lib, built_lib)
    (root / "source-builds.txt").write_text(
        "".join(f"{b.extension}: {b.failure}\n" for b in builds if b.failure)
    )
    _alias_versions(extension_dir)
    for path in (root, *root.rglob("*")):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    stamp.write_text(fingerprint)
    return Overlay(postgres, tuple(s.name for s in wanted), extension_dir, _failures(root))


def _mirror_libraries(real: Path, mirror: Path, built: Path) -> None:
    """The library folder: the installation's, plus what was built from source (a folder of
    links then, so the built libraries sit beside the installation's)."""
    mirror.parent.mkdir(parents=True, exist_ok=True)
    libraries = sorted(built.iterdir()) if built.is_dir() else []
    if not libraries:
        if not mirror.exists():
            mirror.symlink_to(real, target_is_directory=True)
        return
    mirror.mkdir(exist_ok=True)
    for entry in real.iterdir():
        (mirror / entry.name).symlink_to(entry)
    for library in libraries:
        target = mirror / library.name
        if target.is_symlink() or target.exists():
            target.unlink()
        shutil.move(str(library), target)


def _failures(root: Path) -> tuple[tuple[str, str], ...]:
    """The source builds that failed, with why (one line each)."""
    record = root / "source-builds.txt"
    if not record.is_file():
        return ()
    failures = []
    for line in record.read_text().splitlines():
        extension, found, why = line.partition(": ")
        if found:
            failures.append((extension, why))
    return tuple(failures)


FUNCTIONS_MARK = "-- dbflow: functions"


def standin_script(name: str) -> str:
    """A stand-in's file as the server reads it. An update script that ends with the line
    ``-- dbflow: functions of VERSION`` gets the functions of that version's install script
    (all written ``create or replace``, after its own line ``-- dbflow: functions``) there,
    so the functions of a version are written once."""
    folder = resources.files("dbflow.bootstrap") / "standins"
    text = (folder / name).read_text(encoding="utf-8")
    marker = f"{FUNCTIONS_MARK} of "
    if marker not in text:
        return text
    before, _, version = text.partition(marker)
    extension = name.partition("--")[0]
    install = (folder / f"{extension}--{version.strip()}.sql").read_text(encoding="utf-8")
    _, found, functions = install.partition(FUNCTIONS_MARK + "\n")
    if not found:
        raise ValueError(f"{extension}--{version.strip()}.sql has no line {FUNCTIONS_MARK!r}")
    return before + functions


def _link_extensions(real: Path, overlay: Path, replaced: set[str]) -> None:
    """Link the installation's extension files the overlay lacks (all of them when it is new;
    those of a package installed since, afterwards), except the stand-ins' names."""
    if not real.is_dir():
        return
    present = {entry.name for entry in overlay.iterdir()}
    for entry in real.iterdir():
        if entry.name in present:
            continue
        if entry.name.partition(".control")[0].partition("--")[0] not in replaced:
            (overlay / entry.name).symlink_to(entry)


def _alias_versions(extension_dir: Path) -> None:
    for name, versions in VERSION_ALIASES.items():
        control = extension_dir / f"{name}.control"
        if not control.exists():
            continue
        default = _default_version(control.read_text())
        newest = extension_dir / f"{name}--{default}.sql"
        if default is None or not newest.exists():
            continue
        for version in versions:
            alias = extension_dir / f"{name}--{version}.sql"
            if alias.exists() or version_key(version) >= version_key(default):
                continue
            alias.write_bytes(newest.read_bytes())
            update = extension_dir / f"{name}--{version}--{default}.sql"
            if not update.exists():
                update.write_text(
                    f"-- dbflow: {version} was installed with the objects of {default}\n"
                )


def _default_version(control: str) -> str | None:
    for line in control.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "default_version":
            return value.strip().strip("'\"")
    return None


def _fingerprint(binaries: Binaries, standins: list[StandIn]) -> str:
    digest = hashlib.sha256(repr(sorted(VERSION_ALIASES.items())).encode())
    source = binaries.tool("postgres").stat()
    digest.update(f"{binaries.bin_dir}|{source.st_size}|{source.st_mtime_ns}".encode())
    folder = resources.files("dbflow.bootstrap") / "standins"
    for standin in standins:
        for name in standin.files:
            digest.update(name.encode())
            digest.update((folder / name).read_bytes())
    return digest.hexdigest()
