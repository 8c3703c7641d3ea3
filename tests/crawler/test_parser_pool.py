"""Feed parsing in worker processes: same results as in-process, and a dead or stuck parser costs one feed."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Iterator

import pytest

from crawler.feed_parser import FeedParseError, parse_feed
from crawler.parser_pool import FeedParserPool
from tests.support.feed_server import rss
from tests.support.shared import CORPUS_FEEDS

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADERS = {"Content-Type": "application/rss+xml"}
URL = "https://x.example/feed.xml"
CORPUS = sorted(p.name for p in CORPUS_FEEDS.glob("*.xml")) if CORPUS_FEEDS.is_dir() else []
BIG_FEED = rss([(f"https://x.example/a/{i}", f"Item {i} " + "word " * 40) for i in range(3000)]).encode()


@pytest.fixture
def pool() -> Iterator[FeedParserPool]:
    workers = FeedParserPool(1)
    yield workers
    workers.shutdown()


@pytest.mark.shared(CORPUS_FEEDS)
async def test_every_shared_feed_parses_in_the_worker_as_in_process(pool: FeedParserPool) -> None:
    for name in CORPUS:
        body = (CORPUS_FEEDS / name).read_bytes()
        try:
            expected = parse_feed(body, URL, HEADERS)
        except FeedParseError as exc:
            with pytest.raises(FeedParseError, match=re.escape(str(exc))):
                await pool.parse(body, URL, HEADERS)
            continue
        assert await pool.parse(body, URL, HEADERS) == expected, name
    assert len(pool.worker_pids()) == 1  # one worker served them all


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"", "empty response body", id="empty body"),
        pytest.param(b"<!doctype html><html><body>hi</body></html>", "HTML page", id="HTML page"),
    ],
)
async def test_a_body_that_is_no_feed_fails_with_the_parsers_reason(
    pool: FeedParserPool, body: bytes, message: str
) -> None:
    with pytest.raises(FeedParseError, match=message):
        await pool.parse(body, URL, HEADERS)
    assert (await pool.parse(rss([("https://x.example/a", "Fine")]).encode(), URL, HEADERS)).entries


async def test_a_parser_killed_mid_parse_fails_that_feed_and_a_new_one_takes_over(pool: FeedParserPool) -> None:
    pool.start()
    [first] = pool.worker_pids()
    parse = asyncio.ensure_future(pool.parse(BIG_FEED, URL, HEADERS))
    # Scheduled after the parse's first step (which takes the worker and sends the feed): FIFO order.
    asyncio.get_running_loop().call_soon(os.kill, first, signal.SIGKILL)
    with pytest.raises(FeedParseError, match="parser process died"):
        await parse
    parsed = await pool.parse(rss([("https://x.example/a", "After the crash")]).encode(), URL, HEADERS)
    assert parsed.entries[0].title == "After the crash"
    assert pool.worker_pids() != [first]


async def test_a_parse_over_the_time_limit_is_stopped() -> None:
    pool = FeedParserPool(1, timeout=0.05)  # a 3,000-item feed takes several times that
    try:
        with pytest.raises(FeedParseError, match="longer than"):
            await pool.parse(BIG_FEED, URL, HEADERS)
        assert pool.worker_pids() == []  # the stuck worker was killed, not left running
        pool.timeout = 30.0
        assert len((await pool.parse(BIG_FEED, URL, HEADERS)).entries) == 3000
    finally:
        pool.shutdown()


async def test_no_processes_parses_in_a_thread() -> None:
    pool = FeedParserPool(0)
    parsed = await pool.parse(rss([("https://x.example/a", "In a thread")]).encode(), URL, HEADERS)
    assert parsed.entries[0].title == "In a thread" and pool.worker_pids() == []


async def test_shutdown_ends_the_workers(pool: FeedParserPool) -> None:
    pool.start()
    pids = pool.worker_pids()
    pool.shutdown()
    assert pids and pool.worker_pids() == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
