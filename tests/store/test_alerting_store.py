"""Repository functions behind alert queueing, digests, the operators' table and link signing (every backend)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts.store import Database
from alerts.store.engine import dialect_insert, is_postgresql
from alerts.store.meta import get_or_create_value
from alerts.store.outbox import KIND_DIGEST_ITEM, STATUS_HELD, insert_outbox_rows, take_held_items
from alerts.store.subscriptions import (
    active_subscriptions,
    due_digest_subscriptions,
    set_next_digest,
    subscription_activity,
)
from alerts.store.tables import DeliveryAttemptRow, MetaRow, OutboxRow
from tests.support.alerting import add_subscription, make_incident, store_incident

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_the_insert_construct_matches_the_backend_and_skips_conflicts(db: Database) -> None:
    with db.transaction() as tx:
        assert is_postgresql(tx) == (not db.is_sqlite)
        for value in ("kept", "skipped"):
            tx.execute(dialect_insert(tx)(MetaRow).values(key="k", value=value).on_conflict_do_nothing())
        assert tx.scalars(select(MetaRow.value)).all() == ["kept"]


def test_a_meta_value_is_created_once_and_then_read_back(db: Database) -> None:
    with db.transaction() as tx:
        first = get_or_create_value(tx, "k", lambda: "first")
    with db.transaction() as tx:
        again = get_or_create_value(tx, "k", lambda: "second")
        other = get_or_create_value(tx, "other", lambda: "own value")
    assert (first, again, other) == ("first", "first", "own value")


@pytest.mark.parametrize(
    ("status", "listed"),
    [
        ("active", True),
        ("pending_confirmation", False),
        ("unsubscribed", False),
        ("disabled", False),
    ],
    ids=["active", "unconfirmed", "unsubscribed", "disabled"],
)
def test_only_active_subscriptions_take_alerts(db: Database, status: str, listed: bool) -> None:
    add_subscription(db, id="sub-1", status=status, filters={"countries": ["CD"]})
    with db.transaction() as tx:
        found = active_subscriptions(tx)
    assert [(s.id, s.filters["countries"]) for s in found] == ([("sub-1", ["CD"])] if listed else [])


def test_due_digests_are_active_digest_subscriptions_whose_time_has_come(db: Database) -> None:
    digest = {"every": "1d", "at": "08:00", "timezone": "UTC"}
    add_subscription(db, id="due", mode="digest", digest=digest, next_digest_at=NOW)
    add_subscription(db, id="later", mode="digest", digest=digest, next_digest_at=NOW + timedelta(minutes=1))
    add_subscription(db, id="off", mode="digest", digest=digest, next_digest_at=NOW, status="unsubscribed")
    add_subscription(db, id="instant", mode="instant")
    with db.transaction() as tx:
        assert [s.id for s in due_digest_subscriptions(tx, NOW)] == ["due"]
        set_next_digest(tx, "due", NOW + timedelta(days=1))
    with db.transaction() as tx:
        assert due_digest_subscriptions(tx, NOW) == []
        assert [s.id for s in due_digest_subscriptions(tx, NOW + timedelta(days=1))] == ["due", "later"]


def test_held_items_are_taken_once_oldest_first(db: Database) -> None:
    add_subscription(db, id="sub-d", mode="digest")
    rows = []
    for incident_id, version in ((7, 1), (8, 1), (7, 2)):
        incident = make_incident(id=incident_id, version=version, occurred_on=date(2026, 5, 30))
        store_incident(db, incident)
        rows.append(
            {
                "subscription_id": "sub-d",
                "kind": KIND_DIGEST_ITEM,
                "status": STATUS_HELD,
                "event": "incident.created",
                "incident_id": incident_id,
                "incident_version": version,
                "dedupe_key": f"alert:sub-d:{incident_id}:{version}",
                "payload": {"incident": incident.as_record()},
            }
        )
    with db.transaction() as tx:
        assert insert_outbox_rows(tx, rows) == 3
        assert insert_outbox_rows(tx, rows[:1]) == 0  # same dedupe key: nothing written
    with db.transaction() as tx:
        taken = take_held_items(tx, "sub-d")
    assert [(r["id"], r["version"]) for r in taken] == [(7, 1), (8, 1), (7, 2)]
    with db.transaction() as tx:
        assert take_held_items(tx, "sub-d") == []
        assert {row.status for row in tx.scalars(select(OutboxRow))} == {"bundled"}


def test_activity_names_each_subscriptions_latest_attempt(db: Database) -> None:
    add_subscription(db, id="quiet")
    add_subscription(db, id="busy")
    with db.transaction() as tx:
        insert_outbox_rows(tx, [{"subscription_id": "busy", "kind": "confirmation", "dedupe_key": "c:busy"}])
        outbox_id = tx.scalars(select(OutboxRow.id)).one()
        for minutes, status in ((1, "retry"), (5, "delivered")):
            tx.add(
                DeliveryAttemptRow(
                    outbox_id=outbox_id,
                    subscription_id="busy",
                    attempted_at=NOW + timedelta(minutes=minutes),
                    status=status,
                )
            )
    activity = {a.subscription.id: (a.last_attempt_at, a.last_status) for a in subscription_activity(db)}
    assert activity == {"quiet": (None, None), "busy": (NOW + timedelta(minutes=5), "delivered")}
