"""Ingest: one transaction stores the article, merges the incident and queues alerts (every backend)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.ingest import Ingestor, default_classifier
from alerts.models import Article, FeedSource
from alerts.store import Database
from alerts.store.feeds import sync_feed_list
from alerts.store.incidents import get_incident
from alerts.store.tables import ArticleRow, IncidentRow, OutboxRow
from tests.support.alerting import add_subscription

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "000_c6cb496dab8ea76f.txt"
PUBLISHED = datetime(2021, 7, 30, 18, 0, tzinfo=UTC)
NOW = datetime(2021, 7, 30, 18, 5, tzinfo=UTC)


def article(feed: str, url: str, path: Path, published: datetime = PUBLISHED) -> Article:
    if path == SEED:  # the seed file is the article body only (it opens with a photo caption)
        title, body = "UN compound in Herat attacked as Taliban advance", path.read_text(encoding="utf-8")
    else:
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return Article(feed_id=feed, url=url, entry_key=url, title=title.strip(), text=body.strip(), published=published)


@pytest.fixture
def seed_text() -> Path:
    if not SEED.exists():
        pytest.skip(f"../shared is missing ({SEED}); the seed report is read from there at run time")
    return SEED


@pytest.fixture
def ingestor(db: Database) -> Ingestor:
    sync_feed_list(
        db,
        [FeedSource(id=f, url=f"http://127.0.0.1:1/{f}", interval_seconds=60) for f in ("outlet-a", "outlet-b")],
    )
    add_subscription(db, id="sub-af", filters={"countries": ["AF"]})
    add_subscription(db, id="sub-sd", filters={"countries": ["SD"]})
    return Ingestor(db, default_classifier(0.5), clock=lambda: NOW)


def count(db: Database, table: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_seed_report_becomes_one_incident_and_one_alert(db: Database, ingestor: Ingestor, seed_text: Path) -> None:
    outcome = ingestor.ingest(article("outlet-a", "https://a.example/herat", seed_text))
    assert outcome.stored and outcome.is_attack and outcome.incident_event == "incident.created"
    assert outcome.alerts_queued == 1
    assert outcome.incident_id is not None
    incident = get_incident(db, outcome.incident_id)
    assert incident is not None
    assert incident.country_code == "AF" and incident.location_name == "Herat"
    assert "un" in incident.categories and incident.killed == 1
    assert [a.url for a in incident.articles] == ["https://a.example/herat"]
    with db.session() as session:
        [row] = session.scalars(select(OutboxRow))
        assert (row.subscription_id, row.event, row.incident_version) == ("sub-af", "incident.created", 1)

    # The same URL from another feed is not stored twice and alerts nobody.
    again = ingestor.ingest(article("outlet-b", "https://a.example/herat", seed_text))
    assert not again.stored and count(db, ArticleRow) == 1 and count(db, OutboxRow) == 1


def test_second_outlet_merges_and_a_higher_toll_updates(db: Database, ingestor: Ingestor, seed_text: Path) -> None:
    first = ingestor.ingest(article("outlet-a", "https://a.example/herat", seed_text))
    second = ingestor.ingest(article("outlet-b", "https://b.example/herat", FIXTURES / "herat_second_outlet.txt"))
    assert second.stored and second.incident_id == first.incident_id
    assert second.incident_event == "incident.updated" and second.alerts_queued == 1
    assert count(db, IncidentRow) == 1
    incident = get_incident(db, first.incident_id or 0)
    assert incident is not None and incident.version == 2 and incident.killed == 2
    assert len(incident.articles) == 2


def test_negative_article_is_stored_without_incident(db: Database, ingestor: Ingestor) -> None:
    outcome = ingestor.ingest(article("outlet-a", "https://a.example/budget", FIXTURES / "negative_budget.txt"))
    assert outcome.stored and not outcome.is_attack and outcome.incident_id is None
    assert count(db, IncidentRow) == 0 and count(db, OutboxRow) == 0


def test_old_attack_is_stored_as_historical_and_does_not_alert(
    db: Database, ingestor: Ingestor, seed_text: Path
) -> None:
    late = datetime(2021, 12, 1, tzinfo=UTC)  # the report says "on Friday" but we publish it months later
    text = seed_text.read_text(encoding="utf-8").replace("2021", "2021 (July 30)")
    body = Article(
        feed_id="outlet-a",
        url="https://a.example/anniversary",
        entry_key="k",
        title="UN compound in Herat attacked, July 30, 2021",
        text=text,
        published=late,
    )
    outcome = ingestor.ingest(body)
    assert outcome.is_attack
    with db.session() as session:
        row = session.get(IncidentRow, outcome.incident_id)
        assert row is not None and row.historical is True
    assert outcome.alerts_queued == 0 and count(db, OutboxRow) == 0
