"""The gate's whole table, walked through the command line: every action on every place
does exactly what its cell of dbflow.places.gate.POLICY says, and the README shows that table."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage
import pytest

from dbflow.config import load_settings
from dbflow.connection import connect
from dbflow.places.gate import ACTIONS, PLACES, POLICY, Requirement, policy_table
from dbflow.places.local import target_url
from tests.cli_helpers import INV, REPO, assert_no_traceback, project_dir, run
from tests.conftest import has_extension

FIRST_VERSION = sorted(REPO.glob("supabase/migrations/*.sql"))[0].name.split("_", 1)[0]


@dataclass
class Place:
    name: str
    target: str  # the --target value
    env: dict[str, str]
    url: str | None  # to inspect the database (None: the project's own engine)
    project: Path
    archive: Path = field(init=False)

    def run(
        self, *args: str, extra: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = run(self.project, INV, *args, env={**self.env, **(extra or {})})
        assert_no_traceback(result)
        return result


def _identity(place: Place) -> list[str]:
    """Production's archives are encrypted to the admins: a restore gives their identity."""
    key = place.project / "admin.key"
    return ["--identity", str(key)] if place.target == "production" else []


def _command(action: str, place: Place) -> list[str]:
    target = ["--target", place.target]
    return {
        "up": ["db.up", *target],
        "push": ["db.push", *target],
        "pull": ["db.pull", *target],
        "repair": ["db.repair", FIRST_VERSION, "--status", "applied", *target],
        "restore": ["db.restore", str(place.archive), *target, *_identity(place)],
        "reset": ["db.reset", "--no-seed"] + ([] if place.target == "local" else target),
        "seed": ["db.seed-test", *target],
        "test": ["db.test", *target],
        "advisors": ["db.advisors", *target],
        "dump": ["db.dump", "--file", str(place.project / "scratch.dump"), *target],
        "list": ["db.list", *target],
        "diff": ["db.diff", "--to", place.target],
        "types": ["db.types", "--output", str(place.project / "types.ts"), *target],
    }[action]


@pytest.fixture
def places(dbflow_databases: Any) -> Iterator[dict[str, Place]]:
    """One project, and a database for each place: its own engine (local), a clone behind a
    URL that is not certainly this machine (shared), and two clones without migrations."""
    with (
        project_dir("dbflow-gate-", app=True) as project,
        dbflow_databases.clone(dbflow_databases.app_template) as shared,
        dbflow_databases.clone(dbflow_databases.base_template) as staging,
        dbflow_databases.clone(dbflow_databases.base_template) as production,
    ):
        # libpq connects to the first host; the second makes the URL not certainly local.
        shared_url = shared.replace("/test_", ",db.example.invalid:5432/test_", 1)
        found = {
            "local": Place("local", "local", {}, None, project),
            "shared": Place("shared", "local", {"DATABASE_URL": shared_url}, shared, project),
            "staging": Place(
                "staging", "staging", {"STAGING_DATABASE_URL": staging}, staging, project
            ),
            "production": Place(
                "production",
                "production",
                # what staging held is test_deploy.py's subject: not checked here
                {
                    "PRODUCTION_DATABASE_URL": production,
                    "DBFLOW_STAGING_SOAK": "0",
                    "DBFLOW_BACKUP_RECIPIENTS": _admin_key(project),
                },
                production,
                project,
            ),
        }
        assert run(project, INV, "db.reset", "--no-seed").returncode == 0
        for place in found.values():
            place.archive = project / f"{place.name}.dump"
            dumped = place.run("db.dump", "--target", place.target, "--file", str(place.archive))
            assert dumped.returncode == 0, dumped.stderr
        yield found


def _admin_key(project: Path) -> str:
    """An age identity for the project's admins (in admin.key); its public key."""
    key = pyrage.x25519.Identity.generate()
    (project / "admin.key").write_text(f"{key}\n")
    return str(key.to_public())


def _records(place: Place, action: str) -> int:
    url = place.url
    assert url is not None
    with connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('supabase_migrations.dbflow_pushes')").fetchone()
        if exists == (None,):
            return 0
        row = conn.execute(
            "SELECT count(*) FROM supabase_migrations.dbflow_pushes WHERE action = %s", (action,)
        ).fetchone()
    return int(row[0]) if row else 0


def _backups(place: Place) -> list[Path]:
    found = (place.project / "backups").glob(f"{place.target}-*.dump*")  # .dump.age: encrypted
    if place.target == "production":
        assert all(path.name.endswith(".dump.age") for path in found)
        found = (place.project / "backups").glob(f"{place.target}-*.dump*")
    return sorted(found)


def _made_by_hand(place: Place) -> None:
    """A table made outside the migrations, for db.pull to find."""
    url = place.url or target_url(load_settings(place.project, environ={}), "local")
    with connect(url, autocommit=True) as conn:
        conn.execute(f"create table public.made_on_{place.name} (id int primary key)")


def _check_cell(place: Place, action: str, requirement: Requirement) -> None:
    if action == "pull":
        _made_by_hand(place)
    command = _command(action, place)
    cell = f"{action} x {place.name}"
    if requirement.refusal:
        refused = place.run(*command)
        assert refused.returncode == 1, (cell, refused.stdout)
        assert "refusing to" in refused.stderr and requirement.refusal in " ".join(
            refused.stderr.split()
        ), (cell, refused.stderr)
        return
    if requirement.opt_in:
        refused = place.run(*command)
        assert refused.returncode == 1 and f"without {requirement.opt_in}" in refused.stderr, cell
        command.append(requirement.opt_in)
    if requirement.confirmation:
        unconfirmed = place.run(*command)
        assert unconfirmed.returncode == 1, (cell, unconfirmed.stdout)
        assert "needs a confirmation" in unconfirmed.stderr, (cell, unconfirmed.stderr)
        command.append("--yes")
        if requirement.confirmation == "approved":
            unapproved = place.run(*command, extra={"CI": "true"})
            assert unapproved.returncode == 1, cell
            assert "needs the deployment's approval" in unapproved.stderr, cell
            outside_ci = place.run(*command)
            assert outside_ci.returncode == 1, cell
            assert "needs the deployment's approval" in outside_ci.stderr, cell
    records, backups = (_records(place, action) if place.url else 0), _backups(place)
    approval = {"DBFLOW_APPROVED_TARGET": place.target, "CI": "true"}
    done = place.run(*command, extra=approval if requirement.confirmation == "approved" else None)
    # drift, failing tests, advisor errors (a table of the scratch schema left open)
    allowed_codes = (0, 1) if action in ("diff", "test", "advisors") else (0,)
    assert done.returncode in allowed_codes, (cell, done.stdout, done.stderr)
    assert "refusing to" not in done.stderr, (cell, done.stderr)
    if requirement.backup:
        new = sorted(set(_backups(place)) - set(backups))
        assert len(new) == 1, (cell, new)
    else:
        assert _backups(place) == backups, cell
    if requirement.record:
        assert _records(place, action) == records + 1, cell


@pytest.mark.parametrize("place_name", PLACES)
def test_every_action_does_what_its_cell_says(places: dict[str, Place], place_name: str) -> None:
    place = places[place_name]
    # restore comes first: the archive is of the state the fixture left (restoring an older
    # archive over objects made since is a pg_restore --clean limit, not the gate's business)
    order = [
        "restore", "dump", "list", "diff", "types", "advisors", "push", "up", "repair", "pull",
        "seed", "test", "reset",
    ]  # fmt: skip
    assert sorted(order) == sorted(ACTIONS)
    missing = None if has_extension("pgtap") else "postgresql-15-pgtap"
    for action in order:
        if action == "test" and missing:
            continue  # db.test runs pgTAP: checked where the package is installed
        _check_cell(place, action, POLICY[(action, place.name)])  # type: ignore[index]
    if missing:
        pytest.skip(f"db.test's cell not checked, pgtap is missing: apt-get install {missing}")


def test_push_needs_validation_where_the_policy_asks(places: dict[str, Place]) -> None:
    bad = places["local"].project / "supabase" / "migrations" / "20990101000000_drop.sql"
    bad.write_text("drop table public.skills;\n")
    for name in ("staging", "production"):
        place = places[name]
        assert POLICY[("push", name)].validation  # type: ignore[index]
        result = place.run(
            "db.push", "--target", name, "--yes", extra={"DBFLOW_APPROVED_TARGET": name}
        )
        assert result.returncode == 1
        assert "validation found 1 error(s): nothing was pushed" in result.stderr


def test_a_person_at_a_terminal_types_the_name(places: dict[str, Place]) -> None:
    place = places["production"]
    wrong = _in_terminal(place, ["db.push", "--target", "production"], "prod\n")
    assert wrong.returncode == 1 and "did not match 'production'" in wrong.stderr
    typed = _in_terminal(place, ["db.push", "--target", "production"], "production\n")
    assert typed.returncode == 0, typed.stderr
    assert "type 'production' to run inv db.push on production" in typed.stdout
    assert "pushed 5 migration(s) to production" in typed.stdout
    assert len(_backups(place)) == 1 and _records(place, "push") == 1


def _in_terminal(place: Place, args: list[str], answer: str) -> subprocess.CompletedProcess[str]:
    """Run with a terminal as standard input (stdin.isatty() is true) and type ``answer``."""
    controller, terminal = pty.openpty()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("DATABASE_URL") and key not in ("CI", "DBFLOW_APPROVED_TARGET")
    }
    env.update(place.env)
    process = subprocess.Popen(
        [INV, *args],
        cwd=place.project,
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    os.close(terminal)
    os.write(controller, answer.encode())
    stdout, stderr = process.communicate(timeout=180)
    os.close(controller)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_the_readme_shows_the_table_as_it_is() -> None:
    readme = (REPO / "README.md").read_text()
    assert policy_table() in readme, "README.md's safety section is stale:\n" + policy_table()
