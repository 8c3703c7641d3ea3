"""A pushed feed body through the crawl: the poll's path without fetching the feed, deduplicated, validators kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.crawl_runner import run_crawl
from crawler.pushed import PushedFeed
from tests.crawler.helpers import (
    ArticleRow,
    SeenEntry,
    add_feeds,
    count,
    database,
    feed_row,
    lease,
    quiet_ingestor,
    settings_for_tests,
)
from tests.support.feed_server import RSS, FeedServer, rss

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("fetch_articles", [True, False], ids=["article-pages", "entries-only"])
async def test_a_pushed_body_is_crawled_like_a_polled_one(
    feed_server: FeedServer, tmp_path: Path, fetch_articles: bool
) -> None:
    name = f"pushed-{fetch_articles}"
    polled = [(feed_server.url(f"/articles/{name}-old"), "Old story")]
    feed_url = feed_server.feed(f"/{name}/feed.xml", rss(polled))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {name: feed_url}, fetch_articles=fetch_articles)
    settings = settings_for_tests()
    await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))
    etag = feed_row(db, name).etag
    assert etag and count(db, ArticleRow, name) == 1
    feed_server.clear_log()

    fresh = [(feed_server.url(f"/articles/{name}-new-{n}"), f"Fresh story {n}") for n in range(2)]
    body = rss([*fresh, *polled]).encode()
    pushed = {name: PushedFeed(name, body, RSS)}
    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db), pushed=pushed)

    assert (summary.feeds, summary.entries_new, summary.articles, summary.failed) == (1, 2, 2, 0)
    assert not feed_server.requests_for(f"/{name}/feed.xml"), "a pushed feed is not fetched"
    pages = [seen.path for seen in feed_server.requests if seen.path.startswith("/articles/")]
    assert sorted(pages) == (sorted(f"/articles/{name}-new-{n}" for n in range(2)) if fetch_articles else [])
    assert count(db, ArticleRow, name) == 3 and count(db, SeenEntry, name) == 3
    row = feed_row(db, name)
    assert row.etag == etag and row.lease_owner is None and row.last_status == "ok"

    again = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db), pushed=pushed)
    assert (again.entries_new, again.articles) == (0, 0), "the same push twice stores nothing twice"


async def test_a_pushed_body_that_is_not_a_feed_is_a_failed_poll(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_url = feed_server.feed("/pushed-broken/feed.xml", rss([]))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"broken": feed_url})
    pushed = {"broken": PushedFeed("broken", b"\x00\x01 not a feed at all", "application/octet-stream")}
    summary = await run_crawl(settings_for_tests(), db, lease(db), ingestor=quiet_ingestor(db), pushed=pushed)
    assert summary.failed == 1
    row = feed_row(db, "broken")
    assert row.last_status == "error" and row.last_error and row.lease_owner is None
    assert count(db, SeenEntry, "broken") == 0
