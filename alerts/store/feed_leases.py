"""Feed leases: which daemon polls which due feed until when, handed out, renewed and given back.

The feed rows themselves (the list, its sync, each poll's outcome) are in :mod:`alerts.store.feeds`;
recording a poll there also ends its lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from alerts.models import FeedState
from alerts.store.engine import Database
from alerts.store.tables import DaemonRow, FeedRow


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

    A leased feed is not handed out again until ``alerts.store.feeds.record_poll`` releases it or the
    lease expires, so one feed is never polled twice at once, and a dead daemon's feeds return to the pool. On
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
