"""Database.ping: what /readyz reports about the database."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from alerts.store import Database
from tests.support.databases import migrated_database


def test_ping_answers_on_every_backend(db: Database) -> None:
    assert db.ping()


def test_sqlite_ping_is_false_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    with migrated_database("sqlite", tmp_path) as db:
        assert db.ping()
        other = sqlite3.connect(tmp_path / "aidwatch.db", isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            assert not db.ping(sqlite_wait=0.2)
            assert time.monotonic() - started < 2  # bounded: /readyz must answer quickly
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert db.ping()
        with db.engine.connect() as conn:  # the pooled connection keeps the normal busy timeout
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
