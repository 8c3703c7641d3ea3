"""Several daemons on one PostgreSQL: polls/s and deliveries/s with 1, 2 and 3 `aidwatch serve` processes,
and the delivery fan-out of one incident to 1,000 webhook subscribers.

Each run starts N daemons (tests/support/daemon.py: 0.5 s tick, outbox polled every 0.2 s) on a fresh
PostgreSQL schema and FEEDS feeds of the bench feed server (a separate process) in 304 mode, every feed due
every second: more than the daemons can poll, so the polls/s are their capacity. Polls are counted in the
database (``feeds.polls``) over WINDOW seconds once every daemon has joined. Then polling is switched off
(the feeds disabled in the database), one incident is queued for SUBSCRIBERS webhook subscriptions (one
outbox row each, in one transaction, as ingest does) and the time until the last webhook arrives gives
deliveries/s. All daemons, the feed server and the receiver share this machine's cores, so N daemons
cannot do N times the work of one here; the figures show what sharing costs and that it does not collapse.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import FeedServerProcess, figure
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.daemon import Daemon, daemon_config, poll_until, write_feeds
from tests.support.databases import postgres_schema_url
from tests.support.webhook_receiver import Receiver, webhook_receiver

FEEDS = 2000
WINDOW = 10.0  # seconds of polling measured
SUBSCRIBERS = 1000
DAEMONS = (1, 2, 3)


def _polls(db: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(sum(polls), 0) FROM feeds")).scalar() or 0)


def _disable_feeds(db: Any) -> None:
    """Switch polling off, in small batches that skip rows a daemon is writing (no lock waits, no deadlock)."""
    batch = (
        "UPDATE feeds SET enabled = false WHERE id IN "
        "(SELECT id FROM feeds WHERE enabled ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED)"
    )
    poll_until(lambda: _run_batch(db, batch) == 0 and _enabled(db) == 0, 60, "polling to stop")


def _run_batch(db: Any, sql: str) -> int:
    with db.engine.begin() as conn:
        return int(conn.execute(text(sql)).rowcount or 0)


def _enabled(db: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM feeds WHERE enabled")).scalar() or 0)


def _live(daemons: list[Daemon]) -> bool:
    import httpx2

    views = [httpx2.get(d.base_url + "/readyz", timeout=10).json().get("daemon", {}) for d in daemons]
    return all(len(view.get("cluster", [])) == len(daemons) for view in views)


def _one_run(count: int, server: FeedServerProcess, receiver: Receiver, folder: Path) -> dict[str, float]:
    """N daemons: their polls/s, then their deliveries/s for one incident to SUBSCRIBERS subscribers."""
    from alerts.store import make_database, upgrade
    from alerts.subscriptions import queue_alerts

    server.ctl("setup", n=FEEDS, epoch=count, mode="304")
    feeds = [(f"feed-{i}", server.feed_url(i)) for i in range(FEEDS)]
    with postgres_schema_url() as url:
        db = make_database(url)
        upgrade(db)
        for n in range(SUBSCRIBERS):
            add_subscription(db, id=f"sub_{n:04d}", target=f"{receiver.url}/hook/{n}")
        daemons = []
        for n in range(count):
            where = folder / f"n{count}-d{n}"
            where.mkdir()
            config = daemon_config(where, feeds=feeds, storage_url=url)
            write_feeds(where, feeds, interval="1s")
            daemons.append(Daemon(config).launch())
        try:
            for daemon in daemons:
                daemon.wait_healthy(180)
            poll_until(lambda: _live(daemons), 60, "every daemon to join the cluster")
            poll_until(lambda: _polls(db) >= FEEDS, 120, "one round of polls")
            start, before = time.monotonic(), _polls(db)
            poll_until(lambda: time.monotonic() - start >= WINDOW, WINDOW + 5, "the polling window")
            polls_s = (_polls(db) - before) / (time.monotonic() - start)

            _disable_feeds(db)
            incident = make_incident()
            store_incident(db, incident)
            arrived = len(receiver.requests)
            queued = time.monotonic()
            with db.session() as session:
                assert queue_alerts(session, incident, "incident.created") == SUBSCRIBERS
            receiver.wait_for(arrived + SUBSCRIBERS, timeout=600)
            fan_out = time.monotonic() - queued
        finally:
            for daemon in daemons:
                daemon.stop(timeout=30)
            db.dispose()
    return {"polls_s": polls_s, "fan_out_s": fan_out, "deliveries_s": SUBSCRIBERS / fan_out}


def run() -> list[dict[str, Any]]:
    """The cluster figures for 1, 2 and 3 daemons."""
    rows: list[dict[str, Any]] = []
    results: dict[int, dict[str, float]] = {}
    with (
        FeedServerProcess() as server,
        webhook_receiver() as receiver,
        tempfile.TemporaryDirectory(prefix="aidwatch-bench-cluster-") as tmp,
    ):
        for count in DAEMONS:
            print(f"   {count} daemon(s)", flush=True)
            results[count] = _one_run(count, server, receiver, Path(tmp))
    one = results[DAEMONS[0]]
    for count, result in results.items():
        label = f"{count} daemon{'s' if count > 1 else ''}"
        base = one if count > 1 else None
        rows.append(
            figure(
                f"cluster {label}: unchanged polls/s ({FEEDS} feeds)",
                result["polls_s"],
                "polls/s",
                baseline=base["polls_s"] if base else None,
                baseline_name="1 daemon" if base else "",
            )
        )
        rows.append(
            figure(
                f"cluster {label}: webhook deliveries/s",
                result["deliveries_s"],
                "deliveries/s",
                baseline=base["deliveries_s"] if base else None,
                baseline_name="1 daemon" if base else "",
            )
        )
        rows.append(
            figure(f"cluster {label}: fan-out of 1 incident to {SUBSCRIBERS} webhooks", result["fan_out_s"], "s")
        )
    return rows


if __name__ == "__main__":
    import sys

    from bench.__main__ import main

    raise SystemExit(main(["cluster", *sys.argv[1:]]))
