"""Incidents as a GeoJSON FeatureCollection (RFC 7946): one Point per located incident.

RFC 7946 rules kept here: positions are [longitude, latitude] in WGS 84 (so no ``crs`` member), longitude
within -180..180 and latitude within -90..90. An incident without a place, or with coordinates outside
those ranges, has no feature (it is still in the JSON, Atom and CSV feeds).

The document is built from the pydantic models below, which are also the schema the OpenAPI document
gives for ``GET /api/v1/incidents.geojson``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from alerts.models import Incident

GEOJSON_TYPE = "application/geo+json"


class _GeoJson(BaseModel):
    # Every member is always written: the OpenAPI document says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Point(_GeoJson):
    """An RFC 7946 Point geometry."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(
        description="[longitude, latitude] in WGS 84 (longitude -180..180, latitude -90..90)"
    )


class Feature(_GeoJson):
    """One located incident: its place as a Point, its record as the properties."""

    type: Literal["Feature"] = "Feature"
    id: int = Field(description="the incident id")
    geometry: Point
    properties: Incident = Field(description="the incident record, as GET /api/v1/incidents/{id} answers it")


class FeatureCollection(_GeoJson):
    """An RFC 7946 FeatureCollection of incidents."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature] = Field(description="one per located incident, in the order of the list")


def _position(incident: Incident) -> tuple[float, float] | None:
    lat, lon = incident.lat, incident.lon
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return None
    return (lon, lat)


def incident_feature(incident: Incident) -> Feature | None:
    """The Feature of one incident (properties: the incident record), or None when it has no usable place."""
    position = _position(incident)
    if position is None:
        return None
    return Feature(id=incident.id, geometry=Point(coordinates=position), properties=incident)


def geojson_collection(incidents: Sequence[Incident]) -> FeatureCollection:
    """The FeatureCollection of the located ``incidents``, in the order given."""
    return FeatureCollection(features=[f for f in (incident_feature(i) for i in incidents) if f is not None])


def render_geojson(incidents: Sequence[Incident]) -> bytes:
    """The FeatureCollection of the located ``incidents`` as compact UTF-8 JSON."""
    collection = geojson_collection(incidents).model_dump(mode="json")
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
