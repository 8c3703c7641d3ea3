"""The download handler: Scrapy's HTTP/1.1 handler whose in-flight downloads a stopping crawl can cut."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response

# Sent through crawler.signals by the runner to cut in-flight downloads when a crawl must stop now.
abort_downloads = object()


class DownloadAborted(Exception):
    """The crawl was stopped while this download was in flight."""


class AbortableHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler whose in-flight downloads can be cut on ``abort_downloads``.

    Stopping an engine waits for every in-flight download, and a trickling server holds one for
    the whole DOWNLOAD_TIMEOUT; the daemon must stop within seconds.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self._inflight: set[asyncio.Future[Response]] = set()
        self._aborted = False
        crawler.signals.connect(self.abort, signal=abort_downloads)

    async def download_request(self, request: Request) -> Response:
        """Download as Scrapy does, tracked so that :meth:`abort` can cancel it."""
        if self._aborted:
            raise DownloadAborted("crawl stopped")
        future: asyncio.Future[Response] = asyncio.ensure_future(super().download_request(request))
        self._inflight.add(future)
        try:
            return await future
        except asyncio.CancelledError:
            if self._aborted and future.cancelled():
                # Scrapy's error handling expects an Exception, not a cancellation of the whole chain.
                raise DownloadAborted("crawl stopped") from None
            raise
        finally:
            self._inflight.discard(future)

    def abort(self, **_: Any) -> None:
        """Cancel every in-flight download (their requests fail with :class:`DownloadAborted`)."""
        self._aborted = True
        for future in list(self._inflight):
            future.cancel()


__all__ = ["AbortableHTTPDownloadHandler", "DownloadAborted", "abort_downloads"]
