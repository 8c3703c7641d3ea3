"""WebSub subscriptions (one per feed) and the polling they stand in for.

A feed with a live lease at a hub is not polled on its interval: :func:`defer_polls` moves its next poll
to the lease's end (or to the safety poll, whichever is first). Whenever the hub fails, refuses, or the
lease lapses, :func:`_resume_polling` makes the feed due at once. These are separate from the leasing
of feeds for polls (alerts/store/feeds.py), which they only read through ``next_poll_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.store.engine import Database
from alerts.store.tables import FeedRow, WebSubSubscriptionRow
from alerts.websub import new_secret, new_token

MAX_ERROR_TEXT = 1000


@dataclass(frozen=True, slots=True)
class WebSubSubscription:
    """One feed's subscription as the manager and the callback route see it."""

    feed_id: str
    token: str
    hub_url: str | None
    topic_url: str | None
    secret: str
    status: str
    pending_mode: str | None
    verified_at: datetime | None
    lease_expires_at: datetime | None
    retry_at: datetime | None
    last_error: str | None
    pushes: int


@dataclass(frozen=True, slots=True)
class FeedToDiscover:
    """A feed whose hub is to be looked for (never looked for, or due for another try)."""

    feed_id: str
    url: str


def _view(row: WebSubSubscriptionRow) -> WebSubSubscription:
    return WebSubSubscription(
        feed_id=row.feed_id,
        token=row.token,
        hub_url=row.hub_url,
        topic_url=row.topic_url,
        secret=row.secret,
        status=row.status,
        pending_mode=row.pending_mode,
        verified_at=row.verified_at,
        lease_expires_at=row.lease_expires_at,
        retry_at=row.retry_at,
        last_error=row.last_error,
        pushes=row.pushes,
    )


def get_subscription(db: Database, feed_id: str) -> WebSubSubscription | None:
    """The subscription of ``feed_id``, or None."""
    with db.session() as session:
        row = session.get(WebSubSubscriptionRow, feed_id)
        return _view(row) if row is not None else None


def subscription_by_token(db: Database, token: str) -> WebSubSubscription | None:
    """The subscription whose callback carries ``token``, or None (also when its feed is disabled)."""
    query = (
        select(WebSubSubscriptionRow)
        .join(FeedRow, FeedRow.id == WebSubSubscriptionRow.feed_id)
        .where(WebSubSubscriptionRow.token == token, FeedRow.enabled.is_(True))
    )
    with db.session() as session:
        row = session.scalars(query).first()
        return _view(row) if row is not None else None


def feeds_to_discover(db: Database, now: datetime, limit: int) -> list[FeedToDiscover]:
    """Enabled feeds with no subscription yet, or whose failed or hub-less one is due for another try."""
    query = (
        select(FeedRow.id, FeedRow.url)
        .outerjoin(WebSubSubscriptionRow, WebSubSubscriptionRow.feed_id == FeedRow.id)
        .where(FeedRow.enabled.is_(True))
        .where(FeedRow.kind == "rss")  # search APIs (gdelt, reliefweb) have no hub
        .where(
            or_(
                WebSubSubscriptionRow.feed_id.is_(None),
                WebSubSubscriptionRow.status.in_(("failed", "no_hub")) & (WebSubSubscriptionRow.retry_at <= now),
            )
        )
        .order_by(FeedRow.id)
        .limit(limit)
    )
    with db.session() as session:
        return [FeedToDiscover(feed_id, url) for feed_id, url in session.execute(query)]


def _row(session: Session, feed_id: str) -> WebSubSubscriptionRow:
    row = session.get(WebSubSubscriptionRow, feed_id)
    if row is None:
        row = WebSubSubscriptionRow(feed_id=feed_id, token=new_token(), secret=new_secret(), status="no_hub", pushes=0)
        session.add(row)
    return row


def record_no_hub(db: Database, feed_id: str, now: datetime, retry_at: datetime, error: str | None = None) -> None:
    """Discovery found no hub (or could not fetch the feed): the feed is polled; look again at ``retry_at``."""
    with db.session() as session:
        row = _row(session, feed_id)
        if row.status == "active":
            _resume_polling(session, feed_id, now)
        row.status, row.pending_mode, row.retry_at = "no_hub", None, retry_at
        row.hub_url = row.lease_expires_at = None
        row.last_error = error[:MAX_ERROR_TEXT] if error else None


def start_subscription(
    db: Database, feed_id: str, hub_url: str, topic_url: str, now: datetime
) -> WebSubSubscription | None:
    """Record that a subscription request is about to go to ``hub_url``; None when the feed is gone.

    Renewing a live subscription at the same hub and topic keeps its callback and secret, so pushes
    signed with them go on being taken while the renewal is verified. Any other request gets a new
    callback token and secret: a previous hub's pushes then land nowhere.
    """
    with db.session() as session:
        if session.get(FeedRow, feed_id) is None:
            return None
        row = _row(session, feed_id)
        renewal = row.status == "active" and row.hub_url == hub_url and row.topic_url == topic_url
        if not renewal:
            row.token, row.secret, row.status = new_token(), new_secret(), "pending"
            row.lease_expires_at = row.verified_at = None
        row.hub_url, row.topic_url = hub_url, topic_url
        row.pending_mode, row.requested_at, row.retry_at = "subscribe", now, None
        session.flush()
        return _view(row)


def subscription_failed(db: Database, feed_id: str, now: datetime, error: str, retry_at: datetime) -> None:
    """The hub failed or refused: the feed is polled from now on; subscribe again at ``retry_at``."""
    with db.session() as session:
        row = session.get(WebSubSubscriptionRow, feed_id)
        if row is None:
            return
        if row.status == "active":
            _resume_polling(session, feed_id, now)
        row.status, row.pending_mode, row.retry_at = "failed", None, retry_at
        row.lease_expires_at = None
        row.last_error = error[:MAX_ERROR_TEXT]


def confirm_intent(
    db: Database, token: str, mode: str, topic: str, lease_seconds: float, now: datetime, safety_interval: float
) -> bool:
    """Answer a hub's verification of intent: True (echo the challenge) only for a request we made.

    Only ``subscribe`` for exactly this topic is confirmed, when we asked for it and have not been
    answered yet, or when the subscription is live (a hub may reconfirm, section 5); it starts (or
    extends) the lease and defers the feed's polls as :func:`defer_polls` does. We never ask to
    unsubscribe, so that is refused; so is anything for a failed subscription.
    """
    with db.session() as session:
        row = session.scalars(select(WebSubSubscriptionRow).where(WebSubSubscriptionRow.token == token)).first()
        wanted = row is not None and (row.pending_mode == "subscribe" or row.status == "active")
        if row is None or not wanted or mode != "subscribe" or row.topic_url != topic:
            return False
        row.status, row.pending_mode, row.verified_at, row.last_error = "active", None, now, None
        row.lease_expires_at = now + timedelta(seconds=lease_seconds)
        feed = session.get(FeedRow, row.feed_id)
        if feed is not None:
            _defer(feed, row.lease_expires_at, now, safety_interval)
        return True


def record_denial(db: Database, token: str, topic: str, reason: str, now: datetime, retry_at: datetime) -> bool:
    """The hub denied (or ended) the subscription: polling resumes; True when the token and topic were ours."""
    with db.session() as session:
        row = session.scalars(select(WebSubSubscriptionRow).where(WebSubSubscriptionRow.token == token)).first()
        if row is None or row.topic_url != topic:
            return False
        feed_id = row.feed_id
    subscription_failed(db, feed_id, now, f"the hub denied the subscription: {reason}", retry_at)
    return True


def record_push(db: Database, feed_id: str, now: datetime) -> None:
    """Count one accepted push."""
    with db.session() as session:
        row = session.get(WebSubSubscriptionRow, feed_id)
        if row is not None:
            row.pushes += 1
            row.last_push_at = now


def due_for_renewal(db: Database, now: datetime, renew_before: float) -> list[WebSubSubscription]:
    """Live subscriptions to request again now: within ``renew_before`` of the lease's end, or past half of it."""
    query = (
        select(WebSubSubscriptionRow)
        .join(FeedRow, FeedRow.id == WebSubSubscriptionRow.feed_id)
        .where(
            WebSubSubscriptionRow.status == "active",
            WebSubSubscriptionRow.pending_mode.is_(None),
            FeedRow.enabled.is_(True),  # a disabled feed's lease just runs out
        )
    )
    due = []
    with db.session() as session:
        for row in session.scalars(query):
            if row.lease_expires_at is None or row.verified_at is None:
                continue
            margin = min(timedelta(seconds=renew_before), (row.lease_expires_at - row.verified_at) / 2)
            if row.lease_expires_at - margin <= now:
                due.append(_view(row))
    return due


def expire_subscriptions(db: Database, now: datetime, verify_timeout: float, retry_at: datetime) -> list[str]:
    """Lapsed leases and requests the hub never verified fall back to polling; returns the feeds affected.

    A renewal the hub did not verify in time leaves the subscription live until its lease ends, and is
    simply requested again.
    """
    asked_before = now - timedelta(seconds=verify_timeout)
    failed: list[tuple[str, str]] = []
    with db.session() as session:
        rows = session.scalars(
            select(WebSubSubscriptionRow).where(WebSubSubscriptionRow.status.in_(("active", "pending")))
        ).all()
        for row in rows:
            if row.status == "active" and row.lease_expires_at is not None and row.lease_expires_at <= now:
                failed.append((row.feed_id, "the lease lapsed before it was renewed"))
            elif row.pending_mode and row.requested_at is not None and row.requested_at <= asked_before:
                if row.status == "pending":
                    failed.append((row.feed_id, "the hub did not verify the subscription request"))
                else:
                    row.pending_mode = None
    for feed_id, error in failed:
        subscription_failed(db, feed_id, now, error, retry_at)
    return [feed_id for feed_id, _ in failed]


def defer_polls(db: Database, now: datetime, safety_interval: float) -> int:
    """Skip the interval polls of feeds with a live lease; returns how many feeds were deferred.

    Such a feed's next poll moves to the lease's end, or to ``safety_interval`` after its last poll or
    push if that comes first (a hub may fail silently). A feed being polled keeps its lease: recording
    that poll sets its next poll, which the next call defers again.
    """
    query = (
        select(FeedRow, WebSubSubscriptionRow.lease_expires_at)
        .join(WebSubSubscriptionRow, WebSubSubscriptionRow.feed_id == FeedRow.id)
        .where(WebSubSubscriptionRow.status == "active", WebSubSubscriptionRow.lease_expires_at > now)
    )
    deferred = 0
    with db.session() as session:
        for feed, lease_end in session.execute(query):
            if lease_end is not None:  # always, by the query; for the type checker
                deferred += _defer(feed, lease_end, now, safety_interval)
    return deferred


def _defer(feed: FeedRow, lease_end: datetime, now: datetime, safety_interval: float) -> bool:
    target = min(lease_end, (feed.last_poll_at or now) + timedelta(seconds=safety_interval))
    if feed.next_poll_at < target:
        feed.next_poll_at = target
        return True
    return False


def _resume_polling(session: Session, feed_id: str, now: datetime) -> None:
    # Only a live subscription deferred the feed's polls. They come back at once: entries published
    # while the hub was failing are not waited for.
    feed = session.get(FeedRow, feed_id)
    if feed is not None and feed.next_poll_at > now:
        feed.next_poll_at = now
