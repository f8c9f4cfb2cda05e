"""``inv db.advisors``: every lint run against a live database (local, staging or
production) inside a read-only transaction that is always rolled back."""

from __future__ import annotations

from dataclasses import dataclass, field

from dbflow.checks.advisors.lints import LINTS, Category, Level
from dbflow.config import Settings
from dbflow.connection import Conn, connect
from dbflow.errors import DbflowError
from dbflow.places.gate import clear
from dbflow.platform_schemas import MANAGED_SCHEMAS


@dataclass(frozen=True)
class Advice:
    lint: str
    code: str
    title: str
    level: Level
    category: Category
    object: str
    detail: str
    remediation: str

    @property
    def cache_key(self) -> str:
        return f"{self.lint}_{self.object}"


@dataclass
class AdvisorReport:
    target: str
    findings: list[Advice] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # lints the database cannot answer

    def count(self, level: str) -> int:
        return sum(1 for finding in self.findings if finding.level == level)


def run_advisors(
    settings: Settings,
    target: str = "local",
    *,
    only: tuple[str, ...] = (),
) -> AdvisorReport:
    """Every lint (or those named in ``only``) against ``target``, read-only."""
    url = clear(settings, "advisors", target).url
    with connect(url, autocommit=True) as conn:
        return advise(conn, target, settings.api_schemas, only=only)


def advise(
    conn: Conn, target: str, api_schemas: tuple[str, ...], *, only: tuple[str, ...] = ()
) -> AdvisorReport:
    unknown = [name for name in only if name not in {lint.name for lint in LINTS}]
    if unknown:
        raise DbflowError(
            f"unknown lint {', '.join(unknown)}",
            hint="the names are: " + ", ".join(lint.name for lint in LINTS),
        )
    report = AdvisorReport(target)
    with conn.transaction(force_rollback=True):
        conn.execute("SET TRANSACTION READ ONLY")
        roles = {
            row[0]
            for row in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname IN ('anon', 'authenticated')"
            )
        }
        if roles != {"anon", "authenticated"}:
            raise DbflowError(
                "this database has no anon and authenticated roles: the advisors judge what the "
                "Data API exposes, and there is no Data API here",
                hint="run it against a Supabase database (or the local one, inv db.start)",
            )
        params = {"api": list(api_schemas), "managed": list(MANAGED_SCHEMAS)}
        for lint in LINTS:
            if only and lint.name not in only:
                continue
            if lint.needs and conn.execute("SELECT to_regclass(%s)", (lint.needs,)).fetchone() == (
                None,
            ):
                report.skipped.append(f"{lint.name}: this database has no {lint.needs}")
                continue
            for obj, detail in conn.execute(lint.query, params):
                report.findings.append(
                    Advice(
                        lint.name, lint.code, lint.title, lint.level, lint.category,
                        str(obj), str(detail), lint.remediation,
                    )
                )  # fmt: skip
    return report
