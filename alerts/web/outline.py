"""The world outline under the incident map: Natural Earth 1:110m admin-0 countries (public domain).

The shipped ``static/world-110m.json`` is made from Natural Earth's GeoJSON with
``python -m alerts.web.outline ne_110m_admin_0_countries.geojson alerts/web/static/world-110m.json``:
coordinates are rounded to a tenth of a degree (about 11 km, finer than the 1:110m data itself) and kept as
integers, repeated points and rings left with fewer than three points are dropped.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

OUTLINE_FILE = "world-110m.json"
SOURCE = "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain, naturalearthdata.com)"


@dataclass(frozen=True, slots=True)
class Country:
    """One country's outline: rings of (longitude, latitude) points in tenths of a degree."""

    iso_a2: str
    name: str
    rings: tuple[tuple[tuple[int, int], ...], ...]


def _ring(points: list[list[float]]) -> list[int]:
    flat: list[int] = []
    last: tuple[int, int] | None = None
    for lon, lat, *_ in points:
        point = (round(lon * 10), round(lat * 10))
        if point != last:
            flat += point
            last = point
    return flat if len(flat) >= 6 else []


def simplify_geojson(collection: dict[str, Any]) -> dict[str, Any]:
    """The compact outline document made from a Natural Earth admin-0 GeoJSON feature collection."""
    countries = []
    for feature in collection["features"]:
        props = {k.lower(): v for k, v in feature["properties"].items()}
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        rings = [flat for polygon in polygons for ring in polygon if (flat := _ring(ring))]
        iso = props.get("iso_a2") or ""
        countries.append({"iso_a2": iso if len(iso) == 2 else "", "name": props.get("name") or "", "rings": rings})
    return {"source": SOURCE, "units": "tenths of a degree, [lon, lat, lon, lat, ...]", "countries": countries}


@lru_cache(maxsize=1)
def load_outline() -> tuple[Country, ...]:
    """The shipped world outline (read once)."""
    data = json.loads(files("alerts.web").joinpath("static", OUTLINE_FILE).read_text("utf-8"))
    return tuple(
        Country(
            iso_a2=country["iso_a2"],
            name=country["name"],
            rings=tuple(tuple(zip(ring[::2], ring[1::2], strict=True)) for ring in country["rings"]),
        )
        for country in data["countries"]
    )


def main(argv: list[str]) -> int:
    """``python -m alerts.web.outline SOURCE.geojson DEST.json``: write the compact outline."""
    if len(argv) != 2:
        print("usage: python -m alerts.web.outline SOURCE.geojson DEST.json", file=sys.stderr)
        return 2
    source, dest = (Path(arg) for arg in argv)
    document = simplify_geojson(json.loads(source.read_text("utf-8")))
    dest.write_text(json.dumps(document, separators=(",", ":")) + "\n", "utf-8")
    print(f"{dest}: {len(document['countries'])} countries, {dest.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
