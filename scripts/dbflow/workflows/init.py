"""``dbflow db.init``: bring the workflow into an existing Supabase project.

It writes what the project needs to use dbflow as this repository does: ``tasks.py`` (so that
``inv`` finds the tasks), a ``noxfile.py`` with the sessions that make sense in a project, the
four GitHub workflows (ci, deploy-staging, deploy-production with the approval environment,
drift), a pre-commit hook, the assistant commands, ``seeds/dev`` and ``seeds/test``,
``.env.example``, ``[tool.dbflow]`` in ``pyproject.toml`` and the pinned requirement the
workflows install dbflow from. It never overwrites: a file that exists is left alone and
listed (``force`` replaces it, after showing the difference), so a second run changes
nothing. The files come from the package (``project_files/``); this repository's own
deploy and drift workflows, ``.env.example`` and assistant commands are the same files.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from dbflow.config import Settings
from dbflow.errors import DbflowError
from dbflow.report.files import write_output

REQUIREMENT_FILES = ("requirements-dev.txt", "dev-requirements.txt", "requirements/dev.txt")
TOOL_TABLE = """
[tool.dbflow]
# dbflow's settings (its README, "Configuration"). The defaults fit a `supabase init` project:
# migrations in supabase/migrations, seed files in supabase/seed.sql, seeds/dev and seeds/test.
migrations_dir = "supabase/migrations"
"""
# (file in the project, template in project_files/)
TEMPLATES = (
    ("tasks.py", "tasks.py.tmpl"),
    ("noxfile.py", "noxfile.py.tmpl"),
    (".github/workflows/ci.yml", "github/ci.yml"),
    (".github/workflows/deploy-staging.yml", "github/deploy-staging.yml"),
    (".github/workflows/deploy-production.yml", "github/deploy-production.yml"),
    (".github/workflows/drift.yml", "github/drift.yml"),
    (".pre-commit-config.yaml", "pre-commit-config.yaml"),
    (".claude/commands/db-create-migration.md", "claude/db-create-migration.md"),
    (".claude/commands/db-seed-dev.md", "claude/db-seed-dev.md"),
    (".claude/commands/db-validate-migration.md", "claude/db-validate-migration.md"),
    ("seeds/dev/001_dev_data.sql", "dev_seed.sql"),
    ("seeds/test/001_test_data.sql", "test_seed.sql"),
    (".env.example", "env.example"),
)


@dataclass
class InitResult:
    written: list[str] = field(default_factory=list)
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (file, its difference)
    unchanged: list[str] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)  # exists and differs (no --force)
    notes: list[str] = field(default_factory=list)


def template(name: str) -> str:
    """A project file as the package ships it."""
    return (resources.files("dbflow.workflows") / "project_files" / name).read_text("utf-8")


def rendered(name: str, install: str, requirements: str) -> str:
    return template(name).replace("{{install}}", install).replace("{{requirements}}", requirements)


def requirement_line() -> tuple[str, str | None]:
    """How CI installs the dbflow that runs here: the requirement line, and a note when this
    machine's install cannot be repeated elsewhere (a local folder)."""
    try:
        found = distribution("dbflow")
    except PackageNotFoundError:
        return "dbflow", "dbflow's version is unknown here: pin it in the requirement"
    direct = found.read_text("direct_url.json")
    origin = json.loads(direct) if direct else {}
    vcs = origin.get("vcs_info") or {}
    url = str(origin.get("url", ""))
    if vcs and url:
        return f"dbflow @ {vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}", None
    if url.startswith(("http://", "https://")):
        return f"dbflow @ {url}", None
    pin = f"dbflow=={found.version}"
    if url.startswith("file:"):
        return pin, (
            f"this machine installed dbflow from a local folder: {pin} in the requirements "
            "installs it from a package index; point that line at where CI can get it "
            "(an index, or git+https://...) if it is not published"
        )
    return pin, None


def init_project(root: Path, *, force: bool = False) -> InitResult:
    """Write the workflow's files into the project at ``root``."""
    if not (root / "supabase").is_dir():
        raise DbflowError(
            f"no supabase/ folder in {root}: db.init brings dbflow into a Supabase project",
            hint="run it where `supabase init` made supabase/ (or create supabase/migrations/)",
        )
    result = InitResult()
    requirement, note = requirement_line()
    requirements = _requirements(root, requirement, result)
    if note:
        result.notes.append(note)
    install = f"python -m pip install -r {requirements}"
    for path, name in TEMPLATES:
        _write(root, path, rendered(name, install, requirements), force, result)
    _tool_table(root, result)
    _ignored(root, result)
    return result


IGNORED = (".dbflow/", ".env")  # the local engine and its caches; the targets' secrets


def _ignored(root: Path, result: InitResult) -> None:
    """.gitignore keeps the local engine's folder and .env out of git (lines added when
    missing)."""
    path = root / ".gitignore"
    text = path.read_text("utf-8") if path.is_file() else ""
    present = {line.strip().rstrip("/") for line in text.splitlines()}
    missing = [entry for entry in IGNORED if entry.rstrip("/") not in present]
    if not missing:
        result.unchanged.append(".gitignore")
        return
    separator = "" if not text or text.endswith("\n") else "\n"
    write_output(path, text + separator + "".join(f"{entry}\n" for entry in missing))
    result.written.append(f".gitignore ({', '.join(missing)})" if text else ".gitignore")


def _requirements(root: Path, requirement: str, result: InitResult) -> str:
    """The project's requirements file with dbflow's line in it (added when missing)."""
    for name in REQUIREMENT_FILES:
        path = root / name
        if path.is_file():
            lines = path.read_text("utf-8").splitlines()
            if any(_names_dbflow(line) for line in lines):
                result.unchanged.append(name)
            else:
                text = path.read_text("utf-8")
                separator = "" if not text or text.endswith("\n") else "\n"
                write_output(path, f"{text}{separator}{requirement}\n")
                result.written.append(f"{name} (added {requirement})")
            return name
    name = REQUIREMENT_FILES[0]
    _write(root, name, f"# The database workflow (dbflow), as CI installs it.\n{requirement}\n",
           False, result)  # fmt: skip
    return name


def _names_dbflow(line: str) -> bool:
    text = line.split("#", 1)[0].strip().lower()
    for separator in ("=", "<", ">", "~", "!", "@", "[", " ", ";"):
        text = text.split(separator, 1)[0]
    return text.strip() == "dbflow"


def _write(root: Path, name: str, text: str, force: bool, result: InitResult) -> None:
    path = root / name
    if path.is_file():
        old = path.read_text("utf-8", errors="replace")
        if old == text:
            result.unchanged.append(name)
            return
        if not force:
            result.left_alone.append(name)
            return
        difference = "".join(
            difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{name}",
                                 f"b/{name}")
        )  # fmt: skip
        result.replaced.append((name, difference))
    elif path.exists():
        result.left_alone.append(name)
        return
    else:
        result.written.append(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_output(path, text)


def _tool_table(root: Path, result: InitResult) -> None:
    """[tool.dbflow] in pyproject.toml: the file created, or the table added at its end."""
    path = root / "pyproject.toml"
    if not path.is_file():
        write_output(path, TOOL_TABLE.lstrip())
        result.written.append("pyproject.toml")
        return
    text = path.read_text("utf-8")
    if "[tool.dbflow]" in text or "[tool.dbflow." in text:
        result.unchanged.append("pyproject.toml")
        return
    separator = "" if text.endswith("\n") else "\n"
    write_output(path, f"{text}{separator}{TOOL_TABLE}")
    result.written.append("pyproject.toml ([tool.dbflow] added)")


def record_baseline(settings: Settings, path: Path, *, write: bool) -> tuple[int, int]:
    """The errors the existing migrations have (what would fail the first CI run); with
    ``write``, every finding recorded in ``path`` as the validator's baseline and
    ``[tool.dbflow.validate] baseline`` set to it in pyproject.toml. Returns the errors and
    the findings recorded."""
    from dbflow.validate.findings import write_baseline
    from dbflow.validate.run import Request, run_validation

    report = run_validation(settings, Request())
    errors = report.count("error")
    if not write or not report.findings:
        return errors, 0
    path.parent.mkdir(parents=True, exist_ok=True)
    write_baseline(path, report)
    pyproject = settings.project_root / "pyproject.toml"
    text = pyproject.read_text("utf-8") if pyproject.is_file() else ""
    if "[tool.dbflow.validate]" not in text:
        relative = path.relative_to(settings.project_root).as_posix()
        separator = "" if not text or text.endswith("\n") else "\n"
        write_output(
            pyproject, f'{text}{separator}\n[tool.dbflow.validate]\nbaseline = "{relative}"\n'
        )
    return errors, len(report.findings)
