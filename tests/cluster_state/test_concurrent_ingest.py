"""Two daemons ingesting two outlets' reports of one attack at the same moment make one incident.

The daemons are two engines on one PostgreSQL schema, each ingesting from its own thread. The first test
forces the worst interleaving: daemon A has merged (created the incident) but not committed when daemon B
starts its merge. The advisory lock per country must make B wait for A's commit and then merge into A's
incident; with the lock taken away the same interleaving makes two incidents, which shows the test can
fail. The second test lets several pairs of reports race through a barrier.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

import alerts.ingest
from alerts.ingest import Classifier, Ingestor, IngestOutcome
from alerts.models import Article, FeedSource, Verdict
from alerts.store import Database
from alerts.store.feeds import sync_feed_list
from alerts.store.tables import ArticleRow, IncidentRow
from tests.cluster_state.racing import (
    WAIT,
    HeldCommit,
    LockWatch,
    Racer,
    second_daemon,
    wait_until,
    waiting_on_lock,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


#: Where the attacks happen: place -> (country, lat, lon).
PLACES = {"Gao": ("ML", 16.27, -0.04), "Niamey": ("NE", 13.51, 2.11)}


def report(outlet: str, day: date, place: str = "Gao") -> Article:
    """One outlet's report (own words) of the attack at ``place`` on ``day``."""
    return Article(
        feed_id=outlet,
        url=f"https://{outlet}.example/{day.isoformat()}/{place.lower()}-clinic",
        entry_key=f"{outlet}-{day.isoformat()}-{place}",
        title=f"Clinic shelled near {place} ({outlet})",
        text=f"Shelling hit a health clinic near {place}; two nurses were hurt.",
        published=datetime.combine(day, datetime.min.time(), tzinfo=UTC),
    )


def verdict_for(article: Article) -> Verdict:
    """What the classifier would code for every report: one attack at the place its title names, that day."""
    assert article.published is not None
    place = next(name for name in PLACES if name in article.title)
    country, lat, lon = PLACES[place]
    return Verdict(
        is_attack=True,
        score=0.9,
        categories=["health"],
        event_types=["shelling"],
        country=country,
        location=place,
        lat=lat,
        lon=lon,
        injured=2,
        occurred_on=article.published.date(),
        evidence=[article.text],
    )


def classifier(gate: threading.Barrier | None = None) -> Classifier:
    """A classifier that codes ``verdict_for`` the article, after every racer reached ``gate``."""

    def classify(title: str, body: str, _lang: str | None, published: datetime | None) -> Verdict:
        if gate is not None:
            gate.wait(WAIT)
        return verdict_for(Article("x", "u", "k", title, body, published=published))

    return classify


def ingest_one(db: Database, outlet: str, day: date, gate: threading.Barrier) -> Callable[[], IngestOutcome]:
    """One daemon's ingest of ``outlet``'s report, classified once both daemons reached ``gate``."""
    return lambda: Ingestor(db, classifier(gate), clock=lambda: NOW).ingest(report(outlet, day))


def count(db: Database, table: type) -> int:
    with db.transaction() as tx:
        return int(tx.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def outlets(pg: Database) -> Database:
    sync_feed_list(pg, [FeedSource(id=f, url=f"http://127.0.0.1:1/{f}", interval_seconds=60) for f in ("a", "b")])
    return pg


CONTROLS = [
    pytest.param(True, 1, id="advisory-lock-one-incident"),
    pytest.param(False, 2, id="without-the-lock-two-incidents"),
]


@pytest.mark.parametrize(("locked", "incidents"), CONTROLS)
def test_second_daemon_waits_for_the_first_merge_to_commit(
    outlets: Database, monkeypatch: pytest.MonkeyPatch, locked: bool, incidents: int
) -> None:
    if not locked:
        monkeypatch.setattr(alerts.ingest, "lock_countries", lambda _tx, _countries: None)
    day = date(2026, 11, 29)
    with second_daemon(outlets) as other:
        held = HeldCommit(outlets)
        watch = LockWatch(other)
        try:
            daemon_a = Racer(lambda: Ingestor(outlets, classifier(), clock=lambda: NOW).ingest(report("a", day)))
            daemon_a.start()
            assert held.reached.wait(WAIT), "daemon A never reached its commit"
            daemon_b = Racer(lambda: Ingestor(other, classifier(), clock=lambda: NOW).ingest(report("b", day)))
            daemon_b.start()
            # B either blocks on A's lock, or (without the lock) merges on its own and finishes.
            wait_until(
                lambda: not daemon_b.is_alive() or (watch.pid is not None and waiting_on_lock(outlets, watch.pid)),
                "daemon B to block on the merge lock or finish",
            )
            assert daemon_b.is_alive() == locked
        finally:
            held.remove()
        first: IngestOutcome = daemon_a.outcome()
        second: IngestOutcome = daemon_b.outcome()
    assert first.incident_event == "incident.created"
    assert count(outlets, IncidentRow) == incidents
    assert count(outlets, ArticleRow) == 2
    if locked:
        assert second.incident_id == first.incident_id
        assert second.incident_event != "incident.created"


def test_racing_reports_of_each_attack_make_one_incident(outlets: Database) -> None:
    rounds = 4
    # Attacks a month apart: each pair of reports is its own incident (far outside the merge window).
    days = [date(2026, 6, 1) + timedelta(days=30 * n) for n in range(rounds)]
    with second_daemon(outlets) as other:
        for day in days:
            gate = threading.Barrier(2)
            racers = [Racer(ingest_one(db, outlet, day, gate)) for db, outlet in ((outlets, "a"), (other, "b"))]
            for racer in racers:
                racer.start()
            outcomes: list[IngestOutcome] = [racer.outcome() for racer in racers]
            assert len({o.incident_id for o in outcomes}) == 1, f"two incidents for the attack on {day}"
            assert sorted(str(o.incident_event) for o in outcomes).count("incident.created") == 1
    assert count(outlets, IncidentRow) == rounds
    assert count(outlets, ArticleRow) == 2 * rounds


def test_batches_over_two_countries_in_opposite_orders_neither_deadlock_nor_split(
    outlets: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # Each daemon's batch holds both attacks, in opposite orders: the country locks are taken sorted, so
    # neither waits for the other in a cycle (a deadlock would fail the batch and show in the log).
    day = date(2026, 11, 28)
    gate = threading.Barrier(2)
    with second_daemon(outlets) as other:
        batches = [
            (outlets, [report("a", day, "Gao"), report("a", day, "Niamey")]),
            (other, [report("b", day, "Niamey"), report("b", day, "Gao")]),
        ]
        racers = [
            Racer(functools.partial(Ingestor(db, classifier(gate), clock=lambda: NOW).ingest_many, articles))
            for db, articles in batches
        ]
        for racer in racers:
            racer.start()
        results = [racer.outcome() for racer in racers]
    outcomes = [o for batch in results for o in batch]
    assert all(isinstance(o, IngestOutcome) for o in outcomes), outcomes
    assert "one by one" not in caplog.text
    by_place: dict[int | None, int] = {}
    for outcome in outcomes:
        assert isinstance(outcome, IngestOutcome)
        by_place[outcome.incident_id] = by_place.get(outcome.incident_id, 0) + 1
    assert sorted(by_place.values()) == [2, 2]  # two incidents, each with both outlets' reports
    assert count(outlets, IncidentRow) == 2
