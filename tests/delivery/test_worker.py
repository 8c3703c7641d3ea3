"""The delivery worker against a real HTTP receiver: signing, retries, backoff, 410, SSRF, restarts."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.delivery.worker import DeliveryWorker
from alerts.settings import DeliverySettings, Settings
from alerts.store import Database, make_database
from alerts.store.outbox import claim_due
from alerts.store.tables import DeliveryAttemptRow, OutboxRow, SubscriptionRow
from alerts.subscriptions import queue_alerts
from tests.delivery.conftest import FakeClock
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.webhook_receiver import Receiver, verify_standard_webhook


def _settings(**delivery: object) -> Settings:
    values: dict[str, object] = {
        "allow_private_networks": True,
        "timeout": 5,
        "backoff_base": 30,
        "backoff_max": 3600,
        "max_attempts": 5,
    }
    values.update(delivery)
    return Settings(delivery=DeliverySettings.model_validate(values))


def _queue(db: Database, incident_id: int = 1, version: int = 1) -> None:
    incident = make_incident(id=incident_id, version=version, title=f"Attack number {incident_id}")
    store_incident(db, incident)
    with db.session() as session:
        queue_alerts(session, incident, "incident.created" if version == 1 else "incident.updated")


def _outbox(db: Database) -> list[OutboxRow]:
    with db.session() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def _attempts(db: Database) -> list[DeliveryAttemptRow]:
    with db.session() as session:
        return list(session.scalars(select(DeliveryAttemptRow).order_by(DeliveryAttemptRow.id)))


async def test_delivers_a_signed_webhook_once(db: Database, receiver: Receiver, clock: FakeClock) -> None:
    sub = add_subscription(db, target=receiver.url + "/hook")
    _queue(db)
    worker = DeliveryWorker(_settings(), db, clock=clock)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook(sub.signing_secret, request.headers, request.body)
    (row,) = _outbox(db)
    assert request.headers["webhook-id"] == row.message_id
    assert (row.status, row.attempts, row.delivered_at) == ("delivered", 1, clock.now)
    (attempt,) = _attempts(db)
    assert (attempt.status, attempt.response_code, attempt.error) == ("delivered", 204, None)


async def test_retries_with_backoff_and_the_same_webhook_id(db: Database, receiver: Receiver, clock: FakeClock) -> None:
    add_subscription(db, target=receiver.url + "/hook")
    _queue(db)
    receiver.replies = [(503, {}), (500, {})]
    worker = DeliveryWorker(_settings(), db, clock=clock, rng=random.Random(7))
    start = clock.now
    assert await worker.run_once() == 1
    (row,) = _outbox(db)
    first_delay = (row.next_attempt_at - start).total_seconds()
    assert row.status == "pending"
    assert 15 <= first_delay <= 30  # base 30 s with equal jitter
    clock.advance(first_delay - 1)
    assert await worker.run_once() == 0  # not due yet
    clock.advance(1)
    assert await worker.run_once() == 1
    (row,) = _outbox(db)
    second_delay = (row.next_attempt_at - clock.now).total_seconds()
    assert 30 <= second_delay <= 60  # doubled
    clock.advance(second_delay)
    assert await worker.run_once() == 1
    requests = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert [a.status for a in _attempts(db)] == ["retry", "retry", "delivered"]
    assert [a.response_code for a in _attempts(db)] == [503, 500, 204]
    assert _outbox(db)[0].status == "delivered"


def test_backoff_is_capped_and_jittered() -> None:
    worker = DeliveryWorker(_settings(backoff_base=10, backoff_max=100), make_database("sqlite://"))
    delays = [worker.backoff(n) for n in range(1, 12)]
    assert all(5 <= d <= 10 for d in delays[:1])
    assert all(50 <= d <= 100 for d in delays[5:])
    assert len(set(delays)) > 1
    assert worker.backoff(1, retry_after=500) == 500


async def test_honours_retry_after(db: Database, receiver: Receiver, clock: FakeClock) -> None:
    add_subscription(db, target=receiver.url + "/hook")
    _queue(db)
    receiver.replies = [(429, {"Retry-After": "3600"})]
    await DeliveryWorker(_settings(), db, clock=clock).run_once()
    (row,) = _outbox(db)
    assert row.next_attempt_at == clock.now + timedelta(seconds=3600)


async def test_gives_up_after_max_attempts(db: Database, receiver: Receiver, clock: FakeClock) -> None:
    add_subscription(db, target=receiver.url + "/hook")
    _queue(db)
    receiver.default = (404, {})  # not success: retried, then failed, never counted as delivered
    worker = DeliveryWorker(_settings(max_attempts=3), db, clock=clock)
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(7200)
    assert await worker.run_once() == 0
    (row,) = _outbox(db)
    assert (row.status, row.attempts) == ("failed", 3)
    assert [a.status for a in _attempts(db)] == ["retry", "retry", "failed"]


async def test_410_disables_the_subscription(db: Database, receiver: Receiver, clock: FakeClock) -> None:
    sub = add_subscription(db, target=receiver.url + "/hook")
    _queue(db, 1)
    receiver.default = (410, {})
    worker = DeliveryWorker(_settings(), db, clock=clock)
    assert await worker.run_once() == 1
    _queue(db, 2)  # the subscription is disabled now: nothing more is queued
    assert await worker.run_once() == 0
    with db.session() as session:
        stored = session.get(SubscriptionRow, sub.id)
        assert stored is not None and stored.status == "disabled"
        assert "410" in (stored.status_reason or "")
    assert [r.status for r in _outbox(db)] == ["failed"]
    assert len(receiver.requests) == 1


async def test_pending_rows_of_a_disabled_subscription_are_cancelled(
    db: Database, receiver: Receiver, clock: FakeClock
) -> None:
    sub = add_subscription(db, target=receiver.url + "/hook")
    _queue(db, 1)
    _queue(db, 2)
    receiver.default = (410, {})
    worker = DeliveryWorker(_settings(concurrency=1), db, clock=clock)
    await worker.run_once()
    await worker.run_once()
    assert sorted(r.status for r in _outbox(db)) == ["cancelled", "failed"]
    assert len(receiver.requests) == 1
    assert sub.id


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]:{port}/hook",
    ],
    ids=["ipv4-loopback", "localhost-name", "ipv6-loopback", "private-10", "metadata", "ipv4-mapped"],
)
async def test_refuses_private_targets_at_delivery_time(
    db: Database, receiver: Receiver, clock: FakeClock, target: str
) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    add_subscription(db, target=target.format(port=port))
    _queue(db)
    await DeliveryWorker(_settings(allow_private_networks=False), db, clock=clock).run_once()
    (row,) = _outbox(db)
    assert row.status == "failed"
    assert "target refused" in (row.last_error or "")
    assert receiver.requests == []


async def test_one_slow_target_does_not_delay_the_others(db: Database, receiver: Receiver, clock: FakeClock) -> None:
    slow_gate = threading.Event()
    receiver.delay["/slow"] = slow_gate
    add_subscription(db, target=receiver.url + "/slow")
    add_subscription(db, target=receiver.url + "/fast")
    _queue(db)
    worker = DeliveryWorker(_settings(), db, clock=clock)
    task = asyncio.create_task(worker.run_once())
    (first,) = await asyncio.to_thread(receiver.wait_for, 1)
    assert first.path == "/fast"
    assert not task.done()
    slow_gate.set()
    assert await asyncio.wait_for(task, timeout=10) == 2
    assert sorted(r.status for r in _outbox(db)) == ["delivered", "delivered"]


async def test_restart_delivers_pending_rows_exactly_once(
    any_db: Database, receiver: Receiver, clock: FakeClock
) -> None:
    db = any_db
    add_subscription(db, target=receiver.url + "/hook")
    for incident_id in (1, 2, 3):
        _queue(db, incident_id)
    # A worker claims everything, then dies without sending or releasing its claims.
    dead = claim_due(db, "dead-worker", clock.now, 10, timedelta(seconds=60))
    assert len(dead) == 3
    # "Restart": a new engine and worker. The dead worker's claims hold until they expire.
    db2 = make_database(str(db.engine.url.render_as_string(hide_password=False)))
    worker = DeliveryWorker(_settings(), db2, clock=clock)
    assert await worker.run_once() == 0
    clock.advance(61)
    assert await worker.run_once() == 3
    assert await worker.run_once() == 0
    clock.advance(7200)
    assert await DeliveryWorker(_settings(), db2, clock=clock).run_once() == 0
    requests = receiver.wait_for(3)
    ids = [r.headers["webhook-id"] for r in requests]
    assert len(requests) == 3 and len(set(ids)) == 3
    assert sorted(ids) == sorted(r.message_id for r in _outbox(db))
    db2.dispose()


async def test_claims_never_overlap(any_db: Database, clock: FakeClock) -> None:
    add_subscription(any_db)
    for incident_id in range(1, 11):
        _queue(any_db, incident_id)
    lease = timedelta(seconds=60)
    claimed: list[int] = []
    for _round in range(5):  # racing workers may each get fewer than asked; none may get a taken row
        results = await asyncio.gather(
            *(asyncio.to_thread(claim_due, any_db, f"w{n}", clock.now, 4, lease) for n in range(4))
        )
        claimed += [m.outbox_id for batch in results for m in batch]
    assert len(claimed) == len(set(claimed)) == 10
    clock.advance(61)  # expired claims return to the pool
    assert len(claim_due(any_db, "late", clock.now, 20, lease)) == 10


async def test_run_loop_delivers_and_stops_cleanly(db: Database, receiver: Receiver) -> None:
    add_subscription(db, target=receiver.url + "/hook")
    _queue(db)
    stop = asyncio.Event()
    worker = DeliveryWorker(_settings(poll_interval=0.05), db)
    task = asyncio.create_task(worker.run(stop))
    await asyncio.to_thread(receiver.wait_for, 1)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    (row,) = _outbox(db)
    assert row.status == "delivered"
    assert row.claimed_by is None


async def test_rows_left_pending_at_shutdown_are_sent_after_restart(db: Database, receiver: Receiver) -> None:
    add_subscription(db, target=receiver.url + "/hook")
    receiver.default = (503, {})
    _queue(db)
    stop = asyncio.Event()
    first = DeliveryWorker(_settings(poll_interval=0.05, backoff_base=0.1, backoff_max=0.1), db)
    task = asyncio.create_task(first.run(stop))
    await asyncio.to_thread(receiver.wait_for, 1)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert _outbox(db)[0].status == "pending"
    receiver.default = (200, {})
    later = FakeClock(datetime.now(UTC) + timedelta(seconds=60))  # past the short backoff
    assert await DeliveryWorker(_settings(), db, clock=later).run_once() == 1
    assert _outbox(db)[0].status == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


async def test_stop_during_a_hanging_send_hands_the_row_back(db: Database, receiver: Receiver) -> None:
    gate = threading.Event()
    receiver.delay["/hang"] = gate
    add_subscription(db, target=receiver.url + "/hang")
    _queue(db)
    stop = asyncio.Event()
    worker = DeliveryWorker(_settings(poll_interval=0.05), db, shutdown_grace=0.2)
    task = asyncio.create_task(worker.run(stop))
    await asyncio.to_thread(receiver.wait_for_arrivals, 1)  # the send is in flight, held by the receiver
    stop.set()
    await asyncio.wait_for(task, timeout=5)  # bounded by the grace period, not by the hanging receiver
    (row,) = _outbox(db)
    assert (row.status, row.claimed_by, row.attempts) == ("pending", None, 0)
    gate.set()
    receiver.delay.clear()
    later = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    assert await DeliveryWorker(_settings(), db, clock=later).run_once() == 1
    requests = receiver.wait_for(2)
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # the retry carries the same id
    assert _outbox(db)[0].status == "delivered"


@pytest.mark.parametrize(
    ("fmt", "content_type", "marker"),
    [
        ("json", "application/json", '"type":"incident.created"'),
        ("slack", "application/json", '"blocks"'),
        ("teams", "application/json", "AdaptiveCard"),
        ("text", "text/plain; charset=utf-8", "NEW INCIDENT"),
    ],
)
async def test_every_webhook_format_is_delivered_signed(
    db: Database, receiver: Receiver, clock: FakeClock, fmt: str, content_type: str, marker: str
) -> None:
    sub = add_subscription(db, target=receiver.url + "/hook", format=fmt)
    _queue(db)
    assert await DeliveryWorker(_settings(), db, clock=clock).run_once() == 1
    (request,) = receiver.wait_for(1)
    assert request.headers["content-type"] == content_type
    assert marker in request.body.decode()
    assert "Bunia" in request.body.decode()
    assert verify_standard_webhook(sub.signing_secret, request.headers, request.body)


@pytest.mark.parametrize(
    ("private_incidents", "linked"),
    [pytest.param(False, True, id="public-incidents-linked"), pytest.param(True, False, id="private-not-linked")],
)
async def test_text_alerts_link_the_incident_page_unless_incidents_are_private(
    db: Database, receiver: Receiver, clock: FakeClock, private_incidents: bool, linked: bool
) -> None:
    add_subscription(db, target=receiver.url + "/hook", format="text")
    _queue(db, incident_id=7)
    settings = _settings().model_copy(
        update={
            "api": Settings().api.model_copy(
                update={"public_url": "https://aidwatch.test", "private_incidents": private_incidents}
            )
        }
    )
    assert await DeliveryWorker(settings, db, clock=clock).run_once() == 1
    (request,) = receiver.wait_for(1)
    assert ("https://aidwatch.test/incidents/7" in request.body.decode()) is linked
