"""Digests are built once per period per subscription, however many daemons' delivery workers are due.

Two engines on one PostgreSQL schema stand for two daemons. The due subscriptions' rows are locked
(``FOR UPDATE SKIP LOCKED``) by the worker that bundles them, and the digest's dedupe key names the
subscription and the period, so a second worker skips what the first is bundling.
"""

from __future__ import annotations

import functools
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.store import Database
from alerts.store.tables import OutboxRow, SubscriptionRow
from alerts.subscriptions import build_due_digests, queue_alerts
from tests.cluster_state.racing import WAIT, HeldCommit, Racer, second_daemon
from tests.support.alerting import add_subscription, make_incident, store_incident

PERIOD_END = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DUE = PERIOD_END + timedelta(seconds=1)


def digest_subscriptions(db: Database, count: int) -> list[str]:
    """``count`` daily digest subscriptions due at ``PERIOD_END``, each holding one incident for the digest."""
    incident = make_incident(id=1, version=1)
    store_incident(db, incident)
    ids = [
        add_subscription(db, mode="digest", digest={"every": "1d", "at": "08:00"}, next_digest_at=PERIOD_END).id
        for _ in range(count)
    ]
    with db.transaction() as tx:
        queue_alerts(tx, incident, "incident.created")
    return ids


def build(db: Database, gate: threading.Barrier | None = None) -> int:
    """One worker's digest pass, in its own transaction, started together with the others at ``gate``."""
    if gate is not None:
        gate.wait(WAIT)
    with db.transaction() as tx:
        return build_due_digests(tx, DUE)


def digests_per_subscription(db: Database) -> dict[str, int]:
    with db.transaction() as tx:
        rows = tx.scalars(select(OutboxRow.subscription_id).where(OutboxRow.kind == "digest")).all()
    return {sub: rows.count(sub) for sub in set(rows)}


def test_a_worker_skips_the_digests_another_is_building(pg: Database) -> None:
    [sub] = digest_subscriptions(pg, 1)
    with second_daemon(pg) as other:
        held = HeldCommit(pg)
        try:
            first = Racer(lambda: build(pg))
            first.start()
            assert held.reached.wait(WAIT), "the first worker never reached its commit"
            # The first worker holds the subscription's row: the second neither waits nor builds.
            assert build(other) == 0
        finally:
            held.remove()
        assert first.outcome() == 1
        # Once the first committed, the period is over for every worker.
        assert build(other) == 0
    assert digests_per_subscription(pg) == {sub: 1}
    with pg.transaction() as tx:
        row = tx.get(SubscriptionRow, sub)
        assert row is not None and row.next_digest_at == PERIOD_END + timedelta(days=1)


def test_racing_workers_build_each_period_once(pg: Database) -> None:
    subs = digest_subscriptions(pg, 6)
    with second_daemon(pg) as other:
        gate = threading.Barrier(2)
        racers = [Racer(functools.partial(build, db, gate)) for db in (pg, other)]
        for racer in racers:
            racer.start()
        built = [racer.outcome() for racer in racers]
    assert sum(built) == len(subs)
    assert digests_per_subscription(pg) == dict.fromkeys(subs, 1)
