"""A feed body a WebSub hub pushed, dressed as the response a poll would have received.

The feed spider parses it exactly like a polled body (same parser, seen-entry dedup, article fetch,
ingest); the feed's stored validators ride along so recording the push keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrapy import Request
from scrapy.http import Response

from alerts.models import FeedState


@dataclass(frozen=True, slots=True)
class PushedFeed:
    """One pushed body of one feed, with the Content-Type the hub sent."""

    feed_id: str
    body: bytes
    content_type: str | None = None


def pushed_response(feed: FeedState, pushed: PushedFeed, meta: dict[str, object]) -> Response:
    """A 200 response for ``feed``'s URL carrying the pushed body; ``meta`` is the feed request's meta."""
    headers: dict[str, str] = {}
    if pushed.content_type:
        headers["Content-Type"] = pushed.content_type
    # A push is no new version of the feed URL: the validators of the last poll stay valid for the next.
    if feed.etag:
        headers["ETag"] = feed.etag
    if feed.last_modified:
        headers["Last-Modified"] = feed.last_modified
    request = Request(feed.url, meta=meta, dont_filter=True)
    return Response(feed.url, status=200, headers=headers, body=pushed.body, request=request)
