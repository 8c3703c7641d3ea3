"""Seen entries and stored articles: storage answers only "which of these are new"."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from alerts.models import Article, Verdict
from alerts.store.engine import Database
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


def mark_seen(session: Session, feed_id: str, keys: Iterable[str], now: datetime) -> None:
    """Remember entry keys; keys already remembered are left as they are."""
    rows = [{"feed_id": feed_id, "entry_key": key, "first_seen": now} for key in set(keys)]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(SeenEntry).values(rows).on_conflict_do_nothing())


def mark_entries_seen(db: Database, feed_id: str, keys: Iterable[str], now: datetime) -> None:
    """``mark_seen`` in its own transaction (entries that produce no article, e.g. without a link)."""
    with db.session() as session:
        mark_seen(session, feed_id, keys, now)


def article_exists(session: Session, url: str) -> bool:
    """True when an article with this URL is already stored (from any feed)."""
    return session.scalar(select(ArticleRow.id).where(ArticleRow.url_key == url_key(url))) is not None


def add_article(session: Session, article: Article, verdict: Verdict, now: datetime) -> ArticleRow:
    """Store an article with its verdict (the caller checked it is new)."""
    row = ArticleRow(
        feed_id=article.feed_id,
        url=article.url,
        url_key=url_key(article.url),
        entry_key=article.entry_key[:512],
        title=article.title,
        published=article.published,
        language=article.language,
        text=article.text,
        summary=article.summary,
        text_source=article.text_source,
        first_seen=now,
        is_attack=verdict.is_attack,
        score=verdict.score,
        verdict=verdict.as_json(),
    )
    session.add(row)
    session.flush()
    return row


def count_articles(db: Database) -> int:
    """How many articles are stored."""
    with db.session() as session:
        return int(session.scalar(select(func.count(ArticleRow.id))) or 0)
