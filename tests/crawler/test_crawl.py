"""Crawls against the local feed server: new articles stored once, 304, restart, robots.txt, headers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.store import Database
from alerts.store.tables import ArticleRow
from crawler.crawl_runner import CrawlSummary, run_crawl
from crawler.feed_parser import parse_feed
from crawler.middlewares import CachedRobotsTxtMiddleware
from crawler.reactor import ReactorError
from tests.crawler.helpers import (
    SeenEntry,
    add_feeds,
    count,
    database,
    feed_row,
    lease,
    quiet_ingestor,
    settings_for_tests,
)
from tests.support.feed_server import FeedServer, rss
from tests.support.shared import CORPUS_FEEDS

pytestmark = pytest.mark.asyncio(loop_scope="session")


def items(server: FeedServer, prefix: str, n: int) -> list[tuple[str, str]]:
    return [(server.url(f"/articles/{prefix}-{i}"), f"{prefix} headline {i}") for i in range(n)]


async def crawl(db: Database, ids: list[str] | None = None, **crawler: object) -> CrawlSummary:
    return await run_crawl(settings_for_tests(**crawler), db, lease(db, ids), ingestor=quiet_ingestor(db))


def articles(db: Database) -> list[ArticleRow]:
    with db.session() as session:
        rows = list(session.scalars(select(ArticleRow).order_by(ArticleRow.url)))
        session.expunge_all()
        return rows


async def test_new_articles_once_then_not_modified_then_only_the_new_entry(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.feed("/once/feed.xml", rss(items(feed_server, "once", 3)))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"once": url})

    first = await crawl(db)
    assert first.as_json() == {
        "feeds": 1,
        "not_modified": 0,
        "failed": 0,
        "entries_new": 3,
        "articles": 3,
        "incidents_new": 0,
        "incidents_updated": 0,
        "alerts_queued": 0,
    }
    stored = articles(db)
    assert [a.url for a in stored] == [feed_server.url(f"/articles/once-{i}") for i in range(3)]
    assert all(a.text_source == "page" and "armed men attacked a clinic" in a.text for a in stored)
    assert all("buy cheap watches" not in a.text for a in stored)
    assert stored[0].title == "once headline 0" and stored[0].language == "en"
    row = feed_row(db, "once")
    assert row.last_status == "ok" and row.etag and row.last_modified and row.entries_seen == 3

    feed_server.clear_log()
    second = await crawl(db)
    assert (second.not_modified, second.entries_new, second.articles) == (1, 0, 0)
    sent = feed_server.requests_for("/once/feed.xml")[-1].headers
    assert sent["if-none-match"] == row.etag and sent["if-modified-since"] == row.last_modified
    assert not [r for r in feed_server.requests if r.path.startswith("/articles/")]
    assert feed_server.requests_for("/robots.txt") == []  # cached across crawls
    assert feed_row(db, "once").last_status == "not_modified"

    feed_server.feed("/once/feed.xml", rss(items(feed_server, "once", 4)))
    feed_server.clear_log()
    third = await crawl(db)
    assert (third.entries_new, third.articles, third.not_modified) == (1, 1, 0)
    assert [r.path for r in feed_server.requests if r.path.startswith("/articles/")] == ["/articles/once-3"]
    assert count(db, ArticleRow) == 4 and count(db, SeenEntry, "once") == 4


async def test_restart_reprocesses_nothing(feed_server: FeedServer, tmp_path: Path) -> None:
    # No validators: every poll downloads the whole feed, so only the seen-store can tell what is new.
    url = feed_server.route(
        "/restart/feed.xml", body=rss(items(feed_server, "restart", 5)).encode(), content_type="application/rss+xml"
    )
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"restart": url})
    assert (await crawl(db)).articles == 5
    db.dispose()

    restarted = database(tmp_path / "aidwatch.db")
    feed_server.clear_log()
    again = await crawl(restarted)
    assert (again.entries_new, again.articles, again.not_modified, again.failed) == (0, 0, 0, 0)
    assert not [r for r in feed_server.requests if r.path.startswith("/articles/")]
    assert count(restarted, ArticleRow) == 5


async def test_configured_user_agent_and_feed_accept_header(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.feed("/ua/feed.xml", rss(items(feed_server, "ua", 1)))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"ua": url})
    await crawl(db, user_agent="aidwatch-test/9.9 (+mailto:ops@example.org)")
    feed_request = feed_server.requests_for("/ua/feed.xml")[-1]
    assert feed_request.headers["user-agent"] == "aidwatch-test/9.9 (+mailto:ops@example.org)"
    assert "application/rss+xml" in feed_request.headers["accept"]
    assert feed_server.requests_for("/articles/ua-0")[-1].headers["user-agent"].startswith("aidwatch-test/9.9")


async def test_robots_txt_disallow_is_honoured(feed_server: FeedServer, tmp_path: Path) -> None:
    private_feed = feed_server.feed("/private/feed.xml", rss(items(feed_server, "robots", 1)))
    public_feed = feed_server.feed(
        "/robots/feed.xml", rss([(feed_server.url("/private/article-1"), "Private article")])
    )
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"private": private_feed, "public": public_feed})
    summary = await crawl(db)
    assert summary.failed == 1
    assert feed_row(db, "private").last_error == "Forbidden by robots.txt"
    assert feed_server.requests_for("/private/feed.xml") == []
    # An article page robots.txt forbids is not fetched: the entry is kept with its summary.
    assert feed_server.requests_for("/private/article-1") == []
    (stored,) = articles(db)
    assert stored.text_source == "summary" and stored.text == "Summary of Private article"


async def test_robots_txt_is_fetched_once_across_crawls(feed_server: FeedServer, tmp_path: Path) -> None:
    CachedRobotsTxtMiddleware.forget()
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"r": feed_server.feed("/robots-once/feed.xml", rss([]))})
    feed_server.clear_log()
    for _ in range(3):
        await crawl(db)
    assert len(feed_server.requests_for("/robots.txt")) == 1
    assert len(feed_server.requests_for("/robots-once/feed.xml")) == 3


async def test_article_pages_that_fail_keep_the_summary(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.route("/pages/gone", body=b"gone", status=404)
    feed_server.route("/pages/broken", body=b"oops", status=500)
    feed_server.route("/pages/pdf", body=b"%PDF-1.4 binary", content_type="application/pdf")
    feed_server.route("/pages/empty", body=b"<html><body></body></html>")
    links = [(feed_server.url(f"/pages/{name}"), f"Page {name}") for name in ("gone", "broken", "pdf", "empty")]
    url = feed_server.feed("/pages/feed.xml", rss(links))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"pages": url})
    summary = await crawl(db)
    assert (summary.failed, summary.articles) == (0, 4)
    assert {(a.text_source, a.text) for a in articles(db)} == {
        ("summary", f"Summary of Page {name}") for name in ("gone", "broken", "pdf", "empty")
    }


async def test_fetch_articles_off_stores_summaries_without_fetching(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.feed("/nofetch/feed.xml", rss(items(feed_server, "nofetch", 2)))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"nofetch": url}, fetch_articles=False)
    assert (await crawl(db)).articles == 2
    assert feed_server.requests_for("/articles/nofetch-0") == []
    assert {a.text_source for a in articles(db)} == {"summary"}


@pytest.mark.shared(CORPUS_FEEDS)
async def test_every_shared_feed_crawls_and_is_recorded(feed_server: FeedServer, tmp_path: Path) -> None:
    names = sorted(p.name for p in CORPUS_FEEDS.glob("*.xml"))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {name.split(".")[0][:90]: feed_server.url(f"/corpus/{name}") for name in names}, fetch_articles=False)
    summary = await crawl(db)
    assert summary.feeds == len(names) and summary.failed == 0, summary
    for name in names:
        row = feed_row(db, name.split(".")[0][:90])
        assert (row.last_status, row.last_error) == ("ok", None), name
        assert row.entries_seen > 0, name
    assert feed_row(db, "elpais_es").bozo  # parsed by the loose parser, and flagged
    parsed = [parse_feed((CORPUS_FEEDS / name).read_bytes(), feed_server.url(f"/corpus/{name}")) for name in names]
    assert summary.entries_new == sum(len(p.entries) for p in parsed)
    # One article per distinct URL: an article two feeds carry is stored once.
    assert summary.articles == len({e.url for p in parsed for e in p.entries if e.url})


async def test_no_feeds_is_an_empty_summary(tmp_path: Path) -> None:
    db = database(tmp_path / "aidwatch.db")
    assert (await run_crawl(settings_for_tests(), db, [])).as_json()["feeds"] == 0


async def test_crawl_on_another_loop_is_refused(feed_server: FeedServer, tmp_path: Path) -> None:
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"other": feed_server.feed("/other/feed.xml", rss([]))})
    feeds = lease(db)

    def on_a_new_loop() -> None:
        asyncio.run(run_crawl(settings_for_tests(), db, feeds, ingestor=quiet_ingestor(db)))

    with pytest.raises(ReactorError, match="another event loop"):
        await asyncio.to_thread(on_a_new_loop)


async def test_summary_counts_incidents_and_progress_reports_each_feed(feed_server: FeedServer, tmp_path: Path) -> None:
    one = feed_server.feed("/count/a.xml", rss([(feed_server.url("/articles/count-1"), "Clinic ATTACK in Kunduz")]))
    two = feed_server.feed("/count/b.xml", rss([(feed_server.url("/articles/count-2"), "Kunduz clinic ATTACK")]))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"a": one, "b": two})
    done: list[str] = []
    summary = await run_crawl(
        settings_for_tests(), db, lease(db), progress=done.append, ingestor=quiet_ingestor(db, attack_word="ATTACK")
    )
    assert sorted(done) == ["a", "b"]
    assert (summary.articles, summary.incidents_new, summary.incidents_updated) == (2, 1, 0)


async def test_an_entry_that_cannot_be_stored_keeps_the_feed_unchanged(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.feed(
        "/ingest-fail/feed.xml",
        rss([(feed_server.url("/articles/if-1"), "Fine item"), (feed_server.url("/articles/if-2"), "BROKEN item")]),
    )
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"fragile": url})
    failing = await run_crawl(settings_for_tests(), db, lease(db), ingestor=quiet_ingestor(db, fail_word="BROKEN"))
    assert (failing.failed, failing.articles) == (1, 1)
    row = feed_row(db, "fragile")
    assert row.last_status == "error" and "could not be stored" in (row.last_error or "")
    # The validators did not advance: the next poll downloads the feed again and retries the entry.
    assert row.etag is None
    feed_server.clear_log()
    retried = await run_crawl(settings_for_tests(), db, lease(db), ingestor=quiet_ingestor(db))
    assert "if-none-match" not in feed_server.requests_for("/ingest-fail/feed.xml")[0].headers
    assert (retried.failed, retried.entries_new, retried.articles) == (0, 1, 1)
