"""Engine and session factory for SQLite (WAL, foreign keys) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another connection's lock before failing

#: One open unit of work, as handed out by :meth:`Database.transaction`. Outside ``alerts.store`` it is an
#: opaque handle: callers only pass it on to repository functions, which is how several of them share one
#: transaction (an incident version and its outbox rows commit together or not at all).
Transaction: TypeAlias = Session


@dataclass(frozen=True)
class Database:
    """An engine and its session factory; ``session()`` is one transaction."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        """True for the SQLite backend (no row locks: one daemon per database file)."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        with self.sessions.begin() as session:
            yield session

    def transaction(self) -> AbstractContextManager[Transaction]:
        """One unit of work for callers outside the store: commits on success, rolls back on any error."""
        return self.session()

    def ping(self, sqlite_wait: float = 1.0) -> bool:
        """True when the database answers; on SQLite, when it can also take writes.

        SQLite's ``SELECT 1`` never touches the file, so it answers even while another process holds the
        write lock and every tick, ingest and delivery record waits on it: there the ping takes the write
        lock for an instant instead (``BEGIN IMMEDIATE``, then rolls back), waiting at most ``sqlite_wait``
        seconds. The daemon's own write transactions last milliseconds.
        """
        try:
            with self.engine.connect() as conn:
                if not self.is_sqlite:
                    conn.execute(text("SELECT 1"))
                    return True
                raw = conn.connection.driver_connection
                assert raw is not None
                raw.execute(f"PRAGMA busy_timeout={int(sqlite_wait * 1000)}")
                try:
                    raw.execute("BEGIN IMMEDIATE")
                    raw.execute("ROLLBACK")
                finally:
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def dialect_insert(tx: Transaction) -> Any:
    """The INSERT construct of the transaction's dialect; both offer ``on_conflict_do_nothing``."""
    return pg_insert if is_postgresql(tx) else sqlite_insert


def is_postgresql(tx: Transaction) -> bool:
    """True when the transaction runs on PostgreSQL (row locks, advisory locks, SKIP LOCKED)."""
    return tx.get_bind().dialect.name == "postgresql"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def make_database(url: str, echo: bool = False) -> Database:
    """Create the engine for ``url``; SQLite files get their folder created and WAL switched on."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Sessions run in worker threads (the event loop must not block on disk I/O).
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        # A server that accepts but never answers (restarting, behind a dead proxy) must not hang start-up.
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": 10})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
