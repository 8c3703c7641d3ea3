"""Helpers for subscription and delivery tests: a migrated SQLite database, incidents, subscriptions."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alerts.models import ArticleRef, Incident
from alerts.store import Database, make_database, upgrade
from alerts.store.tables import IncidentRow, SubscriptionRow

HOSTILE_TITLE = 'Gunmen <script>alert("x")</script> raid clinic\r\nBcc: victim@example.org — Ñandú 🚑'


def sqlite_database(tmp_path: Path) -> Database:
    """A fresh, migrated SQLite database in ``tmp_path``."""
    db = make_database(f"sqlite:///{tmp_path / 'aidwatch.db'}")
    upgrade(db)
    return db


def make_incident(**overrides: Any) -> Incident:
    """A plausible incident; keyword arguments replace fields."""
    seen = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    values: dict[str, Any] = {
        "id": 1,
        "version": 1,
        "title": "Gunmen attack MSF clinic in Bunia",
        "summary": "Armed men stormed a clinic run by MSF, killing two staff.",
        "score": 0.91,
        "categories": ["health", "ngo"],
        "event_types": ["armed_attack"],
        "country_code": "CD",
        "country_name": "Congo, The Democratic Republic of the",
        "location_name": "Bunia",
        "lat": 1.56,
        "lon": 30.25,
        "occurred_on": date(2026, 11, 19),
        "killed": 2,
        "injured": 5,
        "kidnapped": None,
        "perpetrator": "CODECO militia",
        "organizations": ["MSF"],
        "evidence": ["Armed men stormed the MSF clinic in Bunia on Thursday, killing two staff."],
        "articles": [
            ArticleRef(
                url="https://news.example.org/bunia-clinic",
                title="Gunmen attack MSF clinic in Bunia",
                feed="example",
                published=seen,
                first_seen=seen,
            )
        ],
        "first_seen": seen,
        "updated": seen,
        "language": "en",
        "historical": False,
    }
    values.update(overrides)
    return Incident(**values)


def store_incident(db: Database, incident: Incident) -> None:
    """Insert the incident row an outbox row points at (foreign key)."""
    with db.session() as session:
        row = session.get(IncidentRow, incident.id)
        if row is None:
            row = IncidentRow(id=incident.id)
            session.add(row)
        row.version = incident.version
        row.title = incident.title
        row.summary = incident.summary
        row.score = incident.score
        row.categories = list(incident.categories)
        row.event_types = list(incident.event_types)
        row.country_code = incident.country_code
        row.country_name = incident.country_name
        row.location_name = incident.location_name
        row.occurred_on = incident.occurred_on
        row.killed = incident.killed
        row.first_seen = incident.first_seen
        row.updated = incident.updated
        row.language = incident.language
        row.historical = incident.historical
        row.organizations = list(incident.organizations)
        row.evidence = list(incident.evidence)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def add_subscription(db: Database, **overrides: Any) -> SubscriptionRow:
    """Insert an active webhook subscription directly (the API is tested on its own)."""
    values: dict[str, Any] = {
        "id": "sub_" + secrets.token_hex(6),
        "channel": "webhook",
        "target": "http://127.0.0.1:9/hook",
        "name": None,
        "format": "json",
        "mode": "instant",
        "filters": {},
        "digest": None,
        "status": "active",
        "manage_token_hash": "x",
        "signing_secret": new_signing_secret(),
    }
    values.update(overrides)
    with db.session() as session:
        row = SubscriptionRow(**values)
        session.add(row)
    return row
