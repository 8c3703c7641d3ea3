"""PostgreSQL advisory locks for the critical sections several daemons may enter at once.

Migrations at start-up and the feed-list sync run in every daemon; on a shared PostgreSQL one daemon at a
time does them, and the others find the work done. SQLite serves one daemon and takes no lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.orm import Session

from alerts.store.engine import Database

# First key of the two-key advisory locks below ("aw" + "cl"), so they cannot collide with other users'
# advisory locks in a shared database (nor with the confirmation limit's, which has its own space).
_CLUSTER_LOCK_SPACE = 0x6177_636C


class ClusterLock(IntEnum):
    """The second key of each cluster-wide critical section."""

    MIGRATIONS = 1
    FEED_LIST_SYNC = 2


def lock_in_transaction(session: Session, lock: ClusterLock) -> None:
    """Hold ``lock`` until ``session``'s transaction ends (no-op on SQLite, which has one writer anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:id AS integer))"),
        {"space": _CLUSTER_LOCK_SPACE, "id": int(lock)},
    )


@contextmanager
def held(db: Database, lock: ClusterLock) -> Iterator[None]:
    """Hold ``lock`` on a connection of its own for the block (work that spans several transactions)."""
    if db.is_sqlite:
        yield
        return
    params = {"space": _CLUSTER_LOCK_SPACE, "id": int(lock)}
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(CAST(:space AS integer), CAST(:id AS integer))"), params)
        conn.commit()
        try:
            yield
        finally:
            # A lost connection has dropped the lock already; unlocking it then fails, harmlessly.
            with suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(CAST(:space AS integer), CAST(:id AS integer))"), params)
                conn.commit()
