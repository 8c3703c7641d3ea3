"""The tick: find the feeds that are due, lease them and start a crawl for them.

The schedule lives in the ``feeds`` table (next_poll_at, lease); APScheduler only fires this tick.
A tick never waits for its crawl: crawls run as tasks, so a slow feed does not hold back the others,
and the lease guarantees one feed is never polled twice at once. Leases are short (``[cluster] lease``)
and renewed by the daemon's heartbeat (:meth:`Ticker.renew`) while their crawl runs, so the feeds of a
daemon that died are polled by another one lease later. With several daemons each polls its own part
of the feeds (dealt round-robin among the live daemons) and takes over what the others leave overdue.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alerts import metrics
from alerts.feedlist import load_feed_list
from alerts.models import FeedState
from alerts.settings import Settings, SettingsError
from alerts.store.engine import Database
from alerts.store.feed_leases import lease_due_feeds, release_leases, renew_leases
from alerts.store.feeds import sync_feed_list
from alerts.store.outage import OutageLog, is_outage
from alerts.store.tables import utcnow
from crawler.poll_tracker import CrawlSummary, count_crawl

log = logging.getLogger(__name__)

PollFunction = Callable[[list[FeedState]], Awaitable[object]]


def daemon_identity() -> str:
    """A lease owner name unique to this process."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass
class FeedListWatcher:
    """Re-reads the feed list file when it changes, so edits apply without a restart."""

    path: Path
    default_interval: float
    default_fetch_articles: bool
    _stamp: tuple[float, int] | None = field(default=None, init=False)
    last_error: str | None = field(default=None, init=False)

    def sync(self, db: Database, now: datetime | None = None) -> bool:
        """Apply the file to the feeds table if it changed since the last call; True when applied."""
        try:
            stat = self.path.stat()
        except OSError as exc:
            self.last_error = f"{self.path}: {exc.strerror or exc}"
            return False
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == self._stamp:
            return False
        try:
            sources = load_feed_list(self.path, self.default_interval, self.default_fetch_articles)
        except SettingsError as exc:
            # A bad edit keeps the feeds as they were; the error is logged and shown by readiness.
            self.last_error = str(exc)
            self._stamp = stamp
            log.error("feed list not applied: %s", exc)
            return False
        sync_feed_list(db, sources, now)
        self._stamp, self.last_error = stamp, None
        return True


class Ticker:
    """Runs one tick at a time: sync the feed list, lease due feeds, start a crawl for them."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        poll: PollFunction,
        *,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        max_concurrent_crawls: int = 4,
    ) -> None:
        self.settings = settings
        self.db = db
        self.poll = poll
        self.clock = clock
        self.owner = owner or daemon_identity()
        self.watcher = FeedListWatcher(
            settings.crawler.feeds, settings.crawler.default_interval, settings.crawler.fetch_articles
        )
        self._slots = asyncio.Semaphore(max_concurrent_crawls)
        # Held by a tick from start to end, so that a stop waits for it (and then releases its leases).
        self._ticking = asyncio.Lock()
        self._crawls: dict[asyncio.Task[object], list[str]] = {}
        self.last_tick_ok: bool = True
        self.stopping = False
        # Feeds whose crawl has ended: a lease still held on one means its poll could not be recorded.
        self._ended: set[str] = set()
        self.outage = OutageLog("ticker", log)
        #: Feeds polled by this ticker's finished crawls (its part of the cluster's work).
        self.polls_done = 0

    @property
    def lease_seconds(self) -> float:
        """How long a feed stays leased without renewal (``[cluster] lease``)."""
        return self.settings.cluster.lease

    @property
    def steal_after(self) -> float:
        """How overdue another daemon's feed must be before this one polls it: a lease (or two ticks).

        Each daemon polls its own part of the feeds; a part whose daemon died, or cannot keep up, is
        polled by the others once its feeds are this late. Shorter, a daemon a little behind on a busy
        machine would lose its feeds to the others and the shares would drift apart.
        """
        return max(2 * self.settings.crawler.tick, self.lease_seconds)

    @property
    def polling(self) -> list[str]:
        """Ids of the feeds this ticker's running crawls hold."""
        # A copy first: /readyz reads this from a worker thread while the loop adds and removes crawls.
        return sorted({feed_id for feed_ids in list(self._crawls.values()) for feed_id in feed_ids})

    @property
    def running_crawls(self) -> int:
        """Crawls started by this ticker and not finished yet."""
        return len(self._crawls)

    async def tick(self) -> list[FeedState]:
        """One tick; returns the feeds it started polling."""
        if self.stopping or self._slots.locked():
            return []
        async with self._ticking:
            if self.stopping:
                return []
            return await self._tick()

    async def _tick(self) -> list[FeedState]:
        try:
            await asyncio.to_thread(self.watcher.sync, self.db, self.clock())
            if self._ended:
                # Before leasing, so no feed of a crawl this tick starts can be among them; and not the
                # feeds a running crawl holds: a crawl that recorded a feed early may end after the feed
                # was due and leased again, and releasing that new lease would let it be polled twice.
                ended = self._ended - set(self.polling)
                self._ended.clear()
                if ended:
                    await asyncio.to_thread(release_orphaned_leases, self.db, self.owner, ended)
            due = await asyncio.to_thread(self._lease_due)
        except Exception as exc:  # database down or locked: report not-ready, try again next tick
            self.last_tick_ok = False
            metrics.TICK_ERRORS.inc()
            if not is_outage(exc):
                log.warning("tick failed: %s", exc)
            elif self.outage.failed(exc):  # logged once per outage, not once per tick
                metrics.DATABASE_OUTAGES.labels("ticker").inc()
            return []
        self.last_tick_ok = True
        self.outage.succeeded()
        metrics.FEEDS_DUE.set(len(due))
        if due:
            await self._slots.acquire()
            task: asyncio.Task[object] = asyncio.create_task(self._crawl(due))
            self._crawls[task] = [feed.id for feed in due]
            task.add_done_callback(self._forget)
        return due

    def _lease_due(self) -> list[FeedState]:
        # The clock is read in the worker thread, just before the query: on a busy machine the thread
        # may start seconds after the tick, and a lease dated from the tick could be over when written.
        return lease_due_feeds(
            self.db,
            self.clock(),
            owner=self.owner,
            lease_seconds=self.lease_seconds,
            limit=self.settings.crawler.max_feeds_per_tick,
            steal_after=self.steal_after,
        )

    def _forget(self, task: asyncio.Task[object]) -> None:
        self._crawls.pop(task, None)

    async def renew(self) -> int:
        """Extend the leases of the feeds being polled (the heartbeat calls this every third of a lease).

        Returns how many leases were renewed; a database error propagates (the heartbeat logs outages).
        """
        polling = self.polling
        if not polling:
            return 0
        return await asyncio.to_thread(
            lambda: renew_leases(self.db, self.owner, polling, self.clock(), self.lease_seconds)
        )

    async def _crawl(self, feeds: list[FeedState]) -> object:
        try:
            with metrics.POLL_SECONDS.time():
                summary = await self.poll(feeds)
            if isinstance(summary, CrawlSummary):
                count_crawl(summary)
                self.polls_done += summary.feeds
            return summary
        except Exception:
            log.exception("crawl of %d feeds failed", len(feeds))
            return None
        finally:
            self._slots.release()
            self._ended.update(feed.id for feed in feeds)

    async def stop(self, timeout: float) -> None:
        """Let running crawls finish for up to ``timeout`` seconds, cancel the rest, release leases."""
        self.stopping = True
        async with self._ticking:  # a tick under way finishes first: its leases are released below
            pass
        if self._crawls:
            _done, pending = await asyncio.wait(set(self._crawls), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        try:
            await asyncio.to_thread(release_leases, self.db, self.owner)
        except Exception as exc:  # leases expire on their own; shutting down matters more
            log.warning("could not release feed leases: %s", exc)


def release_orphaned_leases(db: Database, owner: str, feed_ids: set[str]) -> int:
    """Give back the leases ``owner`` still holds on ``feed_ids``, whose crawls have ended; returns how many.

    A poll's result is recorded (which releases the lease) in the crawl; when the database was down or
    locked at that moment, the lease would otherwise keep the feed unpolled until it expires, and entries
    published meanwhile would wait that long. The feed keeps its ``next_poll_at``: it is polled again at
    once.
    """
    released = release_leases(db, owner, feed_ids)
    if released:
        log.warning("released the leases of feeds whose poll could not be recorded: %s", released)
    return len(released)
