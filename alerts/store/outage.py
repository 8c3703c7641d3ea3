"""Database outages in the logs: one line when one starts, one when it ends, per loop that saw it.

A loop that polls the database every second (the ticker, the delivery worker) would otherwise log a
traceback a second while PostgreSQL restarts. This module tells an outage (the server is unreachable,
restarting, or a SQLite file is locked) from other errors, which are bugs and keep their tracebacks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import exc as sa_exc


def is_outage(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be used right now (as opposed to a bug)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    # OperationalError: refused or dropped connections, "the database system is starting up", admin
    # shutdown, SQLite "database is locked". InterfaceError: a connection closed under us. TimeoutError:
    # the connection pool had nothing to give.
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, ConnectionError))


def describe(error: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's "(Background on this error...)" link."""
    text = str(getattr(error, "orig", None) or error).split("(Background on this error", 1)[0].strip()
    first = text.splitlines()[0].strip() if text else ""
    return first[:300] or type(error).__name__


class OutageLog:
    """Tracks one loop's view of the database and logs only the changes (down, then up again)."""

    def __init__(self, component: str, logger: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self.component = component
        self.logger = logger
        self.clock = clock
        self.down_since: float | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        """True while the last database call of this loop failed."""
        return self.down_since is not None

    def failed(self, error: BaseException) -> bool:
        """A database call of this loop failed because of an outage: log it if it is the first.

        Returns True when this failure starts an outage (the caller counts outages in its metrics).
        """
        self.failures += 1
        if self.down_since is not None:
            return False
        self.down_since = self.clock()
        self.logger.warning(
            "%s: database unavailable, retrying quietly until it answers: %s", self.component, describe(error)
        )
        return True

    def succeeded(self) -> None:
        """A database call of this loop worked: log the end of an outage if there was one."""
        if self.down_since is None:
            return
        lasted = self.clock() - self.down_since
        self.logger.warning(
            "%s: database available again after %.1f s (%d failed attempt(s))", self.component, lasted, self.failures
        )
        self.down_since, self.failures = None, 0
