"""Filters, matching and queue_alerts: one outbox row per incident version x matching subscription."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alerts.links import check_link_token, link_secret, link_token
from alerts.store import Database
from alerts.store.tables import OutboxRow
from alerts.subscriptions import Filters, queue_alerts
from tests.support.alerting import add_subscription, make_incident, sqlite_database, store_incident

FILTER_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("no-filters-match-all", {}, {}, True),
    ("country-match", {"countries": ["CD"]}, {}, True),
    ("country-lowercase-filter", {"countries": ["cd"]}, {}, True),
    ("country-miss", {"countries": ["SD", "SS"]}, {}, False),
    ("country-unknown-incident", {"countries": ["CD"]}, {"country_code": None}, False),
    ("category-overlap", {"categories": ["health", "un"]}, {}, True),
    ("category-miss", {"categories": ["camp"]}, {}, False),
    ("event-type-match", {"event_types": ["armed_attack"]}, {}, True),
    ("event-type-miss", {"event_types": ["kidnapping"]}, {}, False),
    ("min-score-equal", {"min_score": 0.91}, {}, True),
    ("min-score-above", {"min_score": 0.95}, {}, False),
    ("min-killed-ok", {"min_killed": 2}, {}, True),
    ("min-killed-miss", {"min_killed": 3}, {}, False),
    ("min-killed-unknown-counts-zero", {"min_killed": 1}, {"killed": None}, False),
    ("min-killed-zero-unknown", {"min_killed": 0}, {"killed": None}, True),
    ("keyword-in-title", {"keywords": ["msf"]}, {}, True),
    ("keyword-in-evidence", {"keywords": ["Thursday"]}, {}, True),
    ("keyword-in-perpetrator", {"keywords": ["codeco"]}, {}, True),
    ("keyword-whole-word-only", {"keywords": ["UN"]}, {"title": "Under fire", "summary": ""}, False),
    ("keyword-none-match", {"keywords": ["UNHCR", "WFP"]}, {}, False),
    ("language-match", {"languages": ["EN", "fr"]}, {}, True),
    ("language-miss", {"languages": ["fr"]}, {}, False),
    ("language-unknown-incident", {"languages": ["en"]}, {"language": None}, False),
    (
        "all-filters-together",
        {
            "countries": ["CD"],
            "categories": ["health"],
            "event_types": ["armed_attack"],
            "min_score": 0.5,
            "min_killed": 1,
            "keywords": ["clinic"],
            "languages": ["en"],
        },
        {},
        True,
    ),
    ("one-failing-filter-of-many", {"countries": ["CD"], "min_killed": 10}, {}, False),
]


@pytest.mark.parametrize(
    ("filters", "incident_changes", "expected"),
    [case[1:] for case in FILTER_CASES],
    ids=[case[0] for case in FILTER_CASES],
)
def test_filter_matching(filters: dict[str, Any], incident_changes: dict[str, Any], expected: bool) -> None:
    assert Filters.from_dict(filters).matches(make_incident(**incident_changes)) is expected


def test_filters_round_trip() -> None:
    data = {"countries": ["SD"], "keywords": ["WFP"], "min_score": 0.7}
    assert Filters.from_dict(Filters.from_dict(data).to_dict()) == Filters.from_dict(data)


def _outbox(db: Any) -> list[OutboxRow]:
    with db.session() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_queue_alerts_one_row_per_version_and_matching_active_subscription(any_db: Database) -> None:
    db = any_db
    incident = make_incident()
    store_incident(db, incident)
    match = add_subscription(db, filters={"countries": ["CD"]})
    add_subscription(db, filters={"countries": ["SD"]})  # does not match
    add_subscription(db, status="pending_confirmation", channel="email", target="a@example.org")
    add_subscription(db, status="unsubscribed")
    with db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 1
    with db.session() as session:  # the same version again: the unique key makes it a no-op
        assert queue_alerts(session, incident, "incident.created") == 0
    updated = make_incident(version=2, killed=4)
    store_incident(db, updated)
    with db.session() as session:
        assert queue_alerts(session, updated, "incident.updated") == 1
    rows = _outbox(db)
    assert [(r.subscription_id, r.incident_version, r.event) for r in rows] == [
        (match.id, 1, "incident.created"),
        (match.id, 2, "incident.updated"),
    ]
    assert rows[0].message_id != rows[1].message_id
    assert rows[1].payload["incident"]["casualties"]["killed"] == 4


def test_queue_alerts_is_part_of_the_callers_transaction(any_db: Database) -> None:
    db = any_db
    incident = make_incident()
    store_incident(db, incident)
    add_subscription(db)
    with pytest.raises(RuntimeError), db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 1
        raise RuntimeError("ingest failed after queueing")
    assert _outbox(db) == []


def test_historical_incidents_never_alert(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path)
    incident = make_incident(historical=True)
    store_incident(db, incident)
    add_subscription(db)
    with db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 0
    assert _outbox(db) == []


def test_digest_subscriptions_get_held_items(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path)
    incident = make_incident()
    store_incident(db, incident)
    add_subscription(db, mode="digest", digest={"every": "1d", "at": "08:00", "timezone": "UTC"})
    with db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 1
    (row,) = _outbox(db)
    assert (row.kind, row.status) == ("digest_item", "held")


def test_unknown_event_is_refused(tmp_path: Path) -> None:
    db = sqlite_database(tmp_path)
    with pytest.raises(ValueError), db.session() as session:
        queue_alerts(session, make_incident(), "incident.deleted")


def test_link_secret_is_created_once_and_kept(any_db: Database) -> None:
    with any_db.session() as session:
        first = link_secret(session)
    with any_db.session() as session:
        assert link_secret(session) == first
    assert len(first) >= 32
    token = link_token(first, "confirm", "sub_1")
    assert check_link_token(first, "confirm", "sub_1", token)
    assert not check_link_token(first, "unsubscribe", "sub_1", token)
    assert not check_link_token(first, "confirm", "sub_2", token)
