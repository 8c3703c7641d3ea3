"""Feedback storage on both backends: one answer per incident and subscription, page answers kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.store import Database
from alerts.store.feedback import list_feedback, record_feedback
from tests.feeds_out.stored import ingest_report
from tests.support.databases import migrated_database

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database on each backend (the insert-or-update is written per dialect)."""
    with migrated_database(request.param, tmp_path) as database:
        yield database


def test_answers_replace_per_subscription_and_accumulate_per_page(any_db: Database) -> None:
    incident_id = ingest_report(any_db, NOW, "https://news1.example.org/a").incident_id
    assert incident_id is not None
    first = record_feedback(any_db, incident_id, "sub_a", "wrong_place", "first", NOW)
    second = record_feedback(any_db, incident_id, "sub_a", "other", "second", NOW + timedelta(minutes=5))
    assert first is not None and second is not None and first.id == second.id
    assert (second.choice, second.comment, second.created_at, second.updated_at) == (
        "other",
        "second",
        NOW,
        NOW + timedelta(minutes=5),
    )
    record_feedback(any_db, incident_id, "sub_b", "not_an_attack", "", NOW)
    record_feedback(any_db, incident_id, None, "other", "", NOW)
    record_feedback(any_db, incident_id, None, "other", "", NOW)
    views, total = list_feedback(any_db, incident_id=incident_id)
    assert total == 4
    assert sorted((v.subscription_id or "", v.choice) for v in views) == [
        ("", "other"),
        ("", "other"),
        ("sub_a", "other"),
        ("sub_b", "not_an_attack"),
    ]
    assert views[0].updated_at == NOW + timedelta(minutes=5)  # newest first
    assert record_feedback(any_db, incident_id + 1000, "sub_a", "other", "", NOW) is None
