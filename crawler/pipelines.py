"""The item pipeline: hands Articles to :class:`alerts.ingest.Ingestor` in batches, in a worker thread.

Classification, storage, incident merging and alert queueing live in ``alerts``; the thread keeps
the classifier and SQLite off the event loop. Items that arrive while a batch is being ingested
form the next batch: one thread hop and one transaction per batch instead of per article.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Self, cast

from scrapy.crawler import Crawler

from alerts.models import Article
from crawler.batching import BatchRunner
from crawler.spiders.feed_spider import FeedSpider

if TYPE_CHECKING:
    from alerts.ingest import Ingestor, IngestOutcome

log = logging.getLogger(__name__)

INGEST_BATCH = 200  # articles per transaction at most


class IngestPipeline:
    """Ingests every Article item and tells the spider's poll tracker when it is done."""

    def __init__(self, crawler: Crawler, spider: FeedSpider, ingestor: Ingestor) -> None:
        self.crawler = crawler
        self.spider = spider
        self.ingestor = ingestor
        self.batches: BatchRunner[Article, IngestOutcome] = BatchRunner(self._ingest_batch, INGEST_BATCH)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Use the ingestor the runner gave the spider, else the production one."""
        spider = cast(FeedSpider, crawler.spider)
        if spider.ingestor is not None:
            return cls(crawler, spider, spider.ingestor)
        # Imported here: the classifier is loaded only by crawls that need it.
        from alerts.ingest import Ingestor, default_classifier

        threshold = spider.aidwatch.classifier.threshold
        return cls(crawler, spider, Ingestor(spider.db, default_classifier(threshold)))

    async def process_item(self, article: Article) -> Article:
        """Ingest one article; a failure is counted against its feed, never raised into Scrapy."""
        try:
            outcome = await self.batches.submit(article)
        except Exception as exc:
            log.exception("feed %s: could not store article %s", article.feed_id, article.url)
            self.crawler.stats.inc_value("aidwatch/ingest_failed")
            self.spider.tracker.article_done(article.feed_id, None, f"{type(exc).__name__}: {exc}"[:300])
            return article
        self.crawler.stats.inc_value("aidwatch/articles_stored" if outcome.stored else "aidwatch/articles_known")
        self.spider.tracker.article_done(article.feed_id, outcome)
        return article

    async def _ingest_batch(self, articles: list[Article]) -> list[IngestOutcome | Exception]:
        return await asyncio.to_thread(self.ingestor.ingest_many, articles)
