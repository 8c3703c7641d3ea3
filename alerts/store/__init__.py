"""Storage: SQLAlchemy 2 models, Alembic migrations and the queries the rest of aidwatch needs."""

from alerts.store.engine import Database, make_database
from alerts.store.migrate import upgrade

__all__ = ["Database", "make_database", "upgrade"]
