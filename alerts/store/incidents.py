"""Incidents in storage: candidate lookup by country and date (indexed), create, update, read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.models import ArticleRef, Casualties, Country, Incident, Location
from alerts.store.engine import Database
from alerts.store.tables import ArticleRow, FeedRow, IncidentRow

MERGE_WINDOW_DAYS = 3
MAX_CANDIDATES = 200


def country_name(code: str | None) -> str | None:
    """English short name of an ISO 3166-1 alpha-2 code."""
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or getattr(country, "name", None)


def candidate_rows(session: Session, country: str | None, occurred_on: date | None) -> list[IncidentRow]:
    """Incidents that could be the same attack: same country, attack date within the merge window.

    The (country_code, occurred_on) index keeps this a range scan however many incidents are stored.
    """
    if occurred_on is None:
        return []
    low = occurred_on - timedelta(days=MERGE_WINDOW_DAYS)
    high = occurred_on + timedelta(days=MERGE_WINDOW_DAYS)
    query = select(IncidentRow).where(IncidentRow.occurred_on.between(low, high))
    query = (
        query.where(IncidentRow.country_code == country) if country else query.where(IncidentRow.country_code.is_(None))
    )
    return list(session.scalars(query.order_by(IncidentRow.updated.desc()).limit(MAX_CANDIDATES)))


def to_incident(session: Session, row: IncidentRow) -> Incident:
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


def apply_fields(row: IncidentRow, fields: dict[str, Any]) -> None:
    """Copy incident fields onto a row (names as in ``alerts.models.Incident``)."""
    for name, value in fields.items():
        setattr(row, name, value)


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


def count_incidents(db: Database) -> int:
    """How many incidents are stored."""
    with db.session() as session:
        return int(session.scalar(select(func.count(IncidentRow.id))) or 0)
