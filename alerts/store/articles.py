"""Seen entries and stored articles: storage answers only "which of these are new"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from alerts.models import Article, Verdict
from alerts.store.engine import Database, Transaction, dialect_insert
from alerts.store.tables import ArticleRow, SeenEntry

_CHUNK = 500


def url_key(url: str) -> str:
    """Stable fixed-size key for an article URL (URLs can be longer than an index allows)."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def unseen_entry_keys(db: Database, feed_id: str, keys: Sequence[str]) -> set[str]:
    """The subset of ``keys`` never seen on this feed (remembered across restarts)."""
    wanted = set(keys)
    if not wanted:
        return set()
    seen: set[str] = set()
    ordered = sorted(wanted)
    with db.session() as session:
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            query = select(SeenEntry.entry_key).where(SeenEntry.feed_id == feed_id, SeenEntry.entry_key.in_(chunk))
            seen.update(session.scalars(query))
    return wanted - seen


def mark_seen(tx: Transaction, feed_id: str, keys: Iterable[str], now: datetime) -> None:
    """Remember entry keys; keys already remembered are left as they are."""
    mark_seen_pairs(tx, [(feed_id, key) for key in keys], now)


def mark_seen_pairs(tx: Transaction, pairs: Iterable[tuple[str, str]], now: datetime) -> None:
    """Remember (feed id, entry key) pairs of any feeds in one statement; known pairs are left alone."""
    rows = [{"feed_id": feed_id, "entry_key": key, "first_seen": now} for feed_id, key in set(pairs)]
    if rows:
        # One cached statement executed with parameter sets (a multi-VALUES statement recompiles per size).
        tx.connection().execute(dialect_insert(tx)(SeenEntry.__table__).on_conflict_do_nothing(), rows)


def mark_entries_seen(db: Database, feed_id: str, keys: Iterable[str], now: datetime) -> None:
    """``mark_seen`` in its own transaction (entries that produce no article, e.g. without a link)."""
    with db.session() as session:
        mark_seen(session, feed_id, keys, now)


def add_article(tx: Transaction, article: Article, verdict: Verdict, now: datetime) -> int | None:
    """Store an article with its verdict; returns its id, or None when its URL is already stored."""
    # Built on the Table with parameters passed at execution: one compiled statement serves every
    # article (ORM-level .values() re-derives the row mapping each time, half of this call's cost).
    table = ArticleRow.__table__
    statement = dialect_insert(tx)(table).on_conflict_do_nothing(index_elements=["url_key"]).returning(table.c.id)
    article_id = tx.connection().execute(statement, _article_params(article, verdict, now)).scalar_one_or_none()
    return int(article_id) if article_id is not None else None


def add_articles(tx: Transaction, batch: Sequence[tuple[Article, Verdict]], now: datetime) -> set[str]:
    """Store many articles (URLs distinct) in one statement; returns the url keys actually stored.

    A URL already stored (through another feed) is skipped, as in :func:`add_article`.
    """
    if not batch:
        return set()
    table = ArticleRow.__table__
    statement = dialect_insert(tx)(table).on_conflict_do_nothing(index_elements=["url_key"]).returning(table.c.url_key)
    rows = [_article_params(article, verdict, now) for article, verdict in batch]
    return set(tx.connection().execute(statement, rows).scalars())


def _article_params(article: Article, verdict: Verdict, now: datetime) -> dict[str, Any]:
    return {
        "feed_id": article.feed_id,
        "url": article.url,
        "url_key": url_key(article.url),
        "entry_key": article.entry_key[:512],
        "title": article.title,
        "published": article.published,
        "language": article.language,
        "text": article.text,
        "summary": article.summary,
        "text_source": article.text_source,
        "first_seen": now,
        "is_attack": verdict.is_attack,
        "score": verdict.score,
        "verdict": verdict.as_json(),
        "incident_id": None,
    }


def link_article(tx: Transaction, article_id: int, incident_id: int) -> None:
    """Attach a stored article to its incident."""
    tx.execute(update(ArticleRow).where(ArticleRow.id == article_id).values(incident_id=incident_id))
