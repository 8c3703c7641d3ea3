"""Incident feeds: the incident model written as Atom 1.0, GeoJSON, CSV with HXL hashtags and CAP 1.2.

Each format is a pure function from plain ``alerts.models.Incident`` values to bytes; the routes in
``alerts/api/routes_incident_feeds.py`` only fetch incidents and pick the function.
"""

from __future__ import annotations

import re

# XML 1.0 forbids these code points outright; article text from feeds can carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: object) -> str:
    """``value`` as text an XML document can hold (characters XML 1.0 forbids are dropped)."""
    return _NOT_XML.sub("", str(value))


def incident_url(public_url: str, incident_id: int) -> str:
    """The incident record's absolute URL (``GET /api/v1/incidents/{id}``)."""
    return f"{public_url.rstrip('/')}/api/v1/incidents/{incident_id}"


__all__ = ["incident_url", "xml_text"]
