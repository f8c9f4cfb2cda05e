"""What every task shares: the consoles, errors without tracebacks, progress, confirmation.

Nothing heavy is imported here: `inv --list` must start fast. A task imports the library it
calls inside its own body.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

from invoke.exceptions import Exit

if TYPE_CHECKING:
    from rich.console import Console

    from dbflow.config import Settings
    from dbflow.places.gate import Confirm

EXIT_ERROR, EXIT_USAGE = 1, 2
_consoles: dict[str, Console] = {}

# The help of every --yes flag that stands in for a typed confirmation.
YES = "instead of typing the target's name (production: only in the approved job)"


def console(stream: str = "out") -> Console:
    """The console for standard output ("out") or standard error ("err"): wide and unwrapped
    when it is not a terminal, so that piped output keeps one line per line."""
    if stream not in _consoles:
        from rich.console import Console

        target = sys.stderr if stream == "err" else sys.stdout
        width = None if target.isatty() else 240
        _consoles[stream] = Console(
            file=target, highlight=False, soft_wrap=True, width=width, stderr=stream == "err"
        )
    return _consoles[stream]


def say(text: str) -> None:
    """Print one line of plain text (no markup) to standard output."""
    console().print(text, markup=False)


def show(renderable: object) -> None:
    """Print a rich table (or other renderable), without the spaces that pad its last column."""
    out = console()
    with out.capture() as captured:
        out.print(renderable)
    for line in captured.get().splitlines():
        out.print(line.rstrip(), markup=False, highlight=False, style=None)


def settings() -> Settings:
    from dbflow.config import load_settings

    return load_settings()


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a DbflowError (or a database error) into a clear message and exit status 1."""
    from dbflow.errors import DbflowError

    try:
        yield
    except DbflowError as exc:
        _print_error(exc.message, exc.detail, exc.hint)
        raise Exit(code=exc.exit_code) from None
    except Exception as exc:
        import psycopg

        if not isinstance(exc, psycopg.Error):
            raise
        from dbflow.redact import redact_text

        reason = redact_text(str(exc).strip()) or type(exc).__name__
        if exc.sqlstate is None or exc.sqlstate.startswith("08"):
            _print_error(
                f"the database connection failed: {reason}",
                None,
                "`inv db.status` shows whether the server is up; a command that stopped "
                "half-way changed nothing it had not committed",
            )
        else:
            _print_error(*_database_error(exc))
        raise Exit(code=EXIT_ERROR) from None


def _database_error(exc: Any) -> tuple[str, str | None, str | None]:
    """An error the server raised (not a lost connection), as what it is: its message, the
    table and constraint it names, its detail and hint."""
    from dbflow.redact import redact_text

    diag = exc.diag
    message = diag.message_primary or str(exc).strip()
    where = ".".join(part for part in (diag.schema_name, diag.table_name) if part)
    named = [
        f"table {where}" if where else "",
        f"constraint {diag.constraint_name}" if diag.constraint_name else "",
    ]
    about = ", ".join(part for part in named if part)
    detail = "; ".join(part for part in (diag.message_detail, f"SQLSTATE {exc.sqlstate}") if part)
    return (
        redact_text(f"the database refused it: {message}" + (f" ({about})" if about else "")),
        redact_text(detail),
        redact_text(diag.message_hint) if diag.message_hint else None,
    )


def warn(line: str) -> None:
    """A ``warning: ...`` line, to standard error (yellow on a terminal)."""
    from rich.markup import escape

    text = line.removeprefix("warning:").lstrip()
    console("err").print(f"[yellow]warning:[/] {escape(text)}", soft_wrap=True)


def usage_error(message: str) -> NoReturn:
    """A flag's value that cannot be used: one line, exit status 2."""
    _print_error(message, None, None)
    raise Exit(code=EXIT_USAGE)


def fail(message: str) -> NoReturn:
    _print_error(message, None, None)
    raise Exit(code=EXIT_ERROR)


def _print_error(message: str, detail: str | None, hint: str | None) -> None:
    from rich.markup import escape

    err = console("err")
    err.print(f"[bold red]error:[/] {escape(message)}")
    if detail:
        err.print(f"[dim]detail:[/] {escape(detail)}")
    if hint:
        err.print(f"[cyan]hint:[/] {escape(hint)}")


@contextmanager
def progress(what: str) -> Iterator[ProgressLine]:
    """Progress of long work: a live status line on a terminal, nothing in CI or a pipe.
    Warnings always print, to standard error."""
    line = ProgressLine(live=console().is_terminal and not os.environ.get("CI"))
    if not line.live:
        yield line
        return
    with console().status(what) as status:
        line.status = status
        yield line


class ProgressLine:
    """A Notify for library code: each call replaces the status line."""

    def __init__(self, *, live: bool) -> None:
        self.live = live
        self.status: object | None = None

    def __call__(self, message: str) -> None:
        if message.startswith("warning:"):
            from rich.markup import escape

            console("err").print(f"[yellow]warning:[/]{escape(message[8:])}")
        elif self.status is not None:
            self.status.update(message)  # type: ignore[attr-defined]


def terminal_confirm() -> Confirm | None:
    """Asks at the terminal, or None when standard input is not one (CI, a pipe)."""
    if not sys.stdin.isatty():
        return None
    return lambda prompt: input(prompt)


def whole_number(value: object, flag: str) -> int | None:
    """A count given on the command line (invoke hands it over as text), or None if absent."""
    if value is None:
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        usage_error(f"{flag}: the count must be a whole number (0 or more), not {text!r}")
    return int(text)


def pairs(items: list[str] | None, what: str) -> dict[str, str]:
    """NAME=VALUE flags (repeatable) as a mapping; a malformed one is a usage error."""
    found = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            usage_error(f"{what} must look like NAME=VALUE, not {item!r}")
        found[key] = value
    return found


def quiet_broken_pipe() -> None:
    """A reader that goes away (``inv --list | head``) ends the command quietly, as it ends
    cat: the uncaught BrokenPipeError prints no traceback, and what is still buffered goes to
    /dev/null instead of raising again at exit. Every other exception is reported as before."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, trace: object) -> None:
        if issubclass(kind, BrokenPipeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        previous(kind, value, trace)  # type: ignore[arg-type]

    sys.excepthook = hook
