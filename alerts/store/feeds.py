"""Feeds and their polling state: the schedule lives in this table, leased by whoever polls."""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from alerts.limits import MAX_DURATION, MAX_FEED_INTERVAL, MIN_FEED_INTERVAL
from alerts.models import FeedSource, FeedState, PollResult
from alerts.store.engine import Database
from alerts.store.locks import ClusterLock, lock_in_transaction
from alerts.store.tables import DaemonRow, FeedRow, utcnow

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


def lease_due_feeds(
    db: Database,
    now: datetime,
    *,
    owner: str,
    lease_seconds: float,
    limit: int = 500,
    feed_ids: Sequence[str] | None = None,
    steal_after: float | None = None,
) -> list[FeedState]:
    """Lease the feeds whose next poll is due (or the named ones, due or not).

    A leased feed is not handed out again until ``record_poll`` releases it or the lease expires,
    so one feed is never polled twice at once, and a dead daemon's feeds return to the pool. On
    PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED``: daemons leasing at the same moment
    get disjoint batches without waiting for each other. ``limit`` is the caller's capacity.

    ``steal_after`` (seconds) shares the work between the live daemons of the registry
    (:mod:`alerts.store.daemons`): the enabled feeds, in id order, are dealt round-robin to the live
    daemons in id order, and ``owner`` leases the due feeds of its own part, plus any other due feed
    that is overdue by more than ``steal_after`` (its daemon is dead, or too busy to keep up). Without it,
    or when ``owner`` is not registered, every due feed is a candidate.
    """
    query = (
        select(FeedRow)
        .where(FeedRow.enabled.is_(True))
        .where(or_(FeedRow.lease_until.is_(None), FeedRow.lease_until < now))
        .order_by(FeedRow.next_poll_at)
        .limit(limit)
    )
    query = query.where(FeedRow.id.in_(feed_ids)) if feed_ids is not None else query.where(FeedRow.next_poll_at <= now)
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    until = now + timedelta(seconds=lease_seconds)
    with db.session() as session:
        if steal_after is not None and feed_ids is None:
            query = _own_part_or_overdue(session, query, now, owner, lease_seconds, steal_after)
        rows = list(session.scalars(query))
        for row in rows:
            row.lease_owner, row.lease_until = owner, until
        return [
            FeedState(
                id=row.id,
                url=row.url,
                interval_seconds=row.interval_seconds,
                language=row.language,
                fetch_articles=row.fetch_articles,
                etag=row.etag,
                last_modified=row.last_modified,
                error_count=row.error_count,
                kind=row.kind,
            )
            for row in rows
        ]


def _own_part_or_overdue(
    session: Session, query: Select[FeedRow], now: datetime, owner: str, lease_seconds: float, steal_after: float
) -> Select[FeedRow]:
    """Narrow ``query`` to ``owner``'s part of the feeds, or feeds overdue by more than ``steal_after``."""
    # A daemon is live while its heartbeat is younger than one lease (it beats every third of one).
    alive_since = now - timedelta(seconds=lease_seconds)
    live = list(session.scalars(select(DaemonRow.id).where(DaemonRow.seen_at >= alive_since).order_by(DaemonRow.id)))
    if owner not in live or len(live) == 1:
        return query
    numbered = (
        select(FeedRow.id, (func.row_number().over(order_by=FeedRow.id) - 1).label("position"))
        .where(FeedRow.enabled.is_(True))
        .subquery()
    )
    own_part = select(numbered.c.id).where(numbered.c.position % len(live) == live.index(owner))
    return query.where(or_(FeedRow.id.in_(own_part), FeedRow.next_poll_at <= now - timedelta(seconds=steal_after)))


def renew_leases(db: Database, owner: str, feed_ids: Sequence[str], now: datetime, lease_seconds: float) -> int:
    """Extend ``owner``'s leases on ``feed_ids`` (feeds being polled) to ``now + lease_seconds``.

    The heartbeat calls this every third of a lease, so leases can be short (a dead daemon's feeds are
    polled by another soon) while a long poll keeps its feeds. A lease another daemon has taken over is
    not touched. Returns how many leases were renewed.
    """
    if not feed_ids:
        return 0
    renewed = 0
    with db.session() as session:
        ids = sorted(set(feed_ids))
        for start in range(0, len(ids), 500):
            # SKIP LOCKED: a row being written now is a poll being recorded (which ends the lease); waiting
            # for it could deadlock with that transaction's other rows.
            held = select(FeedRow.id).where(FeedRow.id.in_(ids[start : start + 500]), FeedRow.lease_owner == owner)
            if not db.is_sqlite:
                held = held.with_for_update(skip_locked=True)
            result = session.execute(
                update(FeedRow)
                .where(FeedRow.id.in_(held.scalar_subquery()))
                .values(lease_until=now + timedelta(seconds=lease_seconds))
            )
            renewed += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return renewed


def release_leases(db: Database, owner: str, feed_ids: set[str] | None = None) -> list[str]:
    """Give back the leases ``owner`` holds (all, or those on ``feed_ids``); returns the feeds released.

    At shutdown, so the feeds are due again at once; and for feeds whose crawl ended without recording
    their poll (the database was down at that moment): they keep their ``next_poll_at`` and are polled
    again at the next tick rather than when the lease expires.
    """
    query = select(FeedRow).where(FeedRow.lease_owner == owner)
    if feed_ids is not None:
        query = query.where(FeedRow.id.in_(sorted(feed_ids)))
    with db.session() as session:
        rows = session.scalars(query).all()
        for row in rows:
            row.lease_owner = row.lease_until = None
        return sorted(row.id for row in rows)


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
