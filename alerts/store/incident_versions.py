"""The history of an incident: its record at every version, written when the version is created or bumped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from alerts.models import Incident
from alerts.store.engine import Database, Transaction
from alerts.store.tables import IncidentVersionRow

#: Facts compared between versions, as (name, how to read it from a record).
TRACKED: tuple[tuple[str, Any], ...] = (
    ("title", lambda r: r["title"]),
    ("event_types", lambda r: ", ".join(r["event_types"])),
    ("categories", lambda r: ", ".join(r["categories"])),
    ("country", lambda r: r["country"]["name"] or r["country"]["code"]),
    ("location", lambda r: r["location"]["name"]),
    ("occurred_on", lambda r: r["occurred_on"]),
    ("killed", lambda r: r["casualties"]["killed"]),
    ("injured", lambda r: r["casualties"]["injured"]),
    ("kidnapped", lambda r: r["casualties"]["kidnapped"]),
    ("perpetrator", lambda r: r["perpetrator"]),
    ("reports", lambda r: len(r["articles"])),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One fact that differs from the version before."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class IncidentVersion:
    """One version in an incident's history, with what changed since the one before."""

    version: int
    event: str
    recorded_at: datetime
    changes: list[Change]


def record_version(tx: Transaction, incident: Incident, event: str, now: datetime) -> None:
    """Keep the record of this incident version (inside the transaction that made it)."""
    tx.add(
        IncidentVersionRow(
            incident_id=incident.id, version=incident.version, event=event, recorded_at=now, record=incident.as_record()
        )
    )


def list_versions(db: Database, incident_id: int) -> list[IncidentVersion]:
    """An incident's versions, newest first, each with the facts that changed from the one before."""
    with db.session() as session:
        rows = session.scalars(
            select(IncidentVersionRow)
            .where(IncidentVersionRow.incident_id == incident_id)
            .order_by(IncidentVersionRow.version)
        ).all()
        history: list[IncidentVersion] = []
        previous: dict[str, Any] | None = None
        for row in rows:
            changes = []
            if previous is not None:
                for name, read in TRACKED:
                    before, after = read(previous), read(row.record)
                    if before != after:
                        changes.append(Change(name, before, after))
            history.append(IncidentVersion(row.version, row.event, row.recorded_at, changes))
            previous = row.record
    return history[::-1]
