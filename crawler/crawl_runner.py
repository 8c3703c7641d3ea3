"""Run one crawl of a list of feeds in-process, on the running asyncio loop; stop it within a bound.

A fresh Crawler per call (~20-25 ms, no leak) keeps each tick independent:
a long-lived spider would only wake on Scrapy's 5 s heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

from scrapy.crawler import AsyncCrawlerRunner, Crawler

from alerts import metrics
from alerts.models import FeedState, PollResult
from alerts.settings import Settings
from alerts.store.engine import Database
from alerts.store.feeds import record_polls
from alerts.store.tables import utcnow
from crawler.download_handler import abort_downloads
from crawler.poll_tracker import CrawlSummary, ProgressFunction
from crawler.reactor import start_reactor
from crawler.settings import scrapy_settings
from crawler.spiders.feed_spider import FeedSpider
from crawler.spiders.gdelt import GdeltSpider
from crawler.spiders.reliefweb import ReliefWebSpider

if TYPE_CHECKING:
    from alerts.ingest import Ingestor

log = logging.getLogger(__name__)

# After a cancellation the caller (the daemon's shutdown) waits ~2 s more: abort at once, then
# give the engine this long to close.
CANCEL_BOUND_SECONDS = 1.5

_active: set[Crawler] = set()

# The spider that polls each source kind (alerts.models.SOURCE_KINDS; docs/decisions/0017-source-kinds.md).
SPIDERS: dict[str, type[FeedSpider]] = {"rss": FeedSpider, "gdelt": GdeltSpider, "reliefweb": ReliefWebSpider}

__all__ = ["CrawlSummary", "run_crawl", "stop"]


async def run_crawl(
    settings: Settings,
    db: Database,
    feeds: list[FeedState],
    *,
    progress: ProgressFunction | None = None,
    ingestor: Ingestor | None = None,
) -> CrawlSummary:
    """Crawl ``feeds`` once: poll each (fetch, parse, fetch new articles, ingest) and record its PollResult.

    Runs one fresh Crawler per source kind among ``feeds`` (the kind's spider, see :data:`SPIDERS`), side by
    side on the current loop (which must be the asyncio reactor's loop), and returns their counters added up.
    ``progress`` is called with each feed id as its poll is recorded; ``ingestor`` replaces the production one
    (tests). Cancelling the call aborts in-flight downloads and returns within about
    :data:`CANCEL_BOUND_SECONDS`; completed feeds stay recorded.
    """
    if not feeds:
        return CrawlSummary()
    start_reactor()
    _quiet_scrapy_logs()
    scrapy = scrapy_settings(settings)
    scrapy.set("AIDWATCH_IN_PROCESS", True, priority="cmdline")
    runner = AsyncCrawlerRunner(scrapy)
    by_kind: dict[str, list[FeedState]] = {}
    for feed in feeds:
        by_kind.setdefault(feed.kind, []).append(feed)
    unknown = [feed for kind in set(by_kind) - set(SPIDERS) for feed in by_kind.pop(kind)]
    if unknown:  # only a hand-edited database gets here: the feed list and the API accept known kinds only
        await _record_unknown_kinds(settings, db, unknown)
    if not by_kind:
        return CrawlSummary(feeds=len(unknown), failed=len(unknown))
    crawlers = [(kind, runner.create_crawler(SPIDERS[kind])) for kind in by_kind]
    arguments = {"settings": settings, "db": db, "progress": progress, "ingestor": ingestor}
    tasks = [runner.crawl(crawler, feeds=by_kind[kind], **arguments) for kind, crawler in crawlers]
    _active.update(crawler for _, crawler in crawlers)
    try:
        outcomes = await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
    except asyncio.CancelledError:
        await asyncio.gather(*(_stop_crawler(c, grace=0.0, bound=CANCEL_BOUND_SECONDS) for _, c in crawlers))
        for task in tasks:
            if not task.done():
                task.cancel()
        raise
    finally:
        _active.difference_update(crawler for _, crawler in crawlers)
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    summary = CrawlSummary()
    for kind, crawler in crawlers:
        spider = crawler.spider
        if not isinstance(spider, FeedSpider):  # the spider could not even be built
            raise errors[0] if errors else RuntimeError(f"the {kind} spider did not start")
        for result in spider.tracker.recorded:
            metrics.POLLS.labels(kind, result.status).inc()
        for name, value in asdict(spider.tracker.summary).items():
            setattr(summary, name, getattr(summary, name) + value)
    if errors:
        raise errors[0]
    summary.feeds += len(unknown)
    summary.failed += len(unknown)
    return summary


async def _record_unknown_kinds(settings: Settings, db: Database, feeds: list[FeedState]) -> None:
    results = [
        PollResult(feed.id, "error", error=f"unknown source kind {feed.kind!r} (known: {', '.join(SPIDERS)})")
        for feed in feeds
    ]
    for result in results:
        log.warning("feed %s failed: %s", result.feed_id, result.error)
        metrics.POLLS.labels("unknown", "error").inc()
    crawler = settings.crawler
    await asyncio.to_thread(record_polls, db, results, utcnow(), jitter=crawler.jitter, max_backoff=crawler.max_backoff)


def _quiet_scrapy_logs() -> None:
    # In-process, Scrapy's INFO lines (settings, middlewares, "Spider opened") would repeat on every
    # tick; LOG_LEVEL only applies to the handler `scrapy crawl` installs. Left alone when configured.
    scrapy_logger = logging.getLogger("scrapy")
    if scrapy_logger.level == logging.NOTSET:
        scrapy_logger.setLevel(logging.WARNING)


async def stop(timeout: float = 5.0) -> None:
    """Stop every running crawl: no new requests, in-flight ones get ``timeout`` seconds, then cut.

    Feeds whose poll completed are recorded; the others stay unrecorded (their leases are released
    by the caller or expire) so nothing is lost, only polled again.
    """
    crawlers = list(_active)
    if crawlers:
        await asyncio.gather(*(_stop_crawler(c, grace=timeout, bound=CANCEL_BOUND_SECONDS) for c in crawlers))


async def _stop_crawler(crawler: Crawler, *, grace: float, bound: float) -> None:
    stopping = asyncio.ensure_future(crawler.stop_async())
    done, _ = await asyncio.wait({stopping}, timeout=grace) if grace > 0 else (set(), set())
    if not done:
        # Engine shutdown waits for in-flight downloads; a trickling server would hold it for the
        # whole DOWNLOAD_TIMEOUT.
        crawler.signals.send_catch_log(signal=abort_downloads)
        done, _ = await asyncio.wait({stopping}, timeout=bound)
    if not done:
        log.warning("crawl did not stop within %.1f s; abandoning it", grace + bound)
        stopping.cancel()
