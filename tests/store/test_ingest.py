"""Ingest: one transaction stores the article, merges the incident and queues alerts (every backend)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from alerts.ingest import Ingestor, IngestOutcome, default_classifier
from alerts.models import Article, FeedSource, Verdict
from alerts.store import Database
from alerts.store.feeds import sync_feed_list
from alerts.store.incidents import get_incident
from alerts.store.tables import ArticleRow, IncidentRow, OutboxRow, SeenEntry
from tests.support.alerting import add_subscription
from tests.support.shared import SEED, require_shared

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"
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
    require_shared(SEED)
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


def seen_count(db: Database) -> int:
    return count(db, SeenEntry)


def test_a_batch_stores_quiet_articles_together_and_codes_attacks_in_order(
    db: Database, ingestor: Ingestor, seed_text: Path
) -> None:
    budget = FIXTURES / "negative_budget.txt"
    batch = [
        article("outlet-a", "https://a.example/budget", budget),
        article("outlet-a", "https://a.example/herat", seed_text),
        article("outlet-b", "https://b.example/herat", FIXTURES / "herat_second_outlet.txt"),
        article("outlet-b", "https://a.example/budget", budget),  # the same URL through another feed
    ]
    quiet, created, updated, again = ingestor.ingest_many(batch)
    assert isinstance(quiet, IngestOutcome) and quiet.stored and not quiet.is_attack
    assert isinstance(created, IngestOutcome) and created.incident_event == "incident.created"
    assert isinstance(updated, IngestOutcome) and updated.incident_event == "incident.updated"
    assert updated.incident_id == created.incident_id and updated.alerts_queued == 1
    assert isinstance(again, IngestOutcome) and not again.stored
    assert (count(db, ArticleRow), count(db, IncidentRow), count(db, OutboxRow)) == (3, 1, 2)
    assert seen_count(db) == 4  # every entry is remembered on its own feed, stored or not

    # Articles known from an earlier batch are not stored again.
    [known] = ingestor.ingest_many([article("outlet-b", "https://a.example/herat", seed_text)])
    assert isinstance(known, IngestOutcome) and not known.stored and count(db, ArticleRow) == 3


def test_an_article_that_breaks_the_batch_fails_alone(db: Database, ingestor: Ingestor) -> None:
    budget = FIXTURES / "negative_budget.txt"
    batch = [
        article("outlet-a", "https://a.example/one", budget),
        article("no-such-feed", "https://a.example/orphan", budget),  # its seen entry violates the foreign key
        article("outlet-b", "https://b.example/two", budget),
    ]
    first, orphan, last = ingestor.ingest_many(batch)
    assert isinstance(orphan, Exception)
    assert isinstance(first, IngestOutcome) and first.stored
    assert isinstance(last, IngestOutcome) and last.stored
    assert count(db, ArticleRow) == 2 and seen_count(db) == 2


def test_a_document_that_breaks_the_classifier_fails_alone(db: Database) -> None:
    sync_feed_list(db, [FeedSource(id="outlet-a", url="http://127.0.0.1:1/a", interval_seconds=60)])

    def classify(title: str, text: str, lang: str | None, published: datetime | None) -> Verdict:
        if "poison" in title:
            raise ValueError("unreadable document")
        return Verdict(is_attack=False, score=0.01)

    ingestor = Ingestor(db, classify, clock=lambda: NOW)
    items = [Article(feed_id="outlet-a", url=f"https://a.example/{t}", entry_key=t, title=t, text=t) for t in "xyz"]
    items[1].title = "poison"
    fine, broken, also_fine = ingestor.ingest_many(items)
    assert isinstance(broken, ValueError) and "unreadable" in str(broken)
    assert isinstance(fine, IngestOutcome) and fine.stored and isinstance(also_fine, IngestOutcome)
    assert count(db, ArticleRow) == 2


@pytest.mark.parametrize(
    ("title", "body"),
    [
        pytest.param(
            "Gunmen attack MSF hospital in Kunduz, killing three aid workers",
            "Gunmen attack MSF hospital in Kunduz, killing three aid workers. "
            "The organisation said the attack happened on Tuesday night. Staff were evacuated.",
            id="body-opens-with-the-headline",
        ),
        pytest.param(
            "Armed men attacked a UN convoy near Goma",
            "The World Food Programme said its staff were unharmed. Deliveries are suspended.",
            id="headline-is-the-only-evidence",
        ),
    ],
)
def test_incident_summary_does_not_repeat_the_title(db: Database, ingestor: Ingestor, title: str, body: str) -> None:
    outcome = ingestor.ingest(
        Article(feed_id="outlet-a", url="https://a.example/t", entry_key="t", title=title, text=body, published=NOW)
    )
    assert outcome.incident_id is not None
    incident = get_incident(db, outcome.incident_id)
    assert incident is not None and incident.title == title
    assert incident.summary and not incident.summary.casefold().startswith(title.casefold()[:20]), incident.summary


def test_a_merge_reads_the_incidents_table_once(db: Database) -> None:
    """The candidates read for a merge are the rows updated and re-read for alerting: no second lookup."""
    sync_feed_list(db, [FeedSource(id="outlet-a", url="http://127.0.0.1:1/a", interval_seconds=60)])
    add_subscription(db, id="sub-so", filters={"countries": ["SO"]})

    def fixed_verdict(title: str, body: str, lang: str | None, published: datetime | None) -> Verdict:
        killed = int(title.rsplit(" ", 1)[-1])
        return Verdict(
            is_attack=True,
            score=0.9,
            categories=["convoy"],
            event_types=["armed_attack"],
            country="SO",
            location="Baidoa",
            occurred_on=NOW.date(),
            killed=killed,
        )

    ingestor = Ingestor(db, fixed_verdict, clock=lambda: NOW)
    first = ingestor.ingest(
        Article(feed_id="outlet-a", url="https://a.example/1", entry_key="1", title="toll 1", text="x")
    )
    incident_reads: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM incidents" in statement:
            incident_reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        second = ingestor.ingest(
            Article(feed_id="outlet-a", url="https://a.example/2", entry_key="2", title="toll 4", text="x")
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert (second.incident_id, second.incident_event, second.alerts_queued) == (
        first.incident_id,
        "incident.updated",
        1,
    )
    assert len(incident_reads) == 1
