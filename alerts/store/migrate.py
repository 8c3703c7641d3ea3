"""Alembic migrations run from code (``aidwatch db upgrade`` and at ``serve`` start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from alerts.store.engine import Database
from alerts.store.locks import ClusterLock, held

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database: Database) -> Config:
    """An Alembic config pointing at the packaged migrations, bound to ``database``'s engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent).

    Daemons starting together on one PostgreSQL migrate one at a time (an advisory lock); the later ones
    find the schema at ``revision`` and do nothing.
    """
    with held(database, ClusterLock.MIGRATIONS):
        command.upgrade(alembic_config(database), revision)


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
