"""Which files to validate, against which history; the entry point tasks and hooks call."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dbflow.config import Settings
from dbflow.errors import ConfigError
from dbflow.migrations.discovery import MIGRATION_FILE_NAME
from dbflow.progress import Notify, quiet
from dbflow.validate.cache_files import CACHE_FILE
from dbflow.validate.cache_writes import Write
from dbflow.validate.config import load_validate_config
from dbflow.validate.findings import ValidationReport, load_baseline
from dbflow.validate.pipeline import validate_files


@dataclass(frozen=True)
class Request:
    files: tuple[Path, ...] = ()  # report only these (default: every migration)
    since: str | None = None  # report only files changed since this git ref
    baseline: Path | None = None


def history(settings: Settings) -> list[Path]:
    """Every .sql file in the migrations folder: migrations by version, then the others."""
    return history_files(_absolute(settings.migrations_dir))


def history_files(folder: Path) -> list[Path]:
    """Every .sql file in ``folder``: migrations by version, then the others by name."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    names = [entry.name for entry in entries if entry.name.endswith(".sql") and entry.is_file()]

    def order(name: str) -> tuple[int, str, str]:
        match = MIGRATION_FILE_NAME.match(name)
        return (0, match["version"], name) if match else (1, "", name)

    return [folder / name for name in sorted(names, key=order)]


def changed_since(settings: Settings, ref: str) -> set[Path]:
    """Files in the migrations folder added or changed since ``ref`` (and untracked ones)."""
    folder = settings.migrations_dir
    commands = [
        ["git", "diff", "--name-only", "--relative", ref, "--", str(folder)],
        ["git", "ls-files", "--others", "--exclude-standard", "--", str(folder)],
    ]
    import subprocess  # git runs only for --since

    changed: set[Path] = set()
    for command in commands:
        result = subprocess.run(
            command, cwd=settings.project_root, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ConfigError(
                f"cannot list files changed since {ref!r}: {result.stderr.strip()}",
                hint="--since needs a git ref that exists (e.g. origin/main)",
            )
        changed.update(_absolute(settings.project_root / line) for line in result.stdout.split())
    return changed


def run_validation(
    settings: Settings,
    request: Request,
    notify: Notify = quiet,
    writes: list[Write] | None = None,
) -> ValidationReport:
    """Validate the project's history as ``request`` asks. With ``writes``, the caches'
    writes are appended there instead of done (see :func:`validate_files`)."""
    config = load_validate_config(settings)
    paths = history(settings)  # absolute: the folder is made absolute once
    report_only: set[Path] | None = None
    if request.files:
        report_only = set()
        for file in request.files:
            resolved = _absolute(file)
            if resolved.is_dir():
                report_only.update(_absolute(p) for p in resolved.glob("*.sql"))
                continue
            if not resolved.exists():
                raise ConfigError(f"{file}: no such file")
            report_only.add(resolved)
            if resolved not in paths:
                paths.append(resolved)
    if request.since:
        changed = changed_since(settings, request.since)
        report_only = changed if report_only is None else report_only & changed
    baseline_path = request.baseline or config.baseline
    baseline = None
    if baseline_path is not None:
        if not baseline_path.is_file():
            raise ConfigError(
                f"baseline file {baseline_path} does not exist",
                hint="create it with --write-baseline FILE",
            )
        try:
            baseline = load_baseline(baseline_path)
        except ValueError as exc:
            raise ConfigError(f"baseline file {baseline_path} is not valid JSON: {exc}") from None
    return validate_files(
        paths,
        config,
        root=settings.project_root,
        report_only=report_only,
        baseline=baseline,
        cache_path=cache_folder(settings) / CACHE_FILE,
        notify=notify,
        writes=writes,
    )


def cache_folder(settings: Settings) -> Path:
    """Where the validator keeps its caches (``.dbflow/cache``)."""
    return settings.data_dir / "cache"


def _absolute(path: Path) -> Path:
    """An absolute, normalised path without touching the disk (no symlink resolution)."""
    return Path(os.path.normpath(os.path.abspath(path)))
