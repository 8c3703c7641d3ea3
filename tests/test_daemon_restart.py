"""Start-up after a crash: leases and claims of processes that are gone are handed back at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from alerts.models import FeedSource
from alerts.store import Database
from alerts.store.feed_leases import lease_due_feeds
from alerts.store.feeds import sync_feed_list
from alerts.store.outbox import claim_due
from alerts.store.tables import FeedRow, OutboxRow
from alerts.subscriptions import queue_alerts
from crawler.daemon import holder_is_gone, release_dead_holders
from tests.support.alerting import add_subscription, make_incident, sqlite_database, store_incident

HOST = socket.gethostname()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_holder_is_gone_only_for_processes_that_no_longer_run() -> None:
    gone = dead_pid()
    assert holder_is_gone(f"{HOST[:40]}:{gone}", sqlite=False)
    assert holder_is_gone(f"{HOST[:30]}:{gone}:abcd1234", sqlite=False)
    assert not holder_is_gone(f"{HOST[:40]}:{os.getppid()}", sqlite=False)  # alive
    assert not holder_is_gone(f"{HOST[:30]}:1:abcd1234", sqlite=False)  # alive (init)
    # Another host: unknowable on PostgreSQL; on SQLite (one host only) a previous incarnation.
    assert not holder_is_gone(f"elsewhere-{HOST}:{gone}", sqlite=False)
    assert holder_is_gone(f"elsewhere-{HOST}:{gone}", sqlite=True)
    assert not holder_is_gone("me", sqlite=False)


def leased(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        return {row.id: row.lease_owner for row in session.scalars(select(FeedRow))}


def claimed(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(row.claimed_by or "" for row in session.scalars(select(OutboxRow)))


def test_release_dead_holders_frees_the_dead_and_keeps_the_living(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path)
    now = datetime.now(UTC)
    sync_feed_list(db, [FeedSource(f"f{n}", f"http://127.0.0.1:1/{n}.xml", 60) for n in range(2)], now)
    gone, alive = f"{HOST[:40]}:{dead_pid()}", f"{HOST[:40]}:{os.getppid()}"
    lease_due_feeds(db, now, owner=gone, lease_seconds=600, feed_ids=["f0"])
    lease_due_feeds(db, now, owner=alive, lease_seconds=600, feed_ids=["f1"])
    incident = make_incident()
    store_incident(db, incident)
    add_subscription(db, id="sub_a")
    add_subscription(db, id="sub_b")
    with db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 2
    dead_worker, live_worker = f"{HOST[:30]}:{dead_pid()}:00000000", f"{HOST[:30]}:{os.getppid()}:11111111"
    later = datetime.now(UTC) + timedelta(seconds=1)  # the rows are due from their insertion on
    assert len(claim_due(db, dead_worker, later, 1, timedelta(seconds=60))) == 1
    assert len(claim_due(db, live_worker, later, 1, timedelta(seconds=60))) == 1

    assert release_dead_holders(db) == (1, 1)
    assert leased(db) == {"f0": None, "f1": alive}
    assert claimed(db) == ["", live_worker]
    assert release_dead_holders(db) == (0, 0)
    db.dispose()
