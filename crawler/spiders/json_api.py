"""What the spiders of search-API source kinds (gdelt, reliefweb) share beyond the feed spider.

A mixin, not a spider: Scrapy lists every named Spider subclass in this package, and this is no spider of its own.
"""

from __future__ import annotations

from scrapy.http import Response

from crawler.api_listing import quote


class JsonApiListing:
    """Mixed in before FeedSpider by spiders whose listings are JSON answers of a search API."""

    accept: str = "application/json"

    def describe_status(self, response: Response) -> str:
        """``HTTP 429: '<the start of the API's message>'``: APIs say why they refuse a request."""
        return f"HTTP {response.status}: {quote(response.body)}" if response.body.strip() else f"HTTP {response.status}"
