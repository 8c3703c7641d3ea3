"""Incidents stored with every field and their articles (feeds, article rows), for feed and feedback tests."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from alerts.ingest import Ingestor, IngestOutcome
from alerts.models import Article, Incident, Verdict
from alerts.store import Database
from alerts.store.tables import ArticleRow, FeedRow, IncidentRow
from tests.support.alerting import make_incident

_FIELDS = [
    "version",
    "title",
    "summary",
    "score",
    "categories",
    "event_types",
    "country_code",
    "country_name",
    "location_name",
    "lat",
    "lon",
    "occurred_on",
    "killed",
    "injured",
    "kidnapped",
    "perpetrator",
    "organizations",
    "evidence",
    "first_seen",
    "updated",
    "language",
    "historical",
]


def store_full_incident(db: Database, incident: Incident, text: str = "") -> Incident:
    """Insert (or replace) the incident row with all its fields, its feeds and its articles."""
    with db.session() as session:
        row = session.get(IncidentRow, incident.id)
        if row is None:
            row = IncidentRow(id=incident.id)
            session.add(row)
        for name in _FIELDS:
            setattr(row, name, getattr(incident, name))
        session.flush()
        for article in incident.articles:
            if session.get(FeedRow, article.feed) is None:
                session.add(
                    FeedRow(id=article.feed, url=f"https://{article.feed}.example.org/feed", interval_seconds=600)
                )
                session.flush()
            key = hashlib.sha256(article.url.encode()).hexdigest()
            session.add(
                ArticleRow(
                    feed_id=article.feed,
                    url=article.url,
                    url_key=key,
                    entry_key=article.url,
                    title=article.title,
                    published=article.published,
                    language=incident.language,
                    text=text or f"{article.title}. {incident.summary}",
                    first_seen=article.first_seen,
                    is_attack=True,
                    score=incident.score,
                    incident_id=incident.id,
                )
            )
    return incident


def stored(db: Database, **overrides: Any) -> Incident:
    """``make_incident(**overrides)`` stored with its articles."""
    return store_full_incident(db, make_incident(**overrides))


def ensure_feed(db: Database, feed_id: str) -> None:
    """A feed row for ``feed_id`` (articles and seen entries point at it)."""
    with db.session() as session:
        if session.get(FeedRow, feed_id) is None:
            session.add(FeedRow(id=feed_id, url=f"https://{feed_id}.example.org/feed", interval_seconds=600))


def ingest_report(db: Database, now: datetime, url: str, feed: str = "wire", **verdict: Any) -> IngestOutcome:
    """Store one report of an attack through the real ingest path (merge rules, versions, outbox)."""
    ensure_feed(db, feed)
    facts: dict[str, Any] = {
        "is_attack": True,
        "score": 0.9,
        "categories": ["ngo"],
        "event_types": ["armed_attack"],
        "country": "SS",
        "location": "Bentiu",
        "lat": 9.23,
        "lon": 29.83,
        "killed": 1,
        "occurred_on": date(2026, 11, 19),
        "evidence": ["Gunmen fired on an aid compound in Bentiu."],
    }
    facts.update(verdict)
    article = Article(
        feed_id=feed,
        url=url,
        entry_key=url,
        title="Aid compound attacked in Bentiu",
        text="Gunmen fired on an aid compound in Bentiu on Thursday, a relief agency said.",
        published=now,
        language="en",
    )
    return Ingestor(db, classifier=_unused, clock=lambda: now).store(article, Verdict(**facts))


def _unused(*_args: object) -> Verdict:
    raise AssertionError("the verdict is given")
