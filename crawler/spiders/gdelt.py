"""The ``gdelt`` spider: polls GDELT DOC 2.0 searches (ArtList mode, JSON) and fetches each new article.

A feed of kind ``gdelt`` has the full API request as its URL (endpoint and query, see
``aidwatch sources gdelt-queries``). Each answer lists up to ``maxrecords`` (at most 250) articles as URL,
title and the time GDELT saw them; every new one is fetched and classified like a feed entry. Everything else,
conditional GET, politeness, robots.txt, the address policy, dedup and the poll's record, is the feed spider's.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlsplit

from scrapy.http import Response
from scrapy.settings import BaseSettings

from alerts.feedlist import GDELT_MAX_RECORDS
from alerts.models import FeedState
from crawler.api_listing import parse_gdelt_artlist
from crawler.feed_parser import FeedEntry
from crawler.spiders.feed_spider import FeedSpider
from crawler.spiders.json_api import JsonApiListing

GDELT_API_HOST = "api.gdeltproject.org"
GDELT_REQUEST_GAP = 5.0  # seconds between two requests to the API, as GDELT asks


class GdeltSpider(JsonApiListing, FeedSpider):
    """Polls GDELT DOC 2.0 ArtList searches; see the module docstring."""

    name = "gdelt"
    source_kind = "gdelt"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """GDELT asks for at most one request every 5 seconds per client: one at a time to its API host.

        Article pages are on the outlets' hosts and keep the usual per-host concurrency.
        """
        super().update_settings(settings)
        slots = {GDELT_API_HOST: {"concurrency": 1, "delay": GDELT_REQUEST_GAP, "randomize_delay": False}}
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    async def read_listing(self, feed: FeedState, response: Response) -> tuple[list[FeedEntry], str | None]:
        """The articles of an ArtList answer; a note when the answer is at its ``maxrecords`` limit."""
        listing = await asyncio.to_thread(parse_gdelt_artlist, response.body)
        notes = []
        if listing.skipped:
            notes.append(f"{listing.skipped} articles without an http(s) url skipped")
        limit = max_records(feed.url)
        if limit is not None and listing.received >= limit:
            notes.append(
                f"the answer holds maxrecords={limit} articles, the most it may: older matches may be missed "
                "(poll more often, narrow the query or shorten its timespan)"
            )
        return listing.entries, "; ".join(notes) or None


def max_records(url: str) -> int | None:
    """The ``maxrecords`` a GDELT request asks for (at most 250), or None when it does not say."""
    for name, value in parse_qsl(urlsplit(url).query):
        if name.lower() == "maxrecords" and value.strip().isdigit():
            return max(1, min(int(value), GDELT_MAX_RECORDS))
    return None
