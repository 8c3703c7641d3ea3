"""Pushed feed bodies, from the WebSub callback to the crawl: queued, leased, crawled like polled bodies.

The callback route answers the hub at once (section 7: a 2xx means received, not processed) and puts
the body here. One worker takes what is queued, leases those feeds like a tick does (a feed being
polled, or pushed, is waited for: one feed is never crawled twice at once) and runs one crawl over
them with the bodies in place of the feed requests: the same parse, seen-entry dedup, article fetch,
classification, ingest and alerts as a poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alerts.models import FeedState
from alerts.settings import Settings
from alerts.store.engine import Database
from alerts.store.feed_leases import lease_due_feeds, release_leases
from alerts.store.tables import utcnow
from crawler.pushed import PushedFeed

log = logging.getLogger(__name__)

#: Runs one crawl of ``feeds`` with the pushed bodies (crawl_runner.run_crawl with ``pushed``).
PushCrawl = Callable[[list[FeedState], dict[str, PushedFeed]], Awaitable[object]]
MAX_QUEUED = 1000  # beyond this the callback answers 503 and the hub retries later
LEASE_RETRY_SECONDS = 0.25
# A feed leased by a poll is waited for this many retries (the poll holds it for seconds, at most
# its lease); a feed that stays leased or disabled longer loses the push: its safety poll finds the entries.
MAX_LEASE_RETRIES = 2400


@dataclass(slots=True)
class _Queued:
    pushed: PushedFeed
    waits: int = 0


class PushQueue:
    """Takes verified pushes (:meth:`offer`, the callback's sink) and crawls them (:meth:`run`)."""

    def __init__(self, settings: Settings, db: Database, crawl: PushCrawl, owner: str) -> None:
        self.settings = settings
        self.db = db
        self.crawl = crawl
        # Its own lease owner: the ticker releases leases its owner keeps on feeds whose crawl ended.
        self.owner = f"{owner[:50]}:push"
        self._queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self._waiting = 0  # pushes set aside until their feed's lease is free
        self.stopping = False
        self.busy = False  # a crawl of pushed feeds is running

    @property
    def lease_seconds(self) -> float:
        """How long a pushed feed stays leased: well past any crawl's own timeouts."""
        return max(600.0, self.settings.crawler.download_timeout * 20)

    def offer(self, feed_id: str, body: bytes, content_type: str | None) -> bool:
        """Queue one verified push; False (the hub retries) when stopping or too many are waiting."""
        if self.stopping or self._queue.qsize() + self._waiting >= MAX_QUEUED:
            return False
        self._queue.put_nowait(_Queued(PushedFeed(feed_id, body, content_type)))
        return True

    async def run(self) -> None:
        """Crawl queued pushes until cancelled; one crawl at a time, each over the feeds queued so far."""
        while not self.stopping:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self.busy = True
            try:
                await self._crawl(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("websub: crawling %d pushed feed(s) failed", len(batch))
            finally:
                self.busy = False

    async def _crawl(self, batch: list[_Queued]) -> None:
        first: dict[str, _Queued] = {}
        for item in batch:
            if item.pushed.feed_id in first:
                self._queue.put_nowait(item)  # a second push of the same feed: the next crawl takes it
            else:
                first[item.pushed.feed_id] = item
        leased = await asyncio.to_thread(
            lease_due_feeds,
            self.db,
            utcnow(),
            owner=self.owner,
            lease_seconds=self.lease_seconds,
            limit=len(first),
            feed_ids=sorted(first),
        )
        taken = {feed.id for feed in leased}
        for feed_id, item in first.items():
            if feed_id not in taken:
                self._wait_for_lease(item)
        if leased:
            await self.crawl(leased, {feed.id: first[feed.id].pushed for feed in leased})

    def _wait_for_lease(self, item: _Queued) -> None:
        item.waits += 1
        if item.waits > MAX_LEASE_RETRIES:
            log.warning("websub: push for feed %s dropped: the feed stayed leased or disabled", item.pushed.feed_id)
            return
        self._waiting += 1

        def requeue() -> None:
            self._waiting -= 1
            if not self.stopping:
                self._queue.put_nowait(item)

        asyncio.get_running_loop().call_later(LEASE_RETRY_SECONDS, requeue)

    async def release(self) -> None:
        """At shutdown: give back the leases of pushed feeds whose crawl was cut short."""
        self.stopping = True
        try:
            await asyncio.to_thread(release_leases, self.db, self.owner)
        except Exception as exc:  # the leases expire on their own
            log.warning("websub: could not release pushed feeds' leases: %s", exc)
