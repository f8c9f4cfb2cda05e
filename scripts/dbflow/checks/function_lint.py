"""``inv db.lint``: plpgsql_check over every PL/pgSQL function and trigger of the migrated
database, on a throwaway copy of the migrations template.

Trigger functions are checked once for each table a trigger runs them on (plpgsql_check needs
the table to know NEW and OLD); a trigger function no trigger uses is listed as not checked.
Each finding names the function and the migration file and line that created it (the last
migration that defined it, the line inside its body).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dbflow.catalog.read import user_schemas
from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError, ToolMissing
from dbflow.migrations.discovery import discover
from dbflow.places.scratch import migrated_copy
from dbflow.progress import Notify, quiet
from dbflow.report.annotations import Level, annotation
from dbflow.sql.parse import language_and_body
from dbflow.sql.tree import names

PACKAGE = "postgresql-15-plpgsql-check"
_LEVELS = {"error": "error"}  # every other plpgsql_check level is a warning


class CheckerMissing(ToolMissing):
    """The engine has no plpgsql_check."""


@dataclass(frozen=True)
class FunctionFinding:
    function: str  # schema.name(arguments)
    table: str | None  # the trigger's table, for a trigger function
    severity: str  # error or warning
    level: str  # plpgsql_check's own level (error, warning, warning extra, performance)
    message: str
    detail: str | None
    hint: str | None
    statement: str | None
    file: str | None  # the migration that created the function (relative to the project)
    line: int | None  # the line of the finding in that file


@dataclass
class LintReport:
    findings: list[FunctionFinding] = field(default_factory=list)
    checked: int = 0
    unchecked: list[str] = field(default_factory=list)  # trigger functions no trigger uses

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)


_FUNCTIONS = """
SELECT p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.pronargs,
       p.prorettype = 'trigger'::regtype,
       ARRAY(SELECT format('%%I.%%I', tn.nspname, tc.relname) FROM pg_trigger t
             JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
             WHERE t.tgfoid = p.oid AND NOT t.tgisinternal ORDER BY 1),
       ARRAY(SELECT t.tgrelid::oid FROM pg_trigger t
             JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
             WHERE t.tgfoid = p.oid AND NOT t.tgisinternal
             ORDER BY format('%%I.%%I', tn.nspname, tc.relname))
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE l.lanname = 'plpgsql' AND n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY n.nspname, p.proname, 4
"""

_CHECK = """
SELECT lineno, statement, level, message, detail, hint
FROM dbflow_lint.plpgsql_check_function_tb(%(function)s::regprocedure, %(table)s::regclass,
                                           fatal_errors => false)
"""


def lint_functions(settings: Settings, notify: Notify = quiet) -> LintReport:
    sources = function_sources(settings)
    with (
        migrated_copy(settings, "dbflow_lint", notify, superuser=True) as url,
        connect(url, autocommit=True) as conn,
    ):
        _install_checker(conn)
        schemas = [s for s in user_schemas(conn) if s != "dbflow_lint"]
        rows = conn.execute(_FUNCTIONS, {"schemas": schemas}).fetchall()
        result = LintReport()
        for oid, schema, name, arguments, nargs, is_trigger, tables, table_oids in rows:
            function = f"{schema}.{name}({arguments})"
            source = sources.get((schema, name, nargs)) or sources.get((schema, name, -1))
            targets: list[tuple[str | None, int]] = (
                list(zip(tables, table_oids, strict=True)) if is_trigger else [(None, 0)]
            )
            if is_trigger and not targets:
                result.unchecked.append(function)
                continue
            result.checked += 1
            for table, table_oid in targets:
                for lineno, statement, level, message, detail, hint in conn.execute(
                    _CHECK, {"function": oid, "table": table_oid}
                ):
                    file, line = source if source else (None, None)
                    result.findings.append(
                        FunctionFinding(
                            function,
                            table,
                            _LEVELS.get(level, "warning"),
                            level,
                            message,
                            detail,
                            hint,
                            statement,
                            file,
                            line + lineno - 1 if line is not None and lineno else line,
                        )
                    )
        notify(f"{result.checked} function(s) checked")
        return result


def _install_checker(conn: Conn) -> None:
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'plpgsql_check'"
    ).fetchone()
    if available is None:
        raise CheckerMissing(
            f"this engine (PostgreSQL {conn.info.server_version // 10000}) has no "
            "plpgsql_check: functions were not checked",
            hint=f"install it for the system PostgreSQL (Debian: apt-get install {PACKAGE}); for "
            "the embedded engine, unpack its source (apt-get source plpgsql-check) in a folder "
            "named by DBFLOW_EXTENSION_SOURCES and dbflow builds it; then run inv db.lint again",
        )
    conn.execute("CREATE SCHEMA dbflow_lint")
    conn.execute("CREATE EXTENSION plpgsql_check SCHEMA dbflow_lint")


def function_sources(settings: Settings) -> dict[tuple[str, str, int], tuple[str, int]]:
    """(schema, name, number of input arguments) -> (migration file, line where its body
    starts), from the last migration that creates each function; (schema, name, -1) keeps the
    last of any overload, for a function whose arguments could not be counted."""
    found: dict[tuple[str, str, int], tuple[str, int]] = {}
    root = settings.project_root
    for migration in discover(settings.migrations_dir).migrations:
        try:
            statements = migration.statements
        except DbflowError:
            continue  # the validator reports a file that does not parse
        shown = _relative(migration.path, root)
        for statement in statements:
            if statement.kind != "CreateFunctionStmt":
                continue
            parts = names(statement.node.get("funcname"))
            schema, name = (parts[-2], parts[-1]) if len(parts) > 1 else ("public", parts[0])
            _, body = language_and_body(statement.node.get("options", []))
            at = statement.text.find(body) if body else -1
            line = statement.line + (statement.text[:at].count("\n") if at >= 0 else 0)
            inputs = sum(
                1
                for parameter in statement.node.get("parameters", []) or []
                if parameter.get("FunctionParameter", {}).get("mode")
                not in ("FUNC_PARAM_OUT", "FUNC_PARAM_TABLE")
            )
            found[(schema, name, inputs)] = (shown, line)
            found[(schema, name, -1)] = (shown, line)
    return found


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def render_lint(report: LintReport, fmt: str) -> str:
    """The findings as text (``file:line: severity function: message``), JSON, or GitHub
    workflow annotations."""
    if fmt == "json":
        return json.dumps(
            {
                "checked": report.checked,
                "unchecked": report.unchecked,
                "errors": report.count("error"),
                "warnings": report.count("warning"),
                "findings": [asdict(finding) for finding in report.findings],
            },
            indent=2,
        )
    lines = []
    for f in report.findings:
        where = f"{f.file}:{f.line}" if f.file else "(no migration creates it)"
        on = f" on {f.table}" if f.table else ""
        text = f"{f.function}{on}: {f.message}" + (f" ({f.detail})" if f.detail else "")
        if fmt == "github":
            kind: Level = "error" if f.severity == "error" else "warning"
            lines.append(
                annotation(kind, text, file=f.file, line=f.line, title=f"plpgsql_check {f.level}")
            )
        else:
            lines.append(f"{where}: {f.severity} [{f.level}] {text}")
            if f.hint:
                lines.append(f"    hint: {f.hint}")
    if fmt != "github":
        lines += [f"not checked (no trigger uses it): {name}" for name in report.unchecked]
        lines.append(
            f"{report.checked} function(s) checked: {report.count('error')} error(s), "
            f"{report.count('warning')} warning(s)"
        )
    return "\n".join(lines)
