"""Helpers to race two "daemons" (two engines on one PostgreSQL schema) at a chosen moment, without sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from alerts.store import Database, make_database

WAIT = 20.0  # seconds any step may take on a busy machine before the test fails instead of hanging


@contextmanager
def second_daemon(db: Database) -> Iterator[Database]:
    """Another engine on the same database and schema, as a second daemon process would have."""
    other = make_database(db.engine.url.render_as_string(hide_password=False))
    try:
        yield other
    finally:
        other.dispose()


class HeldCommit:
    """Holds the commits of ``db``'s transactions until released: the transaction has done its work and
    still holds its locks. ``reached`` is set when a commit is waiting. Once released, commits pass (the
    listener stays: removing it while a commit runs it is not allowed; the test's database is thrown away).
    """

    def __init__(self, db: Database) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        event.listen(db.sessions, "before_commit", self._hold)

    def _hold(self, _session: Session) -> None:
        if self.release.is_set():
            return
        self.reached.set()
        if not self.release.wait(WAIT):
            raise AssertionError("the held commit was never released")

    def remove(self) -> None:
        """Let the held commit and every later one through."""
        self.release.set()


class LockWatch:
    """Records the server process id of ``db``'s connection when it asks for an advisory lock."""

    def __init__(self, db: Database) -> None:
        self.asking = threading.Event()
        self.pid: int | None = None
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "pg_advisory_xact_lock" in statement:
            self.pid = conn.connection.dbapi_connection.info.backend_pid
            self.asking.set()


def waiting_on_lock(observer: Database, pid: int) -> bool:
    """True while the server process ``pid`` waits for a lock it has not been granted."""
    with observer.engine.connect() as conn:
        query = text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted")
        return bool(conn.execute(query, {"pid": pid}).scalar())


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Re-check ``condition`` until it holds, or fail naming ``what``.

    For states only the server can tell (a backend waiting on a lock): there is no event to wait on, so the
    condition is asked again every 50 ms. Nothing is asserted about how long it takes.
    """
    done = threading.Event()
    for _ in range(int(WAIT * 20)):
        if condition():
            return
        done.wait(0.05)
    raise AssertionError(f"gave up waiting for {what}")


class Racer(threading.Thread):
    """Runs ``work`` in a thread and keeps its result or exception."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        """Run the work, keeping what it returned or raised."""
        try:
            self.result = self.work()
        except BaseException as exc:
            self.error = exc

    def outcome(self) -> Any:
        """Join and return the result, re-raising the thread's exception."""
        self.join(WAIT)
        if self.is_alive():
            raise AssertionError("the racing thread did not finish")
        if self.error is not None:
            raise self.error
        return self.result
