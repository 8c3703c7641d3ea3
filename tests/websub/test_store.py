"""WebSub subscriptions in storage, on SQLite and PostgreSQL: lease, renewal, lapse, deferred polls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alerts.models import FeedSource, PollResult
from alerts.store import Database
from alerts.store.feeds import add_feed, get_feed, record_poll
from alerts.store.tables import utcnow
from alerts.store.websub import (
    confirm_intent,
    defer_polls,
    due_for_renewal,
    expire_subscriptions,
    feeds_to_discover,
    get_subscription,
    record_no_hub,
    start_subscription,
    subscription_failed,
)
from tests.support.databases import migrated_database

HUB, TOPIC = "https://hub.example/", "https://news.example/feed.xml"
DAY = 86400.0


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as database:
        add_feed(database, FeedSource(id="outlet", url=TOPIC, interval_seconds=900))
        yield database


def live(db: Database, now: datetime, lease: float = 10 * DAY) -> str:
    """A verified subscription of ``outlet``; returns its token."""
    pending = start_subscription(db, "outlet", HUB, TOPIC, now)
    assert pending is not None
    assert confirm_intent(db, pending.token, "subscribe", TOPIC, lease, now, DAY)
    return pending.token


def next_poll(db: Database) -> datetime:
    feed = get_feed(db, "outlet")
    assert feed is not None
    return feed.next_poll_at


def test_a_new_feed_is_to_discover_and_a_hubless_one_only_when_due(db: Database) -> None:
    now = utcnow()
    assert [f.feed_id for f in feeds_to_discover(db, now, 10)] == ["outlet"]
    record_no_hub(db, "outlet", now, now + timedelta(days=1))
    assert feeds_to_discover(db, now + timedelta(hours=1), 10) == []
    assert [f.feed_id for f in feeds_to_discover(db, now + timedelta(days=2), 10)] == ["outlet"]


@pytest.mark.parametrize(
    ("lease", "deferred_by"),
    [
        pytest.param(10 * DAY, timedelta(days=1), id="long-lease-safety-poll-first"),
        pytest.param(7200, timedelta(hours=2), id="short-lease-its-end-first"),
    ],
)
def test_verification_defers_polls_to_the_lease_end_or_the_safety_poll(
    db: Database, lease: float, deferred_by: timedelta
) -> None:
    now = utcnow()
    live(db, now, lease=lease)
    assert abs(next_poll(db) - (now + deferred_by)) < timedelta(seconds=1)


def test_polls_recorded_during_a_lease_are_deferred_again(db: Database) -> None:
    now = utcnow()
    live(db, now, lease=10 * DAY)
    # A poll (or a push) records its next interval poll; deferral moves it to the safety poll.
    record_poll(db, PollResult("outlet", "ok"), now)
    assert next_poll(db) < now + timedelta(hours=1)
    assert defer_polls(db, now, safety_interval=DAY) == 1
    assert abs(next_poll(db) - (now + timedelta(days=1))) < timedelta(seconds=1)
    assert defer_polls(db, now, safety_interval=DAY) == 0


def test_renewal_keeps_the_callback_and_secret_and_a_new_request_changes_them(db: Database) -> None:
    now = utcnow()
    token = live(db, now, lease=3600)
    before = get_subscription(db, "outlet")
    assert before is not None
    assert due_for_renewal(db, now + timedelta(minutes=10), renew_before=600) == []
    assert [s.feed_id for s in due_for_renewal(db, now + timedelta(minutes=51), renew_before=600)] == ["outlet"]
    renewing = start_subscription(db, "outlet", HUB, TOPIC, now + timedelta(minutes=51))
    assert renewing is not None and (renewing.token, renewing.secret) == (token, before.secret)
    assert renewing.status == "active"  # pushes go on being taken while the renewal is verified
    subscription_failed(db, "outlet", now, "hub down", now + timedelta(hours=1))
    fresh = start_subscription(db, "outlet", HUB, TOPIC, now + timedelta(hours=2))
    assert fresh is not None and fresh.token != token and fresh.secret != before.secret
    assert fresh.status == "pending"


def test_a_short_lease_is_renewed_half_way(db: Database) -> None:
    now = utcnow()
    live(db, now, lease=4)
    assert due_for_renewal(db, now + timedelta(seconds=1), renew_before=3600) == []
    assert len(due_for_renewal(db, now + timedelta(seconds=2), renew_before=3600)) == 1


@pytest.mark.parametrize(
    ("verified", "later", "status"),
    [
        pytest.param(True, timedelta(hours=2), "failed", id="lease-lapsed"),
        pytest.param(False, timedelta(minutes=5), "failed", id="never-verified"),
        pytest.param(True, timedelta(minutes=5), "active", id="live-lease-stays"),
        pytest.param(False, timedelta(seconds=30), "pending", id="still-waiting-for-the-hub"),
    ],
)
def test_lapses_and_unverified_requests_fall_back_to_polling(
    db: Database, verified: bool, later: timedelta, status: str
) -> None:
    now = utcnow()
    if verified:
        live(db, now, lease=3600)
    else:
        start_subscription(db, "outlet", HUB, TOPIC, now)
    when = now + later
    expired = expire_subscriptions(db, when, verify_timeout=120, retry_at=when + timedelta(hours=1))
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == status
    assert expired == (["outlet"] if status == "failed" else [])
    if verified and status == "failed":
        assert next_poll(db) <= when  # the deferred poll comes back at once


def test_only_a_wanted_subscribe_for_the_same_topic_is_confirmed(db: Database) -> None:
    now = utcnow()
    pending = start_subscription(db, "outlet", HUB, TOPIC, now)
    assert pending is not None
    assert not confirm_intent(db, pending.token, "subscribe", "https://news.example/other.xml", 60, now, DAY)
    assert not confirm_intent(db, pending.token, "unsubscribe", TOPIC, 60, now, DAY)
    assert not confirm_intent(db, "another-token", "subscribe", TOPIC, 60, now, DAY)
    assert confirm_intent(db, pending.token, "subscribe", TOPIC, 60, now, DAY)
    assert confirm_intent(db, pending.token, "subscribe", TOPIC, 60, now, DAY), "a hub may reconfirm a live one"
    subscription_failed(db, "outlet", now, "lease lapsed", now + timedelta(hours=1))
    assert not confirm_intent(db, pending.token, "subscribe", TOPIC, 60, now, DAY), "we gave up on it"
