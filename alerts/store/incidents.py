"""Incidents in storage: candidate lookup by country and date (indexed), create, update, read."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pycountry
from sqlalchemy import select, text

from alerts.incidents import MERGE_WINDOW_DAYS
from alerts.models import ArticleRef, Casualties, Country, Incident, Location
from alerts.store.engine import Database, Transaction, is_postgresql
from alerts.store.tables import ArticleRow, FeedRow, IncidentRow

MAX_CANDIDATES = 200


def country_name(code: str | None) -> str | None:
    """English short name of an ISO 3166-1 alpha-2 code."""
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or getattr(country, "name", None)


def lock_countries(tx: Transaction, countries: Iterable[str | None]) -> None:
    """Serialise incident merges per country until ``tx`` ends, across daemons sharing one PostgreSQL.

    Locks are taken in one order so that two daemons' batches cannot deadlock on each other. SQLite
    needs none: one daemon per file, and its writes are serialised anyway.
    """
    if not is_postgresql(tx):
        return
    for key in sorted({zlib.crc32((country or "??").encode()) for country in countries}):
        tx.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def merge_candidates(tx: Transaction, country: str | None, occurred_on: date | None) -> Iterator[Incident]:
    """Incidents that could be the same attack: same country, attack date within the merge window.

    Most recently updated first. The (country_code, occurred_on) index keeps this a range scan however
    many incidents are stored. Lazy: each incident's articles are read only when the caller gets that
    far, so a merge that matches the first candidate reads one incident, not all of them.
    """
    for row in _candidate_rows(tx, country, occurred_on):
        yield to_incident(tx, row)


def _candidate_rows(session: Transaction, country: str | None, occurred_on: date | None) -> list[IncidentRow]:
    if occurred_on is None:
        return []
    low = occurred_on - timedelta(days=MERGE_WINDOW_DAYS)
    high = occurred_on + timedelta(days=MERGE_WINDOW_DAYS)
    query = select(IncidentRow).where(IncidentRow.occurred_on.between(low, high))
    query = (
        query.where(IncidentRow.country_code == country) if country else query.where(IncidentRow.country_code.is_(None))
    )
    return _keep(session, list(session.scalars(query.order_by(IncidentRow.updated.desc()).limit(MAX_CANDIDATES))))


def _keep(tx: Transaction, rows: list[IncidentRow]) -> list[IncidentRow]:
    """Hold ``rows`` loaded until ``tx`` ends.

    The session's identity map keeps unchanged rows only weakly, and callers hold incidents by id, so a
    merge candidate read here would otherwise be read again by ``update_incident`` and ``load_incident``.
    """
    held: dict[int, IncidentRow] = tx.info.setdefault("incident_rows", {})
    held.update((row.id, row) for row in rows)
    return rows


def add_incident(tx: Transaction, fields: dict[str, Any], now: datetime) -> int:
    """Store a new incident (version 1, first seen ``now``) from ``Incident`` field values; return its id."""
    row = IncidentRow(**fields, version=1, first_seen=now, updated=now)
    tx.add(row)
    tx.flush()
    _keep(tx, [row])
    return row.id


def update_incident(
    tx: Transaction, incident_id: int, fields: dict[str, Any], *, new_version: bool, now: datetime
) -> None:
    """Copy ``fields`` (``Incident`` names) onto an incident; ``new_version`` bumps its version, stamped ``now``."""
    row = tx.get(IncidentRow, incident_id)
    if row is None:
        raise LookupError(f"incident {incident_id} does not exist")
    for name, value in fields.items():
        setattr(row, name, value)
    if new_version:
        row.version += 1
        row.updated = now
    tx.flush()


def load_incident(tx: Transaction, incident_id: int) -> Incident:
    """One incident with its articles, read inside ``tx`` (sees what ``tx`` wrote)."""
    row = tx.get(IncidentRow, incident_id)
    if row is None:
        raise LookupError(f"incident {incident_id} does not exist")
    return to_incident(tx, row)


def to_incident(session: Transaction, row: IncidentRow) -> Incident:
    """The incident model for a row, with its articles: the one place an ``Incident`` is built from storage."""
    query = (
        select(ArticleRow, FeedRow.id)
        .outerjoin(FeedRow, FeedRow.id == ArticleRow.feed_id)
        .where(ArticleRow.incident_id == row.id)
        .order_by(ArticleRow.first_seen, ArticleRow.id)
    )
    articles = [
        ArticleRef(
            url=article.url,
            title=article.title,
            feed=feed_id or article.feed_id or "",
            published=article.published,
            first_seen=article.first_seen,
        )
        for article, feed_id in session.execute(query)
    ]
    return Incident(
        id=row.id,
        version=row.version,
        title=row.title,
        summary=row.summary,
        score=row.score,
        categories=list(row.categories),
        event_types=list(row.event_types),
        country=Country(code=row.country_code, name=row.country_name),
        location=Location(name=row.location_name, lat=row.lat, lon=row.lon),
        occurred_on=row.occurred_on,
        casualties=Casualties(killed=row.killed, injured=row.injured, kidnapped=row.kidnapped),
        perpetrator=row.perpetrator,
        organizations=list(row.organizations),
        evidence=list(row.evidence),
        articles=articles,
        first_seen=row.first_seen,
        updated=row.updated,
        language=row.language,
        historical=row.historical,
    )


def get_incident(db: Database, incident_id: int) -> Incident | None:
    """One incident with its articles, or None."""
    with db.session() as session:
        row = session.get(IncidentRow, incident_id)
        return to_incident(session, row) if row is not None else None


def list_incidents(
    db: Database,
    *,
    country: str | None = None,
    category: str | None = None,
    since: datetime | None = None,
    min_score: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Incident]:
    """Incidents, most recently updated first, filtered and paginated."""
    query = select(IncidentRow).order_by(IncidentRow.updated.desc(), IncidentRow.id.desc())
    if country:
        query = query.where(IncidentRow.country_code == country.upper())
    if since is not None:
        query = query.where(IncidentRow.updated >= since)
    if min_score is not None:
        query = query.where(IncidentRow.score >= min_score)
    with db.session() as session:
        if category:
            # Categories are a JSON list; filter in Python over a bounded window rather than per-dialect JSON SQL.
            rows = [r for r in session.scalars(query.limit(offset + limit + 5000)) if category in r.categories]
            rows = rows[offset : offset + limit]
        else:
            rows = list(session.scalars(query.limit(limit).offset(offset)))
        return [to_incident(session, row) for row in rows]
