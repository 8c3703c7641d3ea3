"""Stopping a running crawl is bounded, even against a server that trickles one byte at a time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from alerts.store import Database
from crawler import crawl_runner as runner
from crawler.crawl_runner import CrawlSummary, run_crawl
from tests.crawler.helpers import add_feeds, database, feed_row, lease, quiet_ingestor, settings_for_tests
from tests.support.feed_server import RSS, FeedServer, rss

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def started_crawl(server: FeedServer, tmp_path: Path, path: str) -> tuple[asyncio.Task[CrawlSummary], Database]:
    trickle = server.route(path, body=rss([]).encode(), content_type=RSS, trickle=True)
    quick = server.feed(path + "-quick.xml", rss([(server.url("/articles" + path + "-a"), "Quick item")]))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"slow": trickle, "quick": quick})
    # A long DOWNLOAD_TIMEOUT: only the stop path may end this crawl quickly.
    settings = settings_for_tests(download_timeout=120.0)
    quick_recorded = asyncio.Event()

    def progress(feed_id: str) -> None:
        if feed_id == "quick":
            quick_recorded.set()

    task = asyncio.create_task(run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db), progress=progress))
    arrived = await asyncio.to_thread(server.wait_for, lambda seen: any(r.path == path for r in seen), 10.0)
    assert arrived, "the crawl never reached the trickling server"
    # The quick feed's poll completes independently while the slow one trickles.
    await asyncio.wait_for(quick_recorded.wait(), timeout=10)
    return task, db


async def test_cancelling_run_poll_returns_within_the_bound(feed_server: FeedServer, tmp_path: Path) -> None:
    task, db = await started_crawl(feed_server, tmp_path, "/stop/cancel")
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=5)
    assert time.monotonic() - started < runner.CANCEL_BOUND_SECONDS + 1.0
    assert feed_row(db, "quick").last_status == "ok"  # completed feeds stay recorded
    assert feed_row(db, "slow").last_status is None  # abandoned: not counted as a failure


async def test_stop_ends_running_crawls_and_run_poll_returns(feed_server: FeedServer, tmp_path: Path) -> None:
    task, db = await started_crawl(feed_server, tmp_path, "/stop/graceful")
    started = time.monotonic()
    await runner.stop(timeout=0.5)
    summary = await asyncio.wait_for(task, timeout=5)
    assert time.monotonic() - started < 0.5 + runner.CANCEL_BOUND_SECONDS + 1.0
    assert summary.feeds == 2
    assert feed_row(db, "quick").last_status == "ok"
    assert feed_row(db, "slow").last_status is None
