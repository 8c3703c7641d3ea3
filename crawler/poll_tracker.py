"""Bookkeeping of one crawl: when each feed's poll is complete, and the crawl's summary counters.

A feed's PollResult is recorded only once every new entry it announced has been ingested (or has
failed): recording stores the new ETag/Last-Modified, and a 304 on the next poll would otherwise hide
entries that were never stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from alerts import metrics
from alerts.models import PollResult

if TYPE_CHECKING:
    from alerts.ingest import IngestOutcome

log = logging.getLogger(__name__)

RecordFunction = Callable[[list[PollResult]], Awaitable[None]]  # records a batch in one transaction
ProgressFunction = Callable[[str], None]
RECORD_BATCH = 500  # polls recorded per transaction at most


@dataclass(slots=True)
class CrawlSummary:
    """What one crawl did: the ``aidwatch crawl --json`` counters (README, command line)."""

    feeds: int = 0
    not_modified: int = 0
    failed: int = 0
    entries_new: int = 0
    articles: int = 0
    incidents_new: int = 0
    incidents_updated: int = 0
    alerts_queued: int = 0

    def as_json(self) -> dict[str, int]:
        """The counters as one JSON-ready object, in the documented key order."""
        return asdict(self)


class PollTracker:
    """Counts outstanding articles per feed and records each feed's result when it is complete."""

    def __init__(self, record: RecordFunction, progress: ProgressFunction | None = None) -> None:
        self._record = record
        self._progress = progress
        self._results: dict[str, PollResult] = {}
        self._pending: dict[str, int] = {}
        self._ingest_errors: dict[str, list[str]] = {}
        self._refusals: dict[str, list[str]] = {}
        self._done: set[str] = set()
        self._queue: list[PollResult] = []
        self._flusher: asyncio.Future[None] | None = None
        self.summary = CrawlSummary()
        self.recorded: list[PollResult] = []

    def feed_polled(self, result: PollResult, articles_expected: int = 0) -> None:
        """The feed was fetched (or failed); ``articles_expected`` articles will follow for it."""
        self.summary.entries_new += result.entries_new
        self._results[result.feed_id] = result
        self._pending[result.feed_id] = self._pending.get(result.feed_id, 0) + articles_expected
        self._maybe_finish(result.feed_id)

    def article_done(self, feed_id: str, outcome: IngestOutcome | None, error: str | None = None) -> None:
        """One article of ``feed_id`` went through ingestion (``outcome``) or failed (``error``)."""
        if outcome is not None:
            self.summary.articles += int(outcome.stored)
            self.summary.incidents_new += int(outcome.incident_event == "incident.created")
            self.summary.incidents_updated += int(outcome.incident_event == "incident.updated")
            self.summary.alerts_queued += outcome.alerts_queued
        if error is not None:
            self._ingest_errors.setdefault(feed_id, []).append(error)
        self._pending[feed_id] = self._pending.get(feed_id, 0) - 1
        self._maybe_finish(feed_id)

    def article_refused(self, feed_id: str, reason: str) -> None:
        """One article link of ``feed_id`` was refused by the address policy (its entry is dropped)."""
        self._refusals.setdefault(feed_id, []).append(reason)
        self._pending[feed_id] = self._pending.get(feed_id, 0) - 1
        self._maybe_finish(feed_id)

    def _maybe_finish(self, feed_id: str) -> None:
        result = self._results.get(feed_id)
        if result is None or self._pending.get(feed_id, 0) > 0 or feed_id in self._done:
            return
        errors = self._ingest_errors.get(feed_id)
        refusals = self._refusals.get(feed_id)
        if errors and result.status != "error":
            # Not "ok": the validators must not advance past entries that were not stored.
            result.status = "error"
            result.error = f"{len(errors)} new entries could not be stored: {errors[0]}"
        elif refusals and result.status != "error":
            # An error the operator sees in `aidwatch feeds`: the feed links to places it must not.
            result.status = "error"
            more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
            result.error = f"article link {refusals[0]}{more}"
        self._finish(result)

    def _finish(self, result: PollResult) -> None:
        self._done.add(result.feed_id)
        self.summary.not_modified += int(result.status == "not_modified")
        self.summary.failed += int(result.status == "error")
        self.recorded.append(result)
        self._queue.append(result)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._record_then_report())

    async def _record_then_report(self) -> None:
        # One writer per crawl: the results that finished while a batch was written form the next
        # batch, one transaction each (a transaction per feed cost more than the poll itself).
        while self._queue:
            batch, self._queue = self._queue[:RECORD_BATCH], self._queue[RECORD_BATCH:]
            try:
                await self._record(batch)
            except Exception:  # the leases expire on their own; bookkeeping must not end the crawl
                names = ", ".join(result.feed_id for result in batch[:20])
                log.exception("could not record the poll of feed %s%s", names, " and more" if len(batch) > 20 else "")
            if self._progress is not None:
                for result in batch:
                    self._progress(result.feed_id)

    async def close(self, feed_ids: list[str], *, completed: bool) -> None:
        """End of the crawl: settle feeds left open, then wait for every record to be written.

        When the crawl ran to completion, a feed still open is a failure of this poll; when it was
        stopped, open feeds are left unrecorded (their leases are released or expire).
        """
        if completed:
            for feed_id in feed_ids:
                if feed_id in self._done:
                    continue
                result = self._results.get(feed_id) or PollResult(feed_id=feed_id, status="error")
                if result.status != "error":
                    result.status = "error"
                    result.error = f"{self._pending.get(feed_id, 0)} new entries were not processed"
                result.error = result.error or "the poll did not complete"
                self._finish(result)
        while self._flusher is not None and not self._flusher.done():
            await asyncio.gather(self._flusher, return_exceptions=True)


def count_crawl(summary: CrawlSummary) -> None:
    """Feed what one crawl found (polled or pushed) into the Prometheus metrics.

    Polls per kind and outcome (aidwatch_feed_polls_total) are counted by ``crawl_runner.run_crawl`` as
    they are recorded.
    """
    metrics.ENTRIES_NEW.inc(summary.entries_new)
    metrics.ARTICLES.inc(summary.articles)
    metrics.INCIDENTS.labels("created").inc(summary.incidents_new)
    metrics.INCIDENTS.labels("updated").inc(summary.incidents_updated)
    metrics.ALERTS_QUEUED.inc(summary.alerts_queued)
