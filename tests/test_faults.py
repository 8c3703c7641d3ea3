"""Faults against a real `aidwatch serve` subprocess: nothing is lost, everything recovers.

Each test runs the daemon as a user would (tests/support/daemon.py), breaks one thing it depends on,
then repairs it, and checks what came out: every alert arrives (a webhook-id twice only where the kill
fell between sending and recording), deliveries retry with backoff until the receiver is back, readiness
tells the truth while the database is unavailable, and entries published meanwhile are stored after.
Waits are conditions with deadlines (``poll_until``, the servers' ``wait_for``), never bare sleeps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import create_engine, text

from tests.support.daemon import Daemon, daemon_config, free_port, poll_until
from tests.support.databases import postgres_available, postgres_schema_url, require_postgres
from tests.support.feed_server import FeedServer, rss
from tests.support.smtp_server import smtp_server
from tests.support.webhook_receiver import ReceivedRequest, verify_standard_webhook, webhook_receiver
from tests.test_end_to_end import page

ATTACK = Path(__file__).parent / "fixtures" / "articles" / "herat_second_outlet.txt"
BUDGET = 40.0  # one wait: a poll (2 s interval) + fetch + classify + delivery, with slack for a busy CI
FAST = {"AIDWATCH_DELIVERY__BACKOFF_MAX": "8s"}


def publish_attack(feed_server: FeedServer, base: str) -> str:
    """Serve the Herat attack report on a feed of its own; returns the feed URL."""
    title, _, body = ATTACK.read_text(encoding="utf-8").partition("\n")
    article = feed_server.route(f"{base}/herat.html", body=page(title, body))
    return feed_server.feed(f"{base}/feed.xml", rss([(article, title)]))


def publish_entries(feed_server: FeedServer, base: str, count: int) -> str:
    """A feed of ``count`` plain entries (article pages from the feed server); returns its URL."""
    items = [(feed_server.url(f"/articles/{base.strip('/')}-{n}"), f"Report {n}") for n in range(count)]
    return feed_server.feed(f"{base}/feed.xml", rss(items))


def subscribe_webhook(api: httpx2.Client, target: str) -> dict[str, Any]:
    """A webhook subscription to everything; returns the 201 body."""
    response = api.post("/api/v1/subscriptions", json={"channel": "webhook", "target": target})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def delivery_log(daemon: Daemon, subscription: dict[str, Any]) -> list[dict[str, Any]]:
    """The subscription's delivery log through the API with its manage token, oldest first."""
    response = httpx2.get(
        f"{daemon.base_url}/api/v1/subscriptions/{subscription['id']}/deliveries",
        headers={"Authorization": f"Bearer {subscription['manage_token']}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["deliveries"]))


def ready_status(daemon: Daemon) -> int | None:
    """/readyz's status code, or None when the API does not answer."""
    try:
        return httpx2.get(daemon.base_url + "/readyz", timeout=5).status_code
    except httpx2.TransportError:
        return None


def outbox(daemon: Daemon) -> list[dict[str, Any]]:
    """Every outbox row: message id, status, and whether a worker holds a claim on it."""
    engine = create_engine(daemon.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT message_id, status, claimed_by FROM outbox ORDER BY id"))
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def assert_alive(daemon: Daemon) -> None:
    """The daemon process has not exited."""
    assert daemon.proc is not None and daemon.proc.poll() is None, daemon.log.read_text()[-3000:]


# --- deliveries -------------------------------------------------------------------------------------


def test_kill_9_with_deliveries_in_flight_loses_no_alert(tmp_path: Path, feed_server: FeedServer) -> None:
    """SIGKILL while three webhooks are held open by the receiver and three more wait in the outbox."""
    subscribers = 6
    with webhook_receiver() as receiver:
        gate = threading.Event()  # holds the receiver's answers: those deliveries stay in flight
        for n in range(subscribers):
            receiver.delay[f"/kill/{n}"] = gate
        config = daemon_config(tmp_path, feeds=[])
        env = FAST | {"AIDWATCH_DELIVERY__CONCURRENCY": "3"}
        first = Daemon(config, env=env).start()
        try:
            api = first.client()
            subs = [subscribe_webhook(api, f"{receiver.url}/kill/{n}") for n in range(subscribers)]
            first.set_feeds([("wire", publish_attack(feed_server, "/faults-kill"))])
            receiver.wait_for_arrivals(3, timeout=BUDGET)
            rows = outbox(first)
            assert len(rows) == subscribers, rows
            in_flight = {row["message_id"] for row in rows if row["claimed_by"]}
            assert len(in_flight) == 3, rows
        finally:
            first.stop(signal.SIGKILL)
        # The receiver now takes the held requests: they reached it, but the daemon never recorded them.
        gate.set()
        receiver.wait_for(3, timeout=10)

        with Daemon(config, env=env) as second:
            expected = {row["message_id"] for row in rows}
            poll_until(
                lambda: {r.headers["webhook-id"] for r in receiver.requests} >= expected,
                BUDGET,
                "every outbox row to reach the receiver",
            )
            second.wait_for_idle_outbox(timeout=BUDGET)
            final = outbox(second)

    assert {row["status"] for row in final} == {"delivered"}, final
    arrived = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert set(arrived) == expected  # every alert, and nothing that is not an outbox row
    duplicates = {message_id for message_id, count in arrived.items() if count > 1}
    assert duplicates <= in_flight, (duplicates, in_flight)  # twice only where the kill fell mid-send
    # ...and there always: the daemon cannot know those reached the receiver (at-least-once), once more.
    assert duplicates == in_flight and max(arrived.values()) == 2, arrived
    secrets = {f"/kill/{n}": sub["signing_secret"] for n, sub in enumerate(subs)}
    assert all(verify(secrets, r) for r in receiver.requests)


def verify(secrets: dict[str, str], request: ReceivedRequest) -> bool:
    """The request's Standard Webhooks signature checks out with its subscription's secret."""
    return verify_standard_webhook(secrets[request.path], request.headers, request.body)


def test_webhook_receiver_down_then_up_is_delivered_after_backoff(tmp_path: Path, feed_server: FeedServer) -> None:
    port = free_port()  # nothing listens here until the receiver starts: connections are refused
    config = daemon_config(tmp_path, feeds=[])
    with Daemon(config, env=FAST) as daemon:
        sub = subscribe_webhook(daemon.client(), f"http://127.0.0.1:{port}/down")
        daemon.set_feeds([("wire", publish_attack(feed_server, "/faults-hook-down"))])
        poll_until(lambda: len(delivery_log(daemon, sub)) >= 3, BUDGET, "three failed attempts")
        with webhook_receiver(port=port) as receiver:
            [request] = receiver.wait_for(1, timeout=BUDGET)
            assert verify_standard_webhook(sub["signing_secret"], request.headers, request.body)
            assert json.loads(request.body)["type"] == "incident.created"
            log = poll_until(
                lambda: (entries := delivery_log(daemon, sub)) and entries[-1]["status"] == "delivered" and entries,
                BUDGET,
                "the delivery to be logged",
            )

    *retries, delivered = log
    assert len(retries) >= 3 and {e["status"] for e in retries} == {"retry"}, log
    assert all(e["error"] for e in retries), log  # each failure says why (connection refused)
    assert delivered["response_code"] == 204
    assert len({e["message_id"] for e in log}) == 1  # one message, the same webhook-id on every attempt
    assert request.headers["webhook-id"] == delivered["message_id"]
    # Exponential backoff with equal jitter (base 1 s): gaps of 0.5-1 s, 1-2 s, 2-4 s...
    times = [datetime.fromisoformat(e["time"]) for e in log]
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert min(gaps) >= 0.4, gaps
    assert gaps[2] > gaps[0], gaps


def test_smtp_down_then_up_is_delivered(tmp_path: Path) -> None:
    """The confirmation email waits in the outbox while the mail server refuses connections."""
    port = free_port()
    config = daemon_config(tmp_path, feeds=[], extra=f'[smtp]\nhost = "127.0.0.1"\nport = {port}\ntimeout = "5s"\n')
    with Daemon(config, env=FAST) as daemon:
        created = daemon.client().post("/api/v1/subscriptions", json={"channel": "email", "target": "a@example.org"})
        assert created.status_code == 201, created.text  # an unreachable mail server never fails the request
        sub = created.json()
        poll_until(lambda: len(delivery_log(daemon, sub)) >= 2, BUDGET, "two failed attempts")
        with smtp_server(port=port) as smtp:
            [mail] = smtp.handler.wait_for(1, timeout=BUDGET)
            log = poll_until(
                lambda: (entries := delivery_log(daemon, sub)) and entries[-1]["status"] == "delivered" and entries,
                BUDGET,
                "the delivery to be logged",
            )
    assert mail.recipients == ["a@example.org"]
    assert "/confirm?token=" in mail.raw.decode()
    assert [e["status"] for e in log[:-1]] == ["retry"] * (len(log) - 1) and len(log) >= 3, log
    assert {e["kind"] for e in log} == {"confirmation"}


# --- the database -----------------------------------------------------------------------------------


def test_sqlite_locked_is_not_ready_then_recovers_without_losing_entries(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    base = "/faults-sqlite-lock"
    feed = publish_entries(feed_server, base, 3)
    config = daemon_config(tmp_path, feeds=[("wire", feed)])
    with Daemon(config) as daemon:
        daemon.wait_for_articles(3, timeout=BUDGET)
        poll_until(lambda: ready_status(daemon) == 200, BUDGET, "/readyz to be 200")
        outages = daemon.log.read_text().count("ticker: database unavailable")
        # Another process takes the write lock of the database file, as a careless backup script would.
        lock = sqlite3.connect(daemon.folder / "state" / "aidwatch.db", timeout=10, isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            publish_entries(feed_server, base, 6)  # three new entries while the database is locked
            poll_until(lambda: ready_status(daemon) == 503, BUDGET, "/readyz to report the locked database")
            # At once, not only once a tick has given up waiting for the lock (SQLite's 10 s busy timeout).
            assert daemon.log.read_text().count("ticker: database unavailable") == outages
            # Held past SQLite's busy timeout (10 s): a tick fails on the lock, which is logged once as an
            # outage (not once per tick), and the daemon carries on.
            poll_until(
                lambda: daemon.log.read_text().count("ticker: database unavailable") == outages + 1,
                BUDGET,
                "the ticker to log the locked database as an outage",
            )
            assert_alive(daemon)
            assert ready_status(daemon) == 503
            assert daemon.query("SELECT count(*) FROM articles") == 3
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        poll_until(lambda: ready_status(daemon) == 200, BUDGET, "/readyz to recover")
        daemon.wait_for_articles(6, timeout=BUDGET)
        assert daemon.query("SELECT count(*) FROM seen_entries") == 6
        log = daemon.log.read_text()
        assert log.count("ticker: database unavailable") == outages + 1  # one line for the whole outage
        assert "ticker: database available again" in log


PG_CTL = shutil.which("pg_ctlcluster")


def pg_cluster() -> list[str]:
    """``pg_ctlcluster`` arguments for this machine's own cluster (version and name)."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    return [str(PG_CTL), "--skip-systemctl-redirect", versions[-1], "main"] if PG_CTL and versions else []


def pg_ctl(action: str) -> None:
    """Stop or start the local PostgreSQL server (waits until it has done so)."""
    subprocess.run([*pg_cluster(), action], check=True, capture_output=True, timeout=60)


@pytest.fixture
def restartable_postgres() -> Iterator[None]:
    """Skip (fail under CI=true) unless we may restart the local server; it is running again afterwards."""
    reason = None
    if os.geteuid() != 0:
        reason = "restarting PostgreSQL needs root"
    elif not pg_cluster():
        reason = "pg_ctlcluster or /etc/postgresql not found"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must run the PostgreSQL restart test")
        pytest.skip(reason)
    require_postgres()
    try:
        yield
    finally:
        # Whatever happened in the test, leave the server running for everyone else.
        subprocess.run([*pg_cluster(), "start"], capture_output=True, timeout=60)  # "already running" is fine
        reason = postgres_available()
        assert reason is None, f"PostgreSQL did not come back after the test: {reason}"


@pytest.mark.postgres
def test_postgres_restart_is_not_ready_then_recovers_without_losing_entries(
    tmp_path: Path, feed_server: FeedServer, restartable_postgres: None
) -> None:
    """The server goes away while a poll is in flight: that poll cannot be recorded; nothing is lost."""
    base = "/faults-pg-restart"
    wire = publish_entries(feed_server, base, 2)
    # A feed whose response never completes: each poll of it is in flight until the 5 s download timeout.
    slow = feed_server.route(f"{base}/slow.xml", body=b"<?xml", declared_length=100_000, content_type="text/xml")
    env = {"AIDWATCH_CRAWLER__DOWNLOAD_TIMEOUT": "5s", "AIDWATCH_CRAWLER__MAX_BACKOFF": "2s"}
    with postgres_schema_url() as url:
        config = daemon_config(tmp_path, feeds=[("wire", wire), ("slow", slow)], storage_url=url)
        daemon = Daemon(config, env=env)
        daemon.db_url = url  # the helper's queries go to the same schema
        with daemon:
            daemon.wait_for_articles(2, timeout=BUDGET)
            poll_until(lambda: ready_status(daemon) == 200, BUDGET, "/readyz to be 200")
            polls = len(feed_server.requests_for(f"{base}/slow.xml"))
            assert feed_server.wait_for(
                lambda _r: len(feed_server.requests_for(f"{base}/slow.xml")) > polls, timeout=BUDGET
            )
            pg_ctl("stop")  # while that poll of the slow feed is in flight
            try:
                publish_entries(feed_server, base, 5)  # three new entries while the server is down
                items = [(feed_server.url(f"/articles/faults-pg-slow-{n}"), f"Slow {n}") for n in range(2)]
                feed_server.feed(f"{base}/slow.xml", rss(items))  # and the slow feed recovers with two
                poll_until(lambda: ready_status(daemon) == 503, BUDGET, "/readyz to report the database down")
                poll_until(
                    lambda: re.search(r"could not record the poll of feed [\w, -]*\bslow\b", daemon.log.read_text()),
                    BUDGET,
                    "the in-flight poll to end while the database is down",
                )
                assert_alive(daemon)
            finally:
                pg_ctl("start")
            poll_until(lambda: ready_status(daemon) == 200, BUDGET, "/readyz to recover")
            daemon.wait_for_articles(7, timeout=BUDGET)
            assert daemon.query("SELECT count(*) FROM seen_entries") == 7
