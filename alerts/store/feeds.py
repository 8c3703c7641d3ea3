"""Feeds and their polling state: the list and its sync, each poll's outcome and the next poll's time.

The schedule lives in this table; who polls a due feed is settled by its lease (:mod:`alerts.store.feed_leases`).
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from alerts.limits import MAX_DURATION, MAX_FEED_INTERVAL, MIN_FEED_INTERVAL
from alerts.models import FeedSource, PollResult
from alerts.store.engine import Database
from alerts.store.locks import ClusterLock, lock_in_transaction
from alerts.store.tables import FeedRow, utcnow

MAX_ERROR_TEXT = 2000
log = logging.getLogger(__name__)


class FeedExistsError(ValueError):
    """A feed with this id is already configured."""


@dataclass(frozen=True, slots=True)
class FeedView:
    """A feed as operators see it (``aidwatch feeds``, the admin API)."""

    id: str
    url: str
    interval_seconds: int
    language: str | None
    fetch_articles: bool
    kind: str
    origin: str
    enabled: bool
    last_poll_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    last_status: str | None
    last_http_status: int | None
    last_error: str | None
    bozo: str | None
    error_count: int
    polls: int
    entries_seen: int


def _view(row: FeedRow) -> FeedView:
    return FeedView(
        id=row.id,
        url=row.url,
        interval_seconds=row.interval_seconds,
        language=row.language,
        fetch_articles=row.fetch_articles,
        kind=row.kind,
        origin=row.origin,
        enabled=row.enabled,
        last_poll_at=row.last_poll_at,
        last_success_at=row.last_success_at,
        next_poll_at=row.next_poll_at,
        last_status=row.last_status,
        last_http_status=row.last_http_status,
        last_error=row.last_error,
        bozo=row.bozo,
        error_count=row.error_count,
        polls=row.polls,
        entries_seen=row.entries_seen,
    )


def sync_feed_list(db: Database, sources: Sequence[FeedSource], now: datetime | None = None) -> int:
    """Make the file-origin feeds match ``sources``; returns how many rows changed.

    Feeds removed from the file are disabled, not deleted, so their seen entries survive a mistake.
    Feeds added through the API are left alone unless the file now claims the same id. Daemons sharing
    one PostgreSQL sync one at a time (an advisory lock), so none inserts a feed another just inserted.
    """
    now = now or utcnow()
    changed = 0
    wanted = {source.id: source for source in sources}
    with db.session() as session:
        lock_in_transaction(session, ClusterLock.FEED_LIST_SYNC)
        rows = {row.id: row for row in session.scalars(select(FeedRow))}
        for source in sources:
            row = rows.get(source.id)
            if row is None:
                session.add(_new_row(source, "file", now))
                changed += 1
                continue
            before = (
                row.url,
                row.interval_seconds,
                row.language,
                row.fetch_articles,
                row.kind,
                row.enabled,
                row.origin,
            )
            if row.url != source.url or row.kind != source.kind:
                row.etag = row.last_modified = None  # validators belong to the old URL
                row.next_poll_at = now
            row.url, row.interval_seconds = source.url, source.interval_seconds
            row.language, row.fetch_articles = source.language, source.fetch_articles
            row.kind = source.kind
            row.enabled, row.origin = True, "file"
            changed += before != (
                row.url,
                row.interval_seconds,
                row.language,
                row.fetch_articles,
                row.kind,
                True,
                "file",
            )
        for row in rows.values():
            if row.origin == "file" and row.id not in wanted and row.enabled:
                row.enabled = False
                changed += 1
    return changed


def _new_row(source: FeedSource, origin: str, now: datetime) -> FeedRow:
    return FeedRow(
        id=source.id,
        url=source.url,
        interval_seconds=source.interval_seconds,
        language=source.language,
        fetch_articles=source.fetch_articles,
        kind=source.kind,
        origin=origin,
        enabled=True,
        created_at=now,
        next_poll_at=now,
        error_count=0,
        polls=0,
        entries_seen=0,
    )


def add_feed(db: Database, source: FeedSource, origin: str = "api") -> FeedView:
    """Add a feed (polled at the next tick); raises FeedExistsError when the id is taken."""
    now = utcnow()
    with db.session() as session:
        existing = session.get(FeedRow, source.id)
        if existing is not None and existing.enabled:
            raise FeedExistsError(source.id)
        if existing is not None:
            session.delete(existing)
            session.flush()
        row = _new_row(source, origin, now)
        session.add(row)
        session.flush()
        return _view(row)


def delete_feed(db: Database, feed_id: str) -> bool:
    """Delete a feed and its seen entries (stored articles stay); False when it does not exist."""
    with db.session() as session:
        row = session.get(FeedRow, feed_id)
        if row is None:
            return False
        session.delete(row)
        return True


def get_feed(db: Database, feed_id: str) -> FeedView | None:
    """One feed, or None."""
    with db.session() as session:
        row = session.get(FeedRow, feed_id)
        return _view(row) if row is not None else None


def list_feeds(db: Database, include_disabled: bool = False) -> list[FeedView]:
    """All feeds, ordered by id."""
    query = select(FeedRow).order_by(FeedRow.id)
    if not include_disabled:
        query = query.where(FeedRow.enabled.is_(True))
    with db.session() as session:
        return [_view(row) for row in session.scalars(query)]


def next_delay(
    interval: float,
    error_count: int,
    retry_after: float | None,
    *,
    jitter: float,
    max_backoff: float,
    rng: random.Random,
) -> float:
    """Seconds until the next poll: the interval with jitter, doubled per consecutive failure.

    Always between 1 s and MAX_DURATION, whatever is stored or configured: an interval saved before
    intervals had a range must not overflow ``now + delay`` and fail its whole batch's recording.
    """
    interval = min(max(interval, MIN_FEED_INTERVAL), MAX_FEED_INTERVAL) if math.isfinite(interval) else 900.0
    max_backoff = min(max_backoff, MAX_FEED_INTERVAL) if math.isfinite(max_backoff) else MAX_FEED_INTERVAL
    jitter = min(max(jitter, 0.0), 0.5) if math.isfinite(jitter) else 0.0
    if retry_after is not None and not math.isfinite(retry_after):
        retry_after = None
    if error_count > 0:
        delay = min(interval * 2 ** min(error_count, 20), max_backoff)
        delay = max(delay, interval)
    else:
        delay = interval
    delay *= 1 + rng.uniform(-jitter, jitter)
    if retry_after is not None:
        delay = max(delay, min(retry_after, max_backoff))
    return min(max(delay, 1.0), MAX_DURATION)


def record_poll(
    db: Database,
    result: PollResult,
    now: datetime,
    *,
    jitter: float = 0.1,
    max_backoff: float = 21600.0,
    rng: random.Random | None = None,
) -> datetime | None:
    """Store a poll's outcome, schedule the next poll and release the lease; returns next_poll_at."""
    return record_polls(db, [result], now, jitter=jitter, max_backoff=max_backoff, rng=rng)[0]


def record_polls(
    db: Database,
    results: Sequence[PollResult],
    now: datetime,
    *,
    jitter: float = 0.1,
    max_backoff: float = 21600.0,
    rng: random.Random | None = None,
) -> list[datetime | None]:
    """:func:`record_poll` for several feeds in ONE transaction (a crawl finishes hundreds per second).

    Returns each result's next_poll_at (None for a feed deleted while it was polled).
    """
    rng = rng or random.Random()
    with db.session() as session:
        ids = sorted({result.feed_id for result in results})
        rows: dict[str, FeedRow] = {}
        for start in range(0, len(ids), 500):
            query = select(FeedRow).where(FeedRow.id.in_(ids[start : start + 500]))
            rows.update((row.id, row) for row in session.scalars(query))
        return [
            _apply_poll(rows.get(result.feed_id), result, now, jitter=jitter, max_backoff=max_backoff, rng=rng)
            for result in results
        ]


def _apply_poll(
    row: FeedRow | None, result: PollResult, now: datetime, *, jitter: float, max_backoff: float, rng: random.Random
) -> datetime | None:
    if row is None:  # deleted while it was being polled
        return None
    row.polls += 1
    row.last_poll_at = now
    row.last_status = result.status
    row.last_http_status = result.http_status
    row.bozo = result.bozo[:MAX_ERROR_TEXT] if result.bozo else None
    row.entries_seen += result.entries_new
    if result.status == "error":
        row.error_count += 1
        row.last_error = (result.error or "unknown error")[:MAX_ERROR_TEXT]
    else:
        row.error_count = 0
        row.last_error = None
        row.last_success_at = now
        if result.status == "ok":
            # A 200 without validators means the server stopped sending them: forget the old ones.
            row.etag, row.last_modified = result.etag, result.last_modified
    try:
        delay = next_delay(
            row.interval_seconds,
            row.error_count,
            result.retry_after_seconds,
            jitter=jitter,
            max_backoff=max_backoff,
            rng=rng,
        )
        row.next_poll_at = now + timedelta(seconds=delay)
    except (ArithmeticError, ValueError) as exc:
        # One feed's odd value must not fail the transaction that records its whole batch.
        log.error("feed %s: cannot schedule its next poll (%s); trying again in an hour", row.id, exc)
        row.next_poll_at = now + timedelta(hours=1)
    row.lease_owner = row.lease_until = None
    return row.next_poll_at
