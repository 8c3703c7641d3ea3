"""The incident map as plain data for the template: a world outline and one dot per located incident.

Two projections. Without a tile server the map is equirectangular (x = longitude, y = -latitude) over the
shipped Natural Earth outline, which the page loads once as ``/map/world.svg``. With ``web.map_tile_url``
set the map is Web Mercator over the 16 tiles of zoom level 2 (the projection those tiles are drawn in).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from alerts.models import Incident
from alerts.web.outline import load_outline

#: Equirectangular view in tenths of a degree: 80°N to 62°S (no incident is expected on Antarctica).
PLATE_VIEW = (0, 100, 3600, 1520)
TILE_ZOOM = 2
TILE_SIZE = 256
_WORLD = TILE_SIZE * 2**TILE_ZOOM
#: Web Mercator view in zoom-2 pixels: 80°N to 62°S, like the outline view.
MERCATOR_LAT = (80.0, -62.0)


@dataclass(frozen=True, slots=True)
class Dot:
    """One located incident on the map."""

    incident_id: int
    x: float
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Tile:
    """One background tile: its URL and where it goes."""

    url: str
    x: int
    y: int
    size: int


@dataclass(frozen=True, slots=True)
class MapView:
    """What the map template draws: a view box, the background (outline or tiles) and the dots."""

    view_box: str
    width: float
    height: float
    outline: bool
    tiles: tuple[Tile, ...]
    dots: tuple[Dot, ...]
    radius: float
    unlocated: int


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.05), -85.05)
    phi = math.radians(lat)
    return (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * _WORLD


def project(lat: float, lon: float, mercator: bool) -> tuple[float, float]:
    """(x, y) of a point in the map's units."""
    if mercator:
        return (lon + 180) / 360 * _WORLD, _mercator_y(lat)
    return (lon + 180) * 10, (90 - lat) * 10


def tile_urls(template: str) -> tuple[Tile, ...]:
    """The zoom-2 tiles of a ``{z}/{x}/{y}`` URL template, in pixels of that zoom."""
    count = 2**TILE_ZOOM
    return tuple(
        Tile(
            url=template.replace("{z}", str(TILE_ZOOM)).replace("{x}", str(x)).replace("{y}", str(y)),
            x=x * TILE_SIZE,
            y=y * TILE_SIZE,
            size=TILE_SIZE,
        )
        for y in range(count)
        for x in range(count)
    )


def incident_label(incident: Incident) -> str:
    """What a dot says to a screen reader and in its tooltip: title, place and date."""
    place = ", ".join(p for p in (incident.location_name, incident.country_name or incident.country_code) if p)
    when = incident.occurred_on.isoformat() if incident.occurred_on else ""
    return " — ".join(part for part in (incident.title, place, when) if part)


def map_view(incidents: list[Incident], tile_url: str = "") -> MapView:
    """The map of ``incidents``: Web Mercator over tiles when ``tile_url`` is set, else the outline."""
    mercator = bool(tile_url)
    dots = []
    for incident in incidents:
        if incident.lat is None or incident.lon is None:
            continue
        x, y = project(incident.lat, incident.lon, mercator)
        dots.append(Dot(incident.id, round(x, 1), round(y, 1), incident_label(incident)))
    if mercator:
        top, bottom = (_mercator_y(lat) for lat in MERCATOR_LAT)
        box = (0.0, top, float(_WORLD), bottom - top)
        radius = 5.0
    else:
        box = tuple(float(v) for v in PLATE_VIEW)  # type: ignore[assignment]
        radius = 24.0
    return MapView(
        view_box=" ".join(f"{v:g}" for v in box),
        width=box[2],
        height=box[3],
        outline=not mercator,
        tiles=tile_urls(tile_url) if mercator else (),
        dots=tuple(dots),
        radius=radius,
        unlocated=len(incidents) - len(dots),
    )


@lru_cache(maxsize=1)
def outline_svg() -> str:
    """The world outline as a standalone SVG document in the equirectangular view's units."""
    paths = []
    for country in load_outline():
        d = "".join("M" + "L".join(f"{lon + 1800} {900 - lat}" for lon, lat in ring) + "Z" for ring in country.rings)
        paths.append(f'<path d="{d}"/>')
    x, y, w, h = PLATE_VIEW
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x} {y} {w} {h}" width="{w}" height="{h}">'
        '<rect x="0" y="0" width="3600" height="1800" fill="#dcebf5"/>'
        '<g fill="#f4f1ea" stroke="#9a9a9a" stroke-width="2" stroke-linejoin="round">' + "".join(paths) + "</g></svg>"
    )
