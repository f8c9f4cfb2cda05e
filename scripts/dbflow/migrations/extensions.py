"""Before anything is applied: does this engine have every extension the migrations create?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dbflow.bootstrap.platform import install_hint, platform_default_version
from dbflow.connection import Conn
from dbflow.errors import BootstrapError
from dbflow.sql.parse import Statement
from dbflow.sql.tree import function_calls, string_value


@dataclass(frozen=True)
class ExtensionUse:
    name: str
    path: Path
    line: int


def extension_uses(files: Iterable[tuple[Path, Iterable[Statement]]]) -> list[ExtensionUse]:
    """Every ``CREATE EXTENSION`` among the parsed statements of ``files``, in file order."""
    uses = []
    for path, statements in files:
        for statement in statements:
            if statement.kind == "CreateExtensionStmt":
                uses.append(ExtensionUse(str(statement.node.get("extname")), path, statement.line))
    return uses


def extensions_installed_by_tle(files: Iterable[tuple[Path, Iterable[Statement]]]) -> set[str]:
    """Extensions that ``pgtle.install_extension('name', ...)`` calls register: CREATE
    EXTENSION finds them once the migration that installs them has run."""
    names: set[str] = set()
    for _, statements in files:
        for statement in statements:
            if "install_extension" not in statement.text:
                continue
            for parts, call in function_calls(statement.node):
                args = call.get("args") or []
                if parts[-1:] == ("install_extension",) and args:
                    name = string_value(args[0])
                    if name:
                        names.add(name)
    return names


def check_extensions_available(
    conn: Conn, files: Iterable[tuple[Path, Iterable[Statement]]]
) -> None:
    """Fail, before anything runs, on the first extension neither available nor stood in."""
    files = [(path, list(statements)) for path, statements in files]
    available = {row[0] for row in conn.execute("SELECT name FROM pg_available_extensions")}
    available |= extensions_installed_by_tle(files)
    major = conn.info.server_version // 10000
    for use in extension_uses(files):
        if use.name not in available:
            raise _not_available(use, major)


def _not_available(use: ExtensionUse, major: int) -> BootstrapError:
    """One line that names the file, the line and the extension, and how to get it."""
    where = f'{use.path}:{use.line}: extension "{use.name}"'
    offered = platform_default_version(use.name)
    if offered is not None:
        message = (
            f"{where} is on the Supabase platform ({offered}), but not on this machine's "
            f"PostgreSQL {major}, and dbflow has no stand-in for it"
        )
    else:
        message = f"{where} is not available on this engine and dbflow has no stand-in for it"
    return BootstrapError(
        message,
        detail="nothing was applied",
        hint=f"install it for the local PostgreSQL ({install_hint(use.name, major)}), then run "
        "the command again: dbflow's engine is the PostgreSQL that has what the migrations "
        "need (inv db.status says which and why); or point DATABASE_URL at a server that "
        "has it",
    )
