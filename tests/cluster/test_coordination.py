"""Coordination on the database's own machinery: leases, their renewal and expiry, fair batches, the
daemon registry, and the advisory locks that let every daemon migrate and sync the feed list at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from alerts.models import FeedSource
from alerts.store import Database, make_database, upgrade
from alerts.store.daemons import heartbeat, release_dead_holders, unregister_daemon
from alerts.store.feed_leases import lease_due_feeds, renew_leases
from alerts.store.feeds import list_feeds, sync_feed_list
from alerts.store.migrate import current_revision
from alerts.store.outbox import claim_due, renew_claims
from alerts.store.tables import FeedRow, OutboxRow
from alerts.subscriptions import queue_alerts
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.databases import postgres_schema_url

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LEASE = 30.0


def feeds(count: int) -> list[FeedSource]:
    return [FeedSource(id=f"f{n:03d}", url=f"http://127.0.0.1:1/{n}.xml", interval_seconds=60) for n in range(count)]


STEAL_AFTER = 10.0


def lease(db: Database, owner: str, now: datetime = T0, *, fair: bool = True, limit: int = 500) -> list[str]:
    got = lease_due_feeds(
        db, now, owner=owner, lease_seconds=LEASE, limit=limit, steal_after=STEAL_AFTER if fair else None
    )
    return sorted(feed.id for feed in got)


def join(db: Database, *names: str, now: datetime = T0) -> None:
    for name in names:
        heartbeat(db, name, now, polls=0, deliveries=0, alive_for=timedelta(seconds=LEASE))


def test_a_daemon_alone_leases_every_due_feed(db: Database) -> None:
    sync_feed_list(db, feeds(30), T0)
    join(db, "a")
    assert len(lease(db, "a")) == 30


@pytest.mark.parametrize(
    ("daemons", "count", "expected"),
    [
        pytest.param(3, 30, [10, 10, 10], id="three-daemons-split-evenly"),
        pytest.param(3, 31, [11, 10, 10], id="remainder-goes-to-the-first"),
        pytest.param(2, 3, [2, 1], id="two-daemons-few-feeds"),
    ],
)
def test_each_daemon_leases_its_own_part_of_the_feeds(
    db: Database, daemons: int, count: int, expected: list[int]
) -> None:
    sync_feed_list(db, feeds(count), T0)
    names = [f"d{n}" for n in range(daemons)]
    join(db, *names)
    parts = [lease(db, name) for name in reversed(names)]  # whoever ticks first, it takes only its part
    assert [len(part) for part in reversed(parts)] == expected
    assert len({feed for part in parts for feed in part}) == count


def test_a_daemon_takes_over_feeds_left_overdue_but_never_beyond_its_capacity(db: Database) -> None:
    sync_feed_list(db, feeds(30), T0)
    join(db, "a", "b", "c")
    assert len(lease(db, "a", limit=4)) == 4  # its own capacity first
    assert len(lease(db, "a")) == 6  # then the rest of its own part, not the others'
    assert lease(db, "a") == []
    # b and c do not poll theirs (dead, or too busy): once overdue by more than steal_after, a takes them.
    late = T0 + timedelta(seconds=STEAL_AFTER + 1)
    assert len(lease(db, "a", late)) == 20


def test_a_dead_daemon_stops_counting_after_one_lease(db: Database) -> None:
    sync_feed_list(db, feeds(30), T0)
    join(db, "a", "b", "c")
    later = T0 + timedelta(seconds=LEASE + 1)
    alive = timedelta(seconds=LEASE)
    heartbeat(db, "a", later, polls=0, deliveries=0, alive_for=alive)
    heartbeat(db, "b", later, polls=0, deliveries=0, alive_for=alive)
    # c is no longer heard of: the feeds are dealt between two (all are overdue too, so use a fresh round).
    with db.session() as session:
        session.execute(update(FeedRow).values(next_poll_at=later))
    assert len(lease(db, "a", later)) == 15


def test_renewed_leases_hold_and_unrenewed_ones_are_taken_over(db: Database) -> None:
    sync_feed_list(db, feeds(4), T0)
    taken = lease(db, "a", fair=False)
    assert len(taken) == 4
    # The heartbeat renews two of them (still being polled); the other two were left by a dead crawl.
    assert renew_leases(db, "a", taken[:2], T0 + timedelta(seconds=20), LEASE) == 2
    after = T0 + timedelta(seconds=LEASE + 1)
    assert sorted(lease(db, "b", after, fair=False)) == sorted(taken[2:])
    # A lease that passed to b is not renewed by a.
    assert renew_leases(db, "a", taken, after, LEASE) == 2


def test_outbox_claims_are_renewed_by_their_holder_only(db: Database) -> None:
    incident = make_incident()
    store_incident(db, incident)
    add_subscription(db, id="sub_a")
    with db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 1
    now = datetime.now(UTC) + timedelta(seconds=1)
    [claimed] = claim_due(db, "a", now, 5, timedelta(seconds=LEASE))
    assert renew_claims(db, "b", [claimed.outbox_id], now + timedelta(seconds=60)) == 0
    # The heartbeat at now+20 renews it to one lease later: still held at now+40, free again after.
    assert renew_claims(db, "a", [claimed.outbox_id], now + timedelta(seconds=20 + LEASE)) == 1
    assert claim_due(db, "b", now + timedelta(seconds=40), 5, timedelta(seconds=LEASE)) == []
    [again] = claim_due(db, "b", now + timedelta(seconds=51), 5, timedelta(seconds=LEASE))
    assert again.message_id == claimed.message_id  # same webhook-id on the retry


def test_registry_shows_live_daemons_their_leases_and_shares(db: Database) -> None:
    sync_feed_list(db, feeds(6), T0)
    join(db, "a", "b")
    lease(db, "a", fair=False, limit=4)
    heartbeat(db, "b", T0, polls=30, deliveries=0, alive_for=timedelta(seconds=LEASE))
    view = heartbeat(db, "a", T0, polls=10, deliveries=2, alive_for=timedelta(seconds=LEASE))
    assert {(d.id, d.feed_leases, d.polls) for d in view.daemons} == {("a", 4, 10), ("b", 0, 30)}
    assert view.share("a", "polls") == pytest.approx(0.25)
    assert view.share("a", "deliveries") == 1.0
    unregister_daemon(db, "b")
    view = heartbeat(db, "a", T0, polls=10, deliveries=2, alive_for=timedelta(seconds=LEASE))
    assert [d.id for d in view.daemons] == ["a"]


def test_start_up_frees_the_leases_and_claims_of_gone_holders_and_forgets_them(db: Database) -> None:
    sync_feed_list(db, feeds(2), T0)
    join(db, "dead", "alive")
    lease_due_feeds(db, T0, owner="dead", lease_seconds=LEASE, feed_ids=["f000"])
    lease_due_feeds(db, T0, owner="alive", lease_seconds=LEASE, feed_ids=["f001"])
    assert release_dead_holders(db, lambda holder: holder == "dead") == (1, 0)
    with db.session() as session:
        owners = {feed_id: owner for feed_id, owner in session.execute(select(FeedRow.id, FeedRow.lease_owner))}
        assert not session.scalars(select(OutboxRow)).all()
    assert owners == {"f000": None, "f001": "alive"}
    view = heartbeat(db, "alive", T0, polls=0, deliveries=0, alive_for=timedelta(seconds=LEASE))
    assert [d.id for d in view.daemons] == ["alive"]


def run_at_once(count: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run ``work(n)`` in ``count`` threads released together; returns the errors raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_daemons_starting_together_migrate_and_sync_the_feed_list_one_at_a_time() -> None:
    with postgres_schema_url() as url:
        databases = [make_database(url) for _ in range(3)]
        try:

            def start_up(n: int) -> None:
                upgrade(databases[n])
                sync_feed_list(databases[n], feeds(50), T0)

            assert run_at_once(3, start_up) == []
            assert current_revision(databases[0]) is not None
            assert len(list_feeds(databases[0])) == 50
        finally:
            for database in databases:
                database.dispose()


def test_daemons_leasing_at_once_on_postgresql_get_disjoint_batches(pg: Database) -> None:
    sync_feed_list(pg, feeds(90), T0)
    join(pg, "d0", "d1", "d2")
    batches: dict[int, list[str]] = {}
    # Every feed is overdue here, so each daemon may take any: the row locks alone keep them apart.
    late = T0 + timedelta(seconds=STEAL_AFTER + 1)
    assert run_at_once(3, lambda n: batches.__setitem__(n, lease(pg, f"d{n}", late))) == []
    leased = [feed for batch in batches.values() for feed in batch]
    assert len(leased) == len(set(leased)) == 90  # every feed handed out, none to two daemons
