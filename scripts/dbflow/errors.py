"""The one error type dbflow shows to people: a primary message, then detail, then a hint."""

from __future__ import annotations

from dbflow.redact import redact_text


class DbflowError(Exception):
    """An error a user can act on, printed without a traceback.

    Every part is passed through :func:`redact_text`, so a password that slipped into a
    message (a URL in a server error, say) never reaches a terminal or a log.
    """

    exit_code = 1

    def __init__(self, message: str, *, detail: str | None = None, hint: str | None = None):
        self.message = redact_text(message)
        self.detail = redact_text(detail) if detail else None
        self.hint = redact_text(hint) if hint else None
        super().__init__(self.message)

    def __str__(self) -> str:
        lines = [self.message]
        if self.detail:
            lines.append(f"detail: {self.detail}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class ToolMissing(DbflowError):
    """A check needs something this machine does not have (an extension package): nothing was
    checked, which is not the same as nothing found, so commands exit 2."""

    exit_code = 2


class ConfigError(DbflowError):
    """Settings or targets are missing or malformed."""


class EngineError(DbflowError):
    """The local PostgreSQL could not be found, started, stopped or reached."""


class BootstrapError(DbflowError):
    """The Supabase-compatibility bootstrap could not be installed or is incomplete."""


class SeedPlanError(DbflowError):
    """The schema cannot be seeded as asked; nothing was written."""
