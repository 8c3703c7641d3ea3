"""The ``feeds`` spider: polls a list of feeds and yields one Article per new entry.

Per feed: a conditional GET, feedparser (in a worker process: a large feed is ~20-150 ms of CPU), a question
to storage about which entry keys are new, then the article pages of the new entries, whose text
trafilatura extracts (in a thread too). Every feed ends in exactly one PollResult, whatever happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from alerts.models import Article, FeedState, PollResult
from alerts.settings import Settings
from alerts.store.articles import mark_entries_seen, unseen_entry_keys
from alerts.store.engine import Database
from alerts.store.feeds import record_polls
from alerts.store.tables import utcnow
from crawler.download_handler import DownloadAborted
from crawler.extract import extract_text
from crawler.feed_parser import FeedEntry, FeedParseError
from crawler.fetchpolicy import FetchRefused
from crawler.middlewares import FEED_META, RETRY_AFTER_META
from crawler.parser_pool import parser_pool
from crawler.poll_tracker import PollTracker, ProgressFunction
from crawler.pushed import PushedFeed, pushed_response
from crawler.settings import crawler_overrides
from crawler.standalone import standalone_arguments, standalone_settings

if TYPE_CHECKING:
    from alerts.ingest import Ingestor

log = logging.getLogger(__name__)

ENTRY_META = "aidwatch_entry"
KIND_META = "aidwatch_kind"
# Error statuses reach the callback so they become a PollResult with the status; 3xx redirects are
# left to RedirectMiddleware (it would pass on anything listed here).
FEED_STATUSES = [304, *range(400, 600)]
MAX_VALIDATOR_CHARS = 1000
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.8"
PASSED_HEADERS = ("Content-Type", "Content-Location", "Content-Language")


class FeedSpider(scrapy.Spider):
    """Polls the given feeds once; see the module docstring."""

    name = "feeds"
    source_kind = "rss"  # the feeds' kind this spider polls (alerts.models.SOURCE_KINDS)
    accept: str = FEED_ACCEPT  # the Accept header of listing requests

    def __init__(
        self,
        feeds: list[FeedState],
        settings: Settings,
        db: Database,
        progress: ProgressFunction | None = None,
        ingestor: Ingestor | None = None,
        pushed: dict[str, PushedFeed] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.feeds = list(feeds)
        self.pushed = pushed or {}  # feed id -> a body a WebSub hub pushed: parsed instead of fetched
        self.aidwatch = settings
        self.db = db
        self.ingestor = ingestor  # None: the pipeline builds the production one
        self.tracker = PollTracker(self._record, progress)
        self.parser = parser_pool(settings.crawler.parser_processes)
        self.tracker.summary.feeds = len(self.feeds)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """For ``scrapy crawl feeds``: apply the config file's crawler settings (run_crawl already did)."""
        super().update_settings(settings)
        if not settings.getbool("AIDWATCH_IN_PROCESS"):
            for key, value in crawler_overrides(standalone_settings()).items():
                settings.set(key, value, priority="spider")  # command-line -s still wins

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Build the spider; without ``feeds`` (``scrapy crawl feeds``) poll every enabled feed of its kind."""
        if "feeds" not in kwargs:
            kwargs.update(standalone_arguments(cls.source_kind))
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Request | Article]:
        """One request per feed; a feed with an unusable URL is recorded as failed at once."""
        for feed in self.feeds:
            if feed.id in self.pushed:  # WebSub: the body is here already; the rest is as for a poll
                meta = {FEED_META: feed, KIND_META: "feed"}
                async for output in self.parse_feed_response(pushed_response(feed, self.pushed[feed.id], meta)):
                    yield output
                continue
            if urlsplit(feed.url).scheme not in ("http", "https"):
                self._feed_failed(feed, f"unsupported URL (only http and https): {feed.url[:200]}")
                continue
            try:
                url = self.listing_url(feed)
            except ValueError as exc:  # the source kind cannot use this URL (a required parameter is missing)
                self._feed_failed(feed, str(exc))
                continue
            try:
                request = Request(
                    url,
                    callback=self.parse_feed_response,
                    errback=self.feed_errback,
                    dont_filter=True,
                    headers={"Accept": self.accept},
                    priority=10,  # feeds before article pages: results (and leases) settle sooner
                    meta={FEED_META: feed, KIND_META: "feed", "handle_httpstatus_list": FEED_STATUSES},
                )
            except ValueError as exc:
                self._feed_failed(feed, f"invalid URL: {exc}")
                continue
            yield request

    async def parse_feed_response(self, response: Response) -> AsyncIterator[Request | Article]:
        """Turn a feed response into a PollResult plus article requests (or articles) for new entries."""
        feed: FeedState = response.meta[FEED_META]
        status = response.status
        if status == 304:
            self.tracker.feed_polled(PollResult(feed.id, "not_modified", http_status=304))
            return
        if not 200 <= status < 300:
            retry_after = response.meta.get(RETRY_AFTER_META)
            self._feed_failed(feed, self.describe_status(response), http_status=status, retry_after=retry_after)
            return
        try:
            entries, bozo = await self.read_listing(feed, response)
            keys = [entry.key for entry in entries]
            new_keys = await asyncio.to_thread(unseen_entry_keys, self.db, feed.id, keys)
            new = [entry for entry in entries if entry.key in new_keys]
            linkless = [entry.key for entry in new if not entry.url]
            if linkless:  # nothing to store for them, but they must not come back as new
                await asyncio.to_thread(mark_entries_seen, self.db, feed.id, linkless, utcnow())
        except FeedParseError as exc:
            self._feed_failed(feed, str(exc), http_status=status)
            return
        except Exception as exc:  # storage down or a parser bug: this feed fails, the others go on
            log.exception("feed %s: processing failed", feed.id)
            self._feed_failed(feed, f"{type(exc).__name__}: {exc}"[:500], http_status=status)
            return
        articles = [entry for entry in new if entry.url]
        self.tracker.feed_polled(
            PollResult(
                feed.id,
                "ok",
                http_status=status,
                etag=_validator(response, "ETag"),
                last_modified=_validator(response, "Last-Modified"),
                bozo=bozo,
                entries_total=len(entries),
                entries_new=len(new),
            ),
            articles_expected=len(articles),
        )
        self.crawler.stats.inc_value("aidwatch/entries_new", len(new))
        for entry in articles:
            yield self.entry_item(feed, entry)

    def describe_status(self, response: Response) -> str:
        """The error recorded for a non-2xx answer (APIs add their message: see the API spiders)."""
        return f"HTTP {response.status}"

    def listing_url(self, feed: FeedState) -> str:
        """The URL to poll for ``feed`` (a source kind may add a parameter); ValueError names what is missing."""
        return feed.url

    async def read_listing(self, feed: FeedState, response: Response) -> tuple[list[FeedEntry], str | None]:
        """The entries of a 2xx answer, in order, and a complaint about a body that could still be read.

        Here an RSS/Atom/RDF feed through feedparser (in a worker process); other source kinds override
        this. An unreadable body raises :class:`FeedParseError` naming the problem.
        """
        headers = {name: _header(response, name) for name in PASSED_HEADERS if response.headers.get(name)}
        parsed = await self.parser.parse(response.body, response.url, headers)
        return parsed.entries, parsed.bozo_message

    def entry_item(self, feed: FeedState, entry: FeedEntry) -> Request | Article:
        """What a new entry with a link becomes: a request for its article page, or the article itself."""
        return self._article_request(feed, entry) if feed.fetch_articles else _article(feed, entry, None)

    def feed_errback(self, failure: Failure) -> None:
        """A feed request failed before a response: DNS, refused, timeout, too big, robots.txt..."""
        request: Request = failure.request  # type: ignore[attr-defined]
        feed: FeedState = request.meta[FEED_META]
        if isinstance(failure.value, DownloadAborted):
            return  # the crawl is being stopped: abandoned, not failed (the lease is given back)
        http_status = None
        if isinstance(failure.value, HttpError):
            http_status = failure.value.response.status
        self._feed_failed(feed, describe_failure(failure), http_status=http_status)

    async def parse_article(self, response: Response) -> AsyncIterator[Article]:
        """Extract an article page's text; the entry summary stands in when extraction fails."""
        feed: FeedState = response.meta[FEED_META]
        entry: FeedEntry = response.meta[ENTRY_META]
        text = None
        if isinstance(response, TextResponse):
            try:
                text = await asyncio.to_thread(_page_text, response)
            except Exception:  # a page that breaks the extractor still leaves the summary
                log.warning("feed %s: extraction failed for %s", feed.id, response.url, exc_info=True)
        self.crawler.stats.inc_value("aidwatch/pages_extracted" if text else "aidwatch/pages_unusable")
        yield _article(feed, entry, text)

    async def article_errback(self, failure: Failure) -> AsyncIterator[Article]:
        """The article page could not be fetched: keep the entry with its summary, unless it was refused.

        A refused link (it, or a redirect on the way, points at a private or loopback address) drops the
        entry: nothing of it is stored or published, it is marked seen so that it does not come back, and
        the feed's poll is recorded as an error naming the link.
        """
        request: Request = failure.request  # type: ignore[attr-defined]
        feed: FeedState = request.meta[FEED_META]
        entry: FeedEntry = request.meta[ENTRY_META]
        if isinstance(failure.value, DownloadAborted):
            return  # stopping: the feed stays open and unrecorded, its entries are retried next poll
        reason = describe_failure(failure)
        if isinstance(failure.value, FetchRefused):
            log.warning("feed %s: %s", feed.id, reason)
            try:
                await asyncio.to_thread(mark_entries_seen, self.db, feed.id, [entry.key], utcnow())
            except Exception as exc:  # storage down: the entry comes back next poll and is refused again
                self.tracker.article_done(feed.id, None, f"{type(exc).__name__}: {exc}"[:300])
                return
            self.tracker.article_refused(feed.id, reason)
            return
        log.info("feed %s: article %s not fetched: %s", feed.id, entry.link, reason)
        self.crawler.stats.inc_value("aidwatch/pages_failed")
        yield _article(feed, entry, None)

    def _article_request(self, feed: FeedState, entry: FeedEntry) -> Request | Article:
        try:
            return Request(
                entry.link or "",
                callback=self.parse_article,
                errback=self.article_errback,
                dont_filter=True,
                meta={FEED_META: feed, ENTRY_META: entry, KIND_META: "article"},
            )
        except ValueError:
            return _article(feed, entry, None)

    def _feed_failed(
        self, feed: FeedState, error: str, *, http_status: int | None = None, retry_after: float | None = None
    ) -> None:
        log.warning("feed %s failed: %s (%s)", feed.id, error, _origin(feed.url))
        self.tracker.feed_polled(
            PollResult(feed.id, "error", http_status=http_status, error=error, retry_after_seconds=retry_after)
        )

    async def _record(self, results: list[PollResult]) -> None:
        crawler = self.aidwatch.crawler
        await asyncio.to_thread(
            record_polls, self.db, results, utcnow(), jitter=crawler.jitter, max_backoff=crawler.max_backoff
        )

    async def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        await self.tracker.close([feed.id for feed in self.feeds], completed=reason == "finished")


def describe_failure(failure: Failure) -> str:
    """A one-line reason for a failed request, fit for ``aidwatch feeds`` and the API."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        return str(exc) or "request ignored"
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}"[:500] if message else type(exc).__name__


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:100]
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url[:100]


def _page_text(response: TextResponse) -> str | None:
    return extract_text(response.text, response.url)


def _article(feed: FeedState, entry: FeedEntry, text: str | None) -> Article:
    return Article(
        feed_id=feed.id,
        url=entry.url or entry.link or "",
        entry_key=entry.key,
        title=entry.title,
        text=text or entry.summary or entry.title,
        published=entry.published,
        language=feed.language or entry.language,
        summary=entry.summary,
        text_source="page" if text else "summary",
    )


def _header(response: Response, name: str) -> str:
    value = response.headers.get(name) or b""
    return value.decode("latin-1")


def _validator(response: Response, name: str) -> str | None:
    value = _header(response, name).strip()
    return value if value and len(value) <= MAX_VALIDATOR_CHARS else None
