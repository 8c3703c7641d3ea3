"""Pure incident-merge rules (docs/api.md describes the record); storage lives in alerts/store and calls these.

Two reports are one incident when they share the country and place (same name, or within ~50 km),
overlap in category, and their attack dates are within 3 days. A later report that changes the facts
(toll rises, perpetrator named, place learnt, new category or event type) bumps the version.

Storage fetches candidates through an index on (country, attack date), so these functions only ever
see a handful of incidents, however many are stored.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from alerts.models import Incident, Verdict

MERGE_RADIUS_KM = 50.0
MERGE_WINDOW_DAYS = 3
MAX_EVIDENCE = 6


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def _fold(name: str) -> str:
    nfkd = unicodedata.normalize("NFKD", name)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).casefold().strip()


def same_place(
    a_name: str | None,
    a_ll: tuple[float | None, float | None],
    b_name: str | None,
    b_ll: tuple[float | None, float | None],
) -> bool | None:
    """True/False when both places are known, None when either is unknown."""
    if a_name and b_name and _fold(a_name) == _fold(b_name):
        return True
    if None not in a_ll and None not in b_ll:
        return haversine_km(a_ll[0], a_ll[1], b_ll[0], b_ll[1]) <= MERGE_RADIUS_KM  # type: ignore[arg-type]
    if a_name and b_name:
        return False
    return None


def same_incident(existing: Incident, report: Verdict) -> bool:
    """Whether ``report`` describes the attack already recorded as ``existing``."""
    if (existing.country_code or None) != (report.country or None):
        return False
    if (
        existing.occurred_on
        and report.occurred_on
        and abs((existing.occurred_on - report.occurred_on).days) > MERGE_WINDOW_DAYS
    ):
        return False
    if existing.categories and report.categories and not set(existing.categories) & set(report.categories):
        return False
    place = same_place(existing.location_name, (existing.lat, existing.lon), report.location, (report.lat, report.lon))
    if place is not None:
        return place
    # One side names no place: the country alone is too coarse, so the event must match too, and
    # without any country at all we do not guess.
    if not report.country:
        return False
    return (
        not existing.event_types or not report.event_types or bool(set(existing.event_types) & set(report.event_types))
    )


def _raise(current: int | None, new: int | None) -> int | None:
    """The higher toll when the new report raises it, else None (no change)."""
    if new is None:
        return None
    return new if current is None or new > current else None


def merge_facts(existing: Incident, report: Verdict) -> tuple[dict[str, Any], bool]:
    """Columns to update on ``existing``'s stored row (``Incident`` column names) and whether the facts changed.

    Changed (→ version bump, ``incident.updated``): a casualty count rises, a perpetrator is named for
    the first time, a place is learnt, a new category or event type appears. New organisations,
    evidence and a higher score are merged quietly.
    """
    fields: dict[str, Any] = {}
    changed = False
    for name in ("killed", "injured", "kidnapped"):
        raised = _raise(getattr(existing, name), getattr(report, name))
        if raised is not None:
            fields[name] = raised
            changed = True
    if not existing.perpetrator and report.perpetrator:
        fields["perpetrator"] = report.perpetrator
        changed = True
    if not existing.location_name and report.location:
        fields.update(location_name=report.location, lat=report.lat, lon=report.lon)
        changed = True
    for name, new in (("categories", report.categories), ("event_types", report.event_types)):
        current = list(getattr(existing, name) or [])
        extra = [x for x in new if x not in current and x != "other"]
        if extra:
            fields[name] = [x for x in current if x != "other"] + extra
            changed = True
    orgs = list(existing.organizations or [])
    extra_orgs = [o for o in report.organizations if o not in orgs]
    if extra_orgs:
        fields["organizations"] = orgs + extra_orgs
    evidence = list(existing.evidence or [])
    extra_ev = [e for e in report.evidence if e not in evidence]
    if extra_ev and len(evidence) < MAX_EVIDENCE:
        fields["evidence"] = (evidence + extra_ev)[:MAX_EVIDENCE]
    if report.score > existing.score:
        fields["score"] = report.score
    return fields, changed
