"""Digest mode: schedule arithmetic (zoneinfo, DST), one message per period, nothing for an empty period."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from alerts.delivery.worker import DeliveryWorker
from alerts.settings import DeliverySettings, Settings
from alerts.store import Database
from alerts.store.tables import OutboxRow, SubscriptionRow
from alerts.subscriptions import DigestSpec, queue_alerts
from tests.delivery.conftest import FakeClock
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.webhook_receiver import Receiver

SCHEDULES = [
    ("daily-utc", {"every": "1d", "at": "08:00"}, "2026-11-27T07:59:00+00:00", "2026-11-27T08:00:00+00:00"),
    ("daily-utc-just-past", {"every": "1d", "at": "08:00"}, "2026-11-27T08:00:00+00:00", "2026-11-28T08:00:00+00:00"),
    (
        "daily-paris-winter",
        {"every": "1d", "at": "08:00", "timezone": "Europe/Paris"},
        "2026-11-27T06:00:00+00:00",
        "2026-11-27T07:00:00+00:00",
    ),
    (
        "daily-paris-across-dst-end",  # 25 Oct 2026: clocks go back; 08:00 local stays 08:00 local
        {"every": "1d", "at": "08:00", "timezone": "Europe/Paris"},
        "2026-10-24T07:00:00+00:00",
        "2026-10-25T07:00:00+00:00",
    ),
    ("hourly", {"every": "1h"}, "2026-11-27T10:20:00+00:00", "2026-11-27T11:00:00+00:00"),
    ("every-6h-phased", {"every": "6h", "at": "03:00"}, "2026-11-27T10:20:00+00:00", "2026-11-27T15:00:00+00:00"),
    ("weekly", {"every": "7d", "at": "09:30"}, "2026-11-27T10:00:00+00:00", "2026-12-04T09:30:00+00:00"),
]


@pytest.mark.parametrize(
    ("spec", "after", "expected"), [case[1:] for case in SCHEDULES], ids=[case[0] for case in SCHEDULES]
)
def test_next_digest_time(spec: dict[str, str], after: str, expected: str) -> None:
    got = DigestSpec.from_dict(spec).next_after(datetime.fromisoformat(after))
    assert got == datetime.fromisoformat(expected)
    assert got.tzinfo is not None


def test_digest_spec_defaults() -> None:
    assert DigestSpec.from_dict({}) == DigestSpec(every=86400.0, at=None, timezone="UTC")
    assert DigestSpec.from_dict({"at": "07:15"}).at == time(7, 15)


def _settings() -> Settings:
    return Settings(delivery=DeliverySettings(allow_private_networks=True, timeout=5))


async def test_one_digest_per_period_with_latest_versions(
    any_db: Database, receiver: Receiver, clock: FakeClock
) -> None:
    db = any_db
    # Relative to the wall clock: outbox rows are stamped with the real time when they are queued.
    due = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(8, 0), tzinfo=UTC)
    sub = add_subscription(
        db,
        target=receiver.url + "/digest",
        mode="digest",
        digest={"every": "1d", "at": "08:00", "timezone": "UTC"},
        next_digest_at=due,
    )
    for incident in (
        make_incident(id=1, version=1, title="Clinic attacked"),
        make_incident(id=1, version=2, title="Clinic attacked", killed=5),
        make_incident(id=2, version=1, title="Convoy looted", categories=["aid_convoy_or_warehouse"]),
    ):
        store_incident(db, incident)
        with db.session() as session:
            queue_alerts(session, incident, "incident.created" if incident.version == 1 else "incident.updated")
    worker = DeliveryWorker(_settings(), db, clock=clock)
    assert await worker.run_once() == 0  # before the period ends nothing is sent
    assert receiver.requests == []
    clock.now = due
    assert await worker.run_once() == 1
    (request,) = receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["type"] == "digest"
    assert body["period"]["end"] == due.isoformat()
    assert [(i["id"], i["version"]) for i in body["incidents"]] == [(1, 2), (2, 1)]
    assert body["incidents"][0]["casualties"]["killed"] == 5
    with db.session() as session:
        stored = session.get(SubscriptionRow, sub.id)
        assert stored is not None
        assert stored.next_digest_at == due + timedelta(days=1)
    # The next period is empty: nothing is sent, the schedule moves on.
    clock.now = due + timedelta(days=1, seconds=1)
    assert await worker.run_once() == 0
    with db.session() as session:
        kinds = [r.kind for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))]
        stored = session.get(SubscriptionRow, sub.id)
        assert stored is not None and stored.next_digest_at == due + timedelta(days=2)
    assert kinds.count("digest") == 1
    assert len(receiver.requests) == 1
