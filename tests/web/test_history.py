"""An incident's history: ingest records every version in the transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from alerts.ingest import Ingestor, default_classifier
from alerts.models import Article, FeedSource, Verdict
from alerts.store import Database
from alerts.store.feeds import sync_feed_list
from alerts.store.incident_versions import Change, list_versions
from tests.support.databases import migrated_database

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as database:
        yield database


def report(url: str, killed: int, perpetrator: str | None = None) -> tuple[Article, Verdict]:
    # Made-up reports in our own words; the verdicts are given, so no classifier is involved.
    article = Article(feed_id="outlet", url=url, entry_key=url, title="Health post in Nyala attacked", text="-")
    verdict = Verdict(
        is_attack=True,
        score=0.9,
        categories=["health"],
        event_types=["armed_attack"],
        country="SD",
        location="Nyala",
        lat=12.05,
        lon=24.88,
        killed=killed,
        perpetrator=perpetrator,
        occurred_on=date(2026, 11, 19),
        evidence=["Gunmen opened fire on the health post in Nyala."],
    )
    return article, verdict


def test_each_version_is_recorded_with_what_changed(db: Database) -> None:
    sync_feed_list(db, [FeedSource(id="outlet", url="http://127.0.0.1:1/feed", interval_seconds=60)])
    ingestor = Ingestor(db, default_classifier(0.5), clock=lambda: NOW)
    first = ingestor.store(*report("https://a.example/nyala", killed=1))
    quiet = ingestor.store(*report("https://b.example/nyala", killed=1))
    toll = ingestor.store(*report("https://c.example/nyala", killed=3, perpetrator="RSF"))
    assert first.incident_event == "incident.created" and quiet.incident_event is None
    assert toll.incident_event == "incident.updated" and toll.incident_id == first.incident_id
    assert first.incident_id is not None

    history = list_versions(db, first.incident_id)
    assert [(v.version, v.event) for v in history] == [(2, "incident.updated"), (1, "incident.created")]
    assert history[1].changes == []
    assert history[0].changes == [
        Change("killed", 1, 3),
        Change("perpetrator", None, "RSF"),
        Change("reports", 1, 3),  # the quiet report joined without a version of its own
    ]
    assert list_versions(db, 999) == []


@pytest.mark.parametrize(
    ("lang", "before", "after"),
    [
        pytest.param("en", "armed attack", "armed attack, shelling or airstrike, and explosive", id="english"),
        pytest.param(
            "fr", "attaque armée", "attaque armée, bombardement ou frappe aérienne et engin explosif", id="french"
        ),
    ],
)
def test_history_shows_coded_values_by_their_names(lang: str, before: str, after: str) -> None:
    from types import SimpleNamespace

    from alerts.store.incident_versions import IncidentVersion
    from alerts.web.i18n import environment

    change = Change("event_types", "armed_attack", "armed_attack, shelling_or_airstrike, explosive")
    entry = IncidentVersion(2, "incident.updated", datetime(2026, 12, 6, 11, 31, tzinfo=UTC), [change])
    html = environment(lang).get_template("_history.html").render(history=[entry], incident=SimpleNamespace(version=2))
    assert f"<del>{before}</del>" in html
    assert f"<ins>{after}</ins>" in html
    assert "shelling_or_airstrike" not in html
