"""What the spiders of search-API source kinds (gdelt, reliefweb) share beyond the feed spider.

Outside `crawler.spiders`: Scrapy lists every spider class with a name there, and this one is no spider of its own.
"""

from __future__ import annotations

from scrapy.http import Response

from crawler.api_listing import quote
from crawler.spiders.feed_spider import FeedSpider


class ApiSpider(FeedSpider):
    """A feed spider whose listings are JSON answers of a search API (subclasses read them)."""

    accept = "application/json"

    def describe_status(self, response: Response) -> str:
        """``HTTP 429: '<the start of the API's message>'``: APIs say why they refuse a request."""
        return f"HTTP {response.status}: {quote(response.body)}" if response.body.strip() else f"HTTP {response.status}"
