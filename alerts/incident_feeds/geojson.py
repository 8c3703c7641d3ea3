"""Incidents as a GeoJSON FeatureCollection (RFC 7946): one Point per located incident.

RFC 7946 rules kept here: positions are [longitude, latitude] in WGS 84 (so no ``crs`` member), longitude
within -180..180 and latitude within -90..90. An incident without a place, or with coordinates outside
those ranges, has no feature (it is still in the JSON, Atom and CSV feeds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from alerts.models import Incident

GEOJSON_TYPE = "application/geo+json"


def _position(incident: Incident) -> list[float] | None:
    lat, lon = incident.lat, incident.lon
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return None
    return [lon, lat]


def incident_feature(incident: Incident) -> dict[str, Any] | None:
    """The Feature of one incident (properties: the incident record), or None when it has no usable place."""
    position = _position(incident)
    if position is None:
        return None
    return {
        "type": "Feature",
        "id": incident.id,
        "geometry": {"type": "Point", "coordinates": position},
        "properties": incident.as_record(),
    }


def render_geojson(incidents: Sequence[Incident]) -> bytes:
    """The FeatureCollection of the located ``incidents``, in the order given."""
    features = [f for f in (incident_feature(i) for i in incidents) if f is not None]
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
