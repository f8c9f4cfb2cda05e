"""Throwaway copies of what the migrations build: a clone of the migrations template (or of the
bootstrap template, migrated up to a version) on the local engine, dropped afterwards. What
checks a migrated database without touching the local one (proofs, down migrations, function
lint, SQL tests, lock traces) works on these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from dbflow.config import Settings
from dbflow.connection import create_database, drop_database
from dbflow.engine.cluster import MAINTENANCE_DATABASE, LocalEngine
from dbflow.migrations.runner import RunOptions, migrate
from dbflow.migrations.templates import ensure_templates
from dbflow.places.local import local_engine, start_local
from dbflow.progress import Notify, quiet


@contextmanager
def migrated_copy(
    settings: Settings, name: str, notify: Notify = quiet, *, superuser: bool = False
) -> Iterator[str]:
    """A fresh database named ``name`` with every migration applied; yields its URL (the
    ``postgres`` role, as migrations run, or the engine's superuser) and drops it on exit."""
    with _copy(settings, name, notify, every_migration=True, superuser=superuser) as url:
        yield url


@contextmanager
def copy_up_to(
    settings: Settings, name: str, version: str | None, notify: Notify = quiet
) -> Iterator[str]:
    """A fresh database named ``name`` with the migrations up to ``version`` applied (None:
    none of them, the bootstrap only); yields its URL and drops it on exit."""
    with _copy(settings, name, notify, every_migration=False, superuser=False) as url:
        if version is not None:
            options = replace(RunOptions.from_settings(settings), up_to=version)
            migrate(url, settings.migrations_dir, options)
        yield url


@contextmanager
def clone(
    engine: LocalEngine, template: str, name: str, *, superuser: bool = False
) -> Iterator[str]:
    """A fresh database ``name`` cloned from ``template`` on ``engine``; yields its URL (the
    ``postgres`` role, or the engine's superuser) and drops it on exit."""
    admin = engine.admin_url(MAINTENANCE_DATABASE)
    drop_database(admin, name)
    create_database(admin, name, template=template)
    try:
        yield engine.admin_url(name) if superuser else engine.url(name)
    finally:
        drop_database(admin, name)


@contextmanager
def _copy(
    settings: Settings, name: str, notify: Notify, *, every_migration: bool, superuser: bool
) -> Iterator[str]:
    start_local(settings)
    engine = local_engine(settings)
    templates = ensure_templates(engine, settings, notify)
    template = templates.app if every_migration else templates.base
    with clone(engine, template, name, superuser=superuser) as url:
        yield url
