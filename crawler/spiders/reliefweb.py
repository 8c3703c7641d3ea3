"""The ``reliefweb`` spider: polls ReliefWeb API report searches, following pages until it reaches known reports.

A feed of kind ``reliefweb`` has the full API request as its URL (``/v1/reports`` or ``/v2/reports`` with its
query); ``appname`` comes from the URL or, when the URL has none, from ``[sources] reliefweb_appname``. With
``profile=full`` (or ``fields[include][]=body``) each report's text is in the answer, so no page is fetched for
it. Sorted newest first (``sort[]=date.created:desc``), a poll reads the next page (``links.next``) only while
every report on the current one is new, and at most :data:`MAX_PAGES` pages.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from alerts.models import Article, FeedState
from alerts.store.articles import unseen_entry_keys
from crawler.api_listing import Listing, parse_reliefweb_reports, quote
from crawler.feed_parser import FeedEntry, FeedParseError
from crawler.middlewares import FEED_META
from crawler.spiders.feed_spider import FEED_STATUSES, KIND_META, FeedSpider, describe_failure
from crawler.spiders.json_api import JsonApiListing

MAX_PAGES = 5  # pages read per poll at most: with limit=100, the 500 newest reports


class ReliefWebSpider(JsonApiListing, FeedSpider):
    """Polls ReliefWeb API report lists; see the module docstring."""

    name = "reliefweb"
    source_kind = "reliefweb"

    def listing_url(self, feed: FeedState) -> str:
        """The feed URL with ``appname`` from the config when it has none; ValueError when neither has one."""
        return self._with_appname(feed.url)

    def _with_appname(self, url: str) -> str:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if any(name == "appname" and value.strip() for name, value in query):
            return url
        appname = self.aidwatch.sources.reliefweb_appname
        if not appname:
            raise ValueError(
                "ReliefWeb needs an appname: put appname=... in the feed's URL or set [sources] reliefweb_appname"
            )
        query = [(name, value) for name, value in query if name != "appname"] + [("appname", appname)]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="[]"), parts.fragment))

    async def read_listing(self, feed: FeedState, response: Response) -> tuple[list[FeedEntry], str | None]:
        """The reports of the first page and of the following ones while they are all new (see module doc)."""
        listing = await asyncio.to_thread(parse_reliefweb_reports, response.body, response.url)
        entries, skipped = list(listing.entries), listing.skipped
        pages = 1
        while listing.next_url and pages < MAX_PAGES and await self._all_new(feed, listing):
            pages += 1
            listing = await self._page(feed, listing.next_url, pages)
            entries.extend(listing.entries)
            skipped += listing.skipped
        unique: dict[str, FeedEntry] = {}
        for entry in entries:  # a report published meanwhile shifts the pages: one may appear on two
            unique.setdefault(entry.key, entry)
        notes = [f"{skipped} reports without a title or an http(s) link skipped"] if skipped else []
        if listing.next_url and pages == MAX_PAGES and await self._all_new(feed, listing):
            notes.append(f"stopped after {MAX_PAGES} pages of new reports: older ones may be missed (poll more often)")
        return list(unique.values()), "; ".join(notes) or None

    async def _all_new(self, feed: FeedState, listing: Listing) -> bool:
        keys = [entry.key for entry in listing.entries]
        unseen = await asyncio.to_thread(unseen_entry_keys, self.db, feed.id, keys)
        return bool(keys) and len(unseen) == len(set(keys))

    async def _page(self, feed: FeedState, url: str, number: int) -> Listing:
        try:
            request = Request(
                self._with_appname(url),
                dont_filter=True,
                headers={"Accept": self.accept},
                meta={FEED_META: feed, KIND_META: "page", "handle_httpstatus_list": FEED_STATUSES},
            )
        except ValueError as exc:
            raise FeedParseError(f"ReliefWeb: page {number}: unusable next link {url[:200]!r}: {exc}") from None
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # refused by the address policy, timeout, connection failure...
            raise FeedParseError(f"ReliefWeb: page {number}: {describe_failure(Failure(exc))}") from None
        if not 200 <= response.status < 300:
            raise FeedParseError(f"ReliefWeb: page {number}: HTTP {response.status}: {quote(response.body)}")
        return await asyncio.to_thread(parse_reliefweb_reports, response.body, response.url)

    def entry_item(self, feed: FeedState, entry: FeedEntry) -> Request | Article:
        """A report with its text in the answer is the article; one without is fetched like a feed entry."""
        if not entry.summary:
            return super().entry_item(feed, entry)
        return Article(
            feed_id=feed.id,
            url=entry.url or entry.link or "",
            entry_key=entry.key,
            title=entry.title,
            text=entry.summary,
            published=entry.published,
            language=feed.language or entry.language,
            summary="",  # the report has no teaser: its text is the article (incident summaries fall back to it)
            text_source="api",
        )
