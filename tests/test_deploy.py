"""db.push, db.dump and db.restore against three real databases: local, staging, production."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest

from dbflow.config import Settings, load_settings
from dbflow.connection import connect
from dbflow.errors import DbflowError
from dbflow.migrations.plan import MigrationError
from dbflow.schema.dump import dump, restore
from dbflow.workflows.deploy import PushOptions, PushRefused, push

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Environments:
    settings: Settings
    staging: str
    production: str
    root: Path
    identity: Path = Path()  # the admins' age identity: production's archives are theirs
    recipient: str = ""

    def reload(self, **environ: str) -> Settings:
        env = {
            "STAGING_DATABASE_URL": self.staging,
            "PRODUCTION_DATABASE_URL": self.production,
            "DBFLOW_STAGING_SOAK": "0",  # what staging held is test_staging_soak's subject
            "DBFLOW_BACKUP_RECIPIENTS": self.recipient,
        }
        env.update(environ)
        return load_settings(self.root, environ=env)


@pytest.fixture
def envs(dbflow_databases: Any, tmp_path: Path) -> Iterator[Environments]:
    root = tmp_path / "project"
    shutil.copytree(REPO / "supabase", root / "supabase")
    (root / "pyproject.toml").write_text("[tool.dbflow]\n")
    with (
        dbflow_databases.clone(dbflow_databases.base_template) as staging,
        dbflow_databases.clone(dbflow_databases.base_template) as production,
    ):
        environments = Environments(load_settings(root, environ={}), staging, production, root)
        key = pyrage.x25519.Identity.generate()
        environments.identity = tmp_path / "admin.key"
        environments.identity.write_text(f"{key}\n")
        environments.recipient = str(key.to_public())
        environments.settings = environments.reload()
        yield environments


def _tables(url: str) -> set[str]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def _versions(url: str) -> list[str]:
    with connect(url) as conn:
        exists = conn.execute(
            "SELECT to_regclass('supabase_migrations.schema_migrations') IS NOT NULL"
        ).fetchone()
        if not exists or not exists[0]:
            return []
        return [
            r[0]
            for r in conn.execute(
                "SELECT version FROM supabase_migrations.schema_migrations ORDER BY 1"
            )
        ]


def _quiet(_: str) -> None:
    return None


def test_push_to_staging_applies_and_records(envs: Environments) -> None:
    dry = push(envs.settings, PushOptions("staging", dry_run=True), notify=_quiet, confirm=None)
    assert len(dry.plan.planned) == 5 and dry.applied is None
    assert _versions(envs.staging) == []
    result = push(envs.settings, PushOptions("staging"), notify=_quiet, confirm=None)
    assert result.applied is not None and len(result.applied.applied) == 5
    assert result.backup is None
    assert {"profiles", "organizations", "memberships"} <= _tables(envs.staging)
    with connect(envs.staging) as conn:
        row = conn.execute(
            "SELECT target, cardinality(versions), no_backup FROM supabase_migrations.dbflow_pushes"
        ).fetchone()
    assert row == ("staging", 5, False)
    again = push(envs.settings, PushOptions("staging"), notify=_quiet, confirm=None)
    assert again.applied is None and again.plan.planned == ()


def test_failing_migration_leaves_staging_unchanged(envs: Environments) -> None:
    push(envs.settings, PushOptions("staging"), notify=_quiet, confirm=None)
    before = _versions(envs.staging)
    (envs.settings.migrations_dir / "20250201000000_broken.sql").write_text(
        "create table public.half (id bigint primary key);\n"
        "comment on table public.half is 'x';\n"
        "alter table public.half enable row level security;\n"
        "insert into public.nowhere values (1);\n"
    )
    with pytest.raises(MigrationError, match=r'relation "public\.nowhere" does not exist'):
        push(envs.settings, PushOptions("staging"), notify=_quiet, confirm=None)
    assert _versions(envs.staging) == before
    assert "half" not in _tables(envs.staging)


def test_validation_errors_stop_the_push(envs: Environments) -> None:
    (envs.settings.migrations_dir / "20250201000000_drop.sql").write_text(
        "drop table public.skills;\n"
    )
    with pytest.raises(PushRefused) as error:
        push(envs.settings, PushOptions("staging"), notify=_quiet, confirm=None)
    assert "validation found 1 error(s)" in str(error.value)
    assert "DAT01" in str(error.value)
    assert _versions(envs.staging) == []


def test_production_needs_confirmation_and_takes_a_backup(
    envs: Environments, dbflow_databases: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(PushRefused, match="needs a confirmation"):
        push(envs.settings, PushOptions("production"), notify=_quiet, confirm=None)
    with pytest.raises(PushRefused, match="did not match"):
        push(envs.settings, PushOptions("production"), notify=_quiet, confirm=lambda p: "prod")
    assert _versions(envs.production) == []
    assert not (envs.root / "backups").exists()
    with connect(envs.production, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.precious (id int); INSERT INTO public.precious VALUES (7)"
        )
    result = push(
        envs.settings, PushOptions("production"), notify=_quiet, confirm=lambda p: "production"
    )
    assert result.backup is not None and result.backup.is_file()
    assert result.backup.parent == envs.root / "backups"
    assert result.backup.name.startswith("production-") and result.backup.name.endswith(".dump.age")
    assert result.backup.read_bytes().startswith(b"age-encryption.org/v1")
    assert len(_versions(envs.production)) == 5
    with dbflow_databases.clone(dbflow_databases.base_template) as scratch:
        with pytest.raises(DbflowError, match="encrypted"):
            restore(scratch, result.backup)
        restore(scratch, result.backup, identity=envs.identity)
        assert "precious" in _tables(scratch)
        assert "profiles" not in _tables(scratch)  # the backup is from before the push


def test_ci_yes_needs_the_environment_approval(
    envs: Environments, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("DBFLOW_APPROVED_TARGET", raising=False)
    with pytest.raises(PushRefused, match="needs the deployment's approval"):
        push(envs.settings, PushOptions("production", yes=True), notify=_quiet, confirm=None)
    monkeypatch.setenv("DBFLOW_APPROVED_TARGET", "production")
    messages: list[str] = []
    result = push(
        envs.settings,
        PushOptions("production", yes=True, no_backup=True),
        notify=messages.append,
        confirm=None,
    )
    assert result.backup is None
    assert any("no backup taken (--no-backup)" in message for message in messages)
    with connect(envs.production) as conn:
        recorded = conn.execute(
            "SELECT no_backup, backup FROM supabase_migrations.dbflow_pushes"
        ).fetchone()
    assert recorded == (True, None)


def test_dump_kinds_and_restore_into_local(envs: Environments, dbflow_databases: Any) -> None:
    push(envs.settings, PushOptions("staging"), notify=_quiet, confirm=None)
    with connect(envs.staging, autocommit=True) as conn:
        conn.execute("INSERT INTO public.skills (name) VALUES ('sql')")
    schema = dump(envs.staging, envs.root / "schema.dump", kind="schema")
    full = dump(envs.staging, envs.root / "full.dump")
    assert schema.stat().st_size < full.stat().st_size
    with dbflow_databases.clone(dbflow_databases.base_template) as local:
        restore(local, full)
        with connect(local) as conn:
            assert conn.execute("SELECT name FROM public.skills").fetchall() == [("sql",)]


def test_staging_soak(envs: Environments) -> None:
    """Nothing reaches production that staging has not held for staging_soak (24 h by
    default): the refusal names each migration and when it reached staging; 0 turns it off."""
    settings = envs.reload(DBFLOW_STAGING_SOAK="24h")
    approved = PushOptions("production", yes=True, no_backup=True)
    no_staging = load_settings(envs.root, environ={"PRODUCTION_DATABASE_URL": envs.production})
    with pytest.raises(PushRefused, match="STAGING_DATABASE_URL is not set"):
        push(no_staging, PushOptions("production", dry_run=True), notify=_quiet, confirm=None)
    with pytest.raises(PushRefused) as error:
        push(settings, approved, notify=_quiet, confirm=None)
    assert "5 migration(s) have not been on staging for 24 h" in str(error.value)
    assert "20250101000000_updated_at_trigger.sql: not on staging" in str(error.value)
    push(settings, PushOptions("staging"), notify=_quiet, confirm=None)
    with pytest.raises(PushRefused) as error:  # pushed a moment ago: not a day yet
        push(settings, PushOptions("production", dry_run=True), notify=_quiet, confirm=None)
    assert "reached staging" in str(error.value) and "0.0 h ago" in str(error.value)
    with connect(envs.staging, autocommit=True) as conn:
        conn.execute(
            "update supabase_migrations.dbflow_applied set applied_at = now() - "
            "interval '25 hours' where version <> '20250101000400'"
        )
    with pytest.raises(PushRefused) as error:
        push(settings, PushOptions("production", dry_run=True), notify=_quiet, confirm=None)
    assert "1 migration(s) have not been on staging" in str(error.value)
    assert "20250101000400_avatars_bucket.sql: reached staging" in str(error.value)
    with connect(envs.staging, autocommit=True) as conn:
        conn.execute(
            "update supabase_migrations.dbflow_applied set applied_at = now() - interval '25 hours'"
        )
    os.environ["DBFLOW_APPROVED_TARGET"] = "production"
    try:
        result = push(settings, approved, notify=_quiet, confirm=None)
    finally:
        del os.environ["DBFLOW_APPROVED_TARGET"]
    assert result.applied is not None and len(result.applied.applied) == 5
