"""Storage: SQLAlchemy 2 models, Alembic migrations and the repository functions the rest of aidwatch calls.

Nothing outside this package imports SQLAlchemy: callers get plain models, and a caller that needs several
repository functions in one transaction opens it with ``Database.transaction()`` and passes the handle on.
"""

from alerts.store.engine import Database, Transaction, make_database
from alerts.store.migrate import upgrade
from alerts.store.tables import utcnow

__all__ = ["Database", "Transaction", "make_database", "upgrade", "utcnow"]
