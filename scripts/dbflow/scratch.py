"""Throwaway copies of what the migrations build: a clone of the migrations template on the
local engine, dropped afterwards. What checks a migrated database without touching the local
one (proofs, function lint, SQL tests, lock traces) works on these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dbflow.config import Settings
from dbflow.connection import create_database, drop_database
from dbflow.engine.cluster import MAINTENANCE_DATABASE
from dbflow.local import local_engine, start_local
from dbflow.migrations.templates import ensure_templates
from dbflow.progress import Notify, quiet


@contextmanager
def migrated_copy(
    settings: Settings, name: str, report: Notify = quiet, *, superuser: bool = False
) -> Iterator[str]:
    """A fresh database named ``name`` with every migration applied; yields its URL (the
    ``postgres`` role, as migrations run, or the engine's superuser) and drops it on exit."""
    start_local(settings)
    engine = local_engine(settings)
    templates = ensure_templates(engine, settings, report)
    admin = engine.admin_url(MAINTENANCE_DATABASE)
    drop_database(admin, name)
    create_database(admin, name, template=templates.app)
    try:
        yield engine.admin_url(name) if superuser else engine.url(name)
    finally:
        drop_database(admin, name)
