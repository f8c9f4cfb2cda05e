"""Run the validator over SQL written into a throwaway migrations folder."""

from __future__ import annotations

from pathlib import Path

from dbflow.validate.config import ValidateConfig
from dbflow.validate.findings import ValidationReport
from dbflow.validate.options import Options
from dbflow.validate.pipeline import validate_files


def write_migrations(folder: Path, *files: str | tuple[str, str]) -> list[Path]:
    """Write files (SQL, or (name, SQL)) as consecutive versions; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, item in enumerate(files):
        name, text = (
            item if isinstance(item, tuple) else (f"2025010100{number:02d}00_m{number}.sql", item)
        )
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def run(
    folder: Path, *files: str | tuple[str, str], options: Options | None = None, **levels: str
) -> ValidationReport:
    paths = write_migrations(folder, *files)
    config = ValidateConfig(options or Options(), levels=levels)  # type: ignore[arg-type]
    return validate_files(paths, config, root=folder)


def rule_ids(report: ValidationReport) -> list[str]:
    return [finding.rule_id for finding in report.findings]
