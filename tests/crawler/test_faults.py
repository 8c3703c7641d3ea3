"""Hostile and broken feeds: each ends as a recorded error on its own feed, never a crash or a stall."""

from __future__ import annotations

import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.store.tables import utcnow
from crawler.crawl_runner import run_crawl
from tests.crawler.helpers import add_feeds, database, feed_row, lease, quiet_ingestor, settings_for_tests
from tests.crawler.test_feed_parser import BILLION_LAUGHS
from tests.support.feed_server import RSS, FeedServer, gzip_bomb, rss

pytestmark = pytest.mark.asyncio(loop_scope="session")

MAX_BODY = 100_000
TIMEOUT = 2.0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fault_feeds(server: FeedServer) -> dict[str, tuple[str, str]]:
    """feed id -> (URL, text the recorded error must contain)."""
    good = rss([(server.url("/articles/fault-good"), "Good item")])
    return {
        "http500": (server.route("/f/500", body=b"boom", status=500), "HTTP 500"),
        "http404": (server.route("/f/404", body=b"nope", status=404), "HTTP 404"),
        "http429": (server.route("/f/429", body=b"", status=429, headers={"Retry-After": "7200"}), "HTTP 429"),
        "http503": (
            server.route("/f/503", body=b"", status=503, headers={"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}),
            "HTTP 503",
        ),
        "trickle": (server.route("/f/trickle", body=good.encode(), content_type=RSS, trickle=True), "took longer"),
        "loop": (server.route("/f/loop-a", redirect_to="/f/loop-b"), "max redirections"),
        "oversize": (server.route("/f/big", body=b"<rss>" + b" " * (MAX_BODY * 3), content_type=RSS), "max size"),
        "announced": (
            server.route("/f/announced", body=good.encode(), content_type=RSS, declared_length=MAX_BODY * 50),
            "max size",
        ),
        "gzipbomb": (
            server.route("/f/bomb", body=gzip_bomb(50_000_000), content_type=RSS, headers={"Content-Encoding": "gzip"}),
            "exceeded DOWNLOAD_MAXSIZE",
        ),
        "html": (server.route("/f/html", body=b"<!doctype html><html><body><p>Welcome</p></body></html>"), "HTML"),
        "empty": (server.route("/f/empty", body=b"", content_type=RSS), "empty"),
        "garbage": (server.route("/f/garbage", body=b"\x00\xff\xfe garbage {json: 1}", content_type=RSS), "not a feed"),
        "refused": (f"http://127.0.0.1:{closed_port()}/feed", "ConnectionRefused"),
        "nodns": ("http://feeds.invalid/rss", "Error"),
        "badscheme": ("file:///etc/passwd", "unsupported URL"),
    }


async def test_every_fault_is_an_error_on_its_own_feed_only(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/f/loop-b", redirect_to="/f/loop-a")
    faults = fault_feeds(feed_server)
    good = feed_server.feed("/f/good.xml", rss([(feed_server.url("/articles/fault-good"), "Good item")]))
    laughs = feed_server.feed("/f/laughs.xml", BILLION_LAUGHS)
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"good": good, "laughs": laughs, **{k: url for k, (url, _) in faults.items()}})
    settings = settings_for_tests(max_body_bytes=MAX_BODY, download_timeout=TIMEOUT)

    started = time.monotonic()
    before = utcnow()
    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT + 8, "a slow server must cost at most DOWNLOAD_TIMEOUT"
    assert summary.feeds == len(faults) + 2 and summary.failed == len(faults), summary
    assert feed_row(db, "good").last_status == "ok" and summary.articles >= 1
    assert feed_row(db, "laughs").last_status == "ok"  # parsed without entity expansion
    for feed_id, (_url, expected) in faults.items():
        row = feed_row(db, feed_id)
        assert row.last_status == "error", feed_id
        assert expected in (row.last_error or ""), (feed_id, row.last_error)
        assert row.error_count == 1 and row.lease_owner is None, feed_id
        # First failure: twice the interval (900 s, no jitter in tests), unless the server asked for more.
        assert row.next_poll_at >= before + timedelta(seconds=1800), feed_id
    assert feed_row(db, "http500").last_http_status == 500
    assert feed_row(db, "http429").next_poll_at >= before + timedelta(seconds=7200)
    # Retry-After far in the future is capped by max_backoff (6 h by default).
    assert feed_row(db, "http503").next_poll_at <= utcnow() + timedelta(seconds=21600 + 5)
    assert feed_row(db, "http503").next_poll_at >= before + timedelta(seconds=21600)


async def test_back_off_grows_with_consecutive_failures_and_resets(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.route("/backoff/feed.xml", body=b"down", status=500)
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"flaky": url})
    settings = settings_for_tests()
    delays = []
    for _ in range(3):
        before = utcnow()
        await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))
        delays.append((feed_row(db, "flaky").next_poll_at - before).total_seconds())
    assert [round(d / 900) for d in delays] == [2, 4, 8]
    assert feed_row(db, "flaky").error_count == 3

    feed_server.feed("/backoff/feed.xml", rss([]))
    before = utcnow()
    await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))
    row = feed_row(db, "flaky")
    assert (row.last_status, row.error_count, row.last_error) == ("ok", 0, None)
    assert round((row.next_poll_at - before).total_seconds() / 900) == 1
