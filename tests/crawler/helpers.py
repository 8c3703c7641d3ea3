"""Helpers for crawler tests: a migrated SQLite database with feeds, leasing, and a quiet classifier."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from alerts.ingest import Ingestor
from alerts.models import FeedSource, FeedState, Verdict
from alerts.settings import Settings
from alerts.store import Database, make_database, upgrade
from alerts.store.feed_leases import lease_due_feeds
from alerts.store.feeds import sync_feed_list
from alerts.store.tables import ArticleRow, FeedRow, SeenEntry, utcnow


def settings_for_tests(**crawler: object) -> Settings:
    """Default settings with short timeouts; keyword arguments override ``[crawler]`` keys."""
    values: dict[str, object] = {"download_timeout": 5.0, "obey_robots_txt": True, "jitter": 0.0}
    values.update(crawler)
    return Settings.model_validate({"crawler": values})


def database(path: Path) -> Database:
    """A migrated SQLite database file (a new object on the same path simulates a restart)."""
    db = make_database(f"sqlite:///{path}")
    upgrade(db)
    return db


def add_feeds(db: Database, feeds: dict[str, str], *, fetch_articles: bool = True) -> None:
    """Register feeds (id -> URL) the way the feed list does."""
    sync_feed_list(
        db, [FeedSource(id=k, url=v, interval_seconds=900, fetch_articles=fetch_articles) for k, v in feeds.items()]
    )


def lease(db: Database, ids: list[str] | None = None, now: datetime | None = None) -> list[FeedState]:
    """Lease the named feeds (all when None), due or not, as the CLI's ``crawl`` does."""
    with db.session() as session:
        known = list(session.scalars(select(FeedRow.id)))
    return lease_due_feeds(db, now or utcnow(), owner="tests", lease_seconds=600, limit=1000, feed_ids=ids or known)


def feed_row(db: Database, feed_id: str) -> FeedRow:
    """The stored state of one feed."""
    with db.session() as session:
        row = session.get(FeedRow, feed_id)
        assert row is not None
        session.expunge(row)
        return row


def count(db: Database, table: type[ArticleRow] | type[SeenEntry], feed_id: str | None = None) -> int:
    """Rows of ``table`` (optionally of one feed)."""
    query = select(func.count()).select_from(table)
    if feed_id is not None:
        query = query.where(table.feed_id == feed_id)
    with db.session() as session:
        return int(session.scalar(query) or 0)


def quiet_ingestor(db: Database, *, attack_word: str | None = None, fail_word: str | None = None) -> Ingestor:
    """The real Ingestor with a stand-in classifier (the classifier is tested on its own).

    Titles containing ``attack_word`` are attacks on a health site in Afghanistan; a title with
    ``fail_word`` makes classification raise, as a broken article would.
    """

    def classify(title: str, text: str, lang: str | None, published: datetime | None) -> Verdict:
        if fail_word is not None and fail_word in title:
            raise ValueError(f"cannot classify {title!r}")
        if attack_word is not None and attack_word in title:
            return Verdict(
                is_attack=True,
                score=0.95,
                categories=["health"],
                event_types=["armed_attack"],
                country="AF",
                location="Kunduz",
                injured=2,
                occurred_on=date(2026, 11, 20),
            )
        return Verdict(is_attack=False, score=0.0)

    return Ingestor(db, classify)
