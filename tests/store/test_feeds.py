"""Feed state in storage: list sync, leasing, poll results, back-off (SQLite and PostgreSQL)."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from alerts.models import FeedSource, PollResult
from alerts.store import Database
from alerts.store.articles import mark_entries_seen, unseen_entry_keys
from alerts.store.feed_leases import lease_due_feeds, release_leases
from alerts.store.feeds import (
    FeedExistsError,
    add_feed,
    delete_feed,
    get_feed,
    list_feeds,
    next_delay,
    record_poll,
    sync_feed_list,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def source(feed_id: str, interval: int = 600, url: str | None = None) -> FeedSource:
    return FeedSource(id=feed_id, url=url or f"http://127.0.0.1:1/{feed_id}.xml", interval_seconds=interval)


def lease(db: Database, now: datetime, owner: str = "a") -> list[str]:
    return [f.id for f in lease_due_feeds(db, now, owner=owner, lease_seconds=300)]


def test_new_feeds_are_due_at_once_and_leased_once(db: Database) -> None:
    sync_feed_list(db, [source("a"), source("b")], now=T0)
    assert sorted(lease(db, T0)) == ["a", "b"]
    assert lease(db, T0 + timedelta(seconds=10), owner="other") == []


def test_lease_expires_so_a_dead_daemons_feeds_return(db: Database) -> None:
    sync_feed_list(db, [source("a")], now=T0)
    assert lease(db, T0) == ["a"]
    assert lease(db, T0 + timedelta(seconds=299), owner="b") == []
    assert lease(db, T0 + timedelta(seconds=301), owner="b") == ["a"]


def test_success_schedules_next_poll_with_jitter_and_keeps_validators(db: Database) -> None:
    sync_feed_list(db, [source("a", interval=600)], now=T0)
    [state] = lease_due_feeds(db, T0, owner="x", lease_seconds=300)
    result = PollResult(feed_id="a", status="ok", http_status=200, etag='"v1"', last_modified="Wed, 01 Jan 2026")
    next_at = record_poll(db, result, T0, jitter=0.1, rng=random.Random(1))
    assert next_at is not None and 540 <= (next_at - T0).total_seconds() <= 660
    assert lease(db, T0 + timedelta(seconds=530)) == []
    [again] = lease_due_feeds(db, T0 + timedelta(seconds=700), owner="x", lease_seconds=300)
    assert (again.etag, again.last_modified) == ('"v1"', "Wed, 01 Jan 2026")
    assert state.etag is None


def test_not_modified_keeps_validators(db: Database) -> None:
    sync_feed_list(db, [source("a")], now=T0)
    lease(db, T0)
    record_poll(db, PollResult(feed_id="a", status="ok", etag='"v1"'), T0)
    lease(db, T0 + timedelta(hours=1))
    record_poll(db, PollResult(feed_id="a", status="not_modified", http_status=304), T0 + timedelta(hours=1))
    [state] = lease_due_feeds(db, T0 + timedelta(hours=2), owner="x", lease_seconds=300)
    assert state.etag == '"v1"'


def test_errors_back_off_exponentially_and_reset_on_success(db: Database) -> None:
    sync_feed_list(db, [source("a", interval=60)], now=T0)
    now = T0
    delays = []
    for _ in range(4):
        assert lease(db, now) == ["a"]
        next_at = record_poll(db, PollResult(feed_id="a", status="error", error="HTTP 500"), now, jitter=0)
        assert next_at is not None
        delays.append((next_at - now).total_seconds())
        now = next_at
    assert delays == [120, 240, 480, 960]
    view = get_feed(db, "a")
    assert view is not None and view.error_count == 4 and view.last_error == "HTTP 500"
    lease(db, now)
    next_at = record_poll(db, PollResult(feed_id="a", status="ok"), now, jitter=0)
    assert next_at is not None and (next_at - now).total_seconds() == 60
    view = get_feed(db, "a")
    assert view is not None and view.error_count == 0 and view.last_error is None


def test_retry_after_is_honoured(db: Database) -> None:
    sync_feed_list(db, [source("a", interval=60)], now=T0)
    lease(db, T0)
    result = PollResult(feed_id="a", status="error", http_status=429, error="HTTP 429", retry_after_seconds=3600)
    next_at = record_poll(db, result, T0, jitter=0)
    assert next_at == T0 + timedelta(seconds=3600)


def test_backoff_is_capped() -> None:
    delay = next_delay(600, 30, None, jitter=0, max_backoff=3600, rng=random.Random(0))
    assert delay == 3600


def test_feed_list_changes_apply_and_removed_feeds_are_disabled(db: Database) -> None:
    sync_feed_list(db, [source("a"), source("b")], now=T0)
    assert sync_feed_list(db, [source("a"), source("b")], now=T0) == 0
    changed = sync_feed_list(db, [source("a", interval=30), source("c")], now=T0)
    assert changed == 3  # a changed, c added, b disabled
    assert [f.id for f in list_feeds(db)] == ["a", "c"]
    assert [f.id for f in list_feeds(db, include_disabled=True)] == ["a", "b", "c"]
    assert sorted(lease(db, T0)) == ["a", "c"]


def test_api_feeds_survive_feed_list_sync(db: Database) -> None:
    sync_feed_list(db, [source("a")], now=T0)
    add_feed(db, source("api-feed"))
    with pytest.raises(FeedExistsError):
        add_feed(db, source("api-feed"))
    sync_feed_list(db, [source("a")], now=T0)
    assert [f.id for f in list_feeds(db)] == ["a", "api-feed"]
    assert delete_feed(db, "api-feed") is True
    assert delete_feed(db, "api-feed") is False


def test_url_change_drops_validators(db: Database) -> None:
    sync_feed_list(db, [source("a")], now=T0)
    lease(db, T0)
    record_poll(db, PollResult(feed_id="a", status="ok", etag='"v1"'), T0)
    sync_feed_list(db, [source("a", url="http://127.0.0.1:1/moved.xml")], now=T0)
    [state] = lease_due_feeds(db, T0, owner="x", lease_seconds=60)
    assert state.url.endswith("moved.xml") and state.etag is None


def test_release_leases_makes_feeds_available_again(db: Database) -> None:
    sync_feed_list(db, [source("a")], now=T0)
    assert lease(db, T0, owner="me") == ["a"]
    release_leases(db, "me")
    assert lease(db, T0, owner="other") == ["a"]


def test_seen_entries_are_remembered_per_feed(db: Database) -> None:
    sync_feed_list(db, [source("a"), source("b")], now=T0)
    assert unseen_entry_keys(db, "a", ["k1", "k2"]) == {"k1", "k2"}
    mark_entries_seen(db, "a", ["k1"], T0)
    mark_entries_seen(db, "a", ["k1"], T0)  # idempotent
    assert unseen_entry_keys(db, "a", ["k1", "k2"]) == {"k2"}
    assert unseen_entry_keys(db, "b", ["k1"]) == {"k1"}
    many = [f"key-{i}" for i in range(1200)]
    mark_entries_seen(db, "a", many[:700], T0)
    assert unseen_entry_keys(db, "a", many) == set(many[700:])
