"""Downloader middlewares: conditional GET with the feed's stored validators, Retry-After, cached robots.txt.

Scrapy's HTTP cache is the wrong tool for feeds (it serves from cache without polling, and
``Cache-Control: no-cache`` drops the validators), so the stored ETag / Last-Modified are sent here
and a 304 goes straight to the spider, which then parses nothing.
"""

from __future__ import annotations

import logging
import time
from typing import ClassVar, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from alerts.models import FeedState
from alerts.retry_after import parse_retry_after

log = logging.getLogger(__name__)

FEED_META = "aidwatch_feed"  # request.meta key: the FeedState a request polls
RETRY_AFTER_META = "aidwatch_retry_after"  # request.meta key: seconds the server asked us to wait


class ConditionalGetMiddleware:
    """Sends If-None-Match / If-Modified-Since for feed requests; notes Retry-After on 429/503."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Scrapy's constructor hook (no configuration needed)."""
        return cls()

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """Add the feed's stored validators to its request."""
        feed: FeedState | None = request.meta.get(FEED_META)
        if feed is None or request.meta.get("aidwatch_kind") != "feed":
            return
        if feed.etag:
            request.headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            request.headers["If-Modified-Since"] = feed.last_modified

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        """Record Retry-After of a 429/503 in the request's meta for the spider's PollResult."""
        if response.status in (429, 503):
            request.meta[RETRY_AFTER_META] = parse_retry_after(response.headers.get("Retry-After"))
        return response


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with parsed files kept across crawls for an hour, and quiet failures.

    Every tick builds a fresh Crawler, and the stock middleware would fetch robots.txt again on
    every poll: one extra request per feed, doubling the cost of a 304 poll. When robots.txt cannot be
    fetched, the stock middleware logs a 75-line traceback; the page request that follows fails the same
    way and is reported once, on its feed, so here the robots.txt failure is one debug line.
    """

    TTL_SECONDS = 3600.0
    _cache: ClassVar[dict[str, tuple[float, RobotParser]]] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The cached parser for the request's host while fresh, else fetched (then cached)."""
        url = urlparse_cached(request)
        netloc = url.netloc
        cached = self._cache.get(netloc)
        if cached is not None and time.monotonic() - cached[0] < self.TTL_SECONDS:
            self._parsers.setdefault(netloc, cached[1])
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robots_request = Request(
                f"{url.scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # allowed, as Scrapy does; the page request reports the failure
                log.debug("robots.txt of %s not fetched: %s", netloc, " ".join(str(exc).split()) or type(exc).__name__)
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            parser = await maybe_deferred_to_future(parser)
        if parser is not None and (cached is None or cached[1] is not parser):
            if hasattr(parser, "spider"):
                parser.spider = None  # do not keep this crawl's spider alive through the cache
            self._cache[netloc] = (time.monotonic(), parser)
        return parser

    @classmethod
    def forget(cls) -> None:
        """Drop every cached robots.txt (tests, or after a configuration change)."""
        cls._cache.clear()


__all__ = [
    "FEED_META",
    "RETRY_AFTER_META",
    "CachedRobotsTxtMiddleware",
    "ConditionalGetMiddleware",
]
