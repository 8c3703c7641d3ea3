"""The incident map: projections, dots, tiles, the shipped outline, and the tile URL setting."""

from __future__ import annotations

import re
from datetime import date
from importlib.resources import files

import pytest

from alerts.settings import Settings, SettingsError, load_settings
from alerts.web.mapview import incident_label, map_view, outline_svg, project
from alerts.web.outline import OUTLINE_FILE, load_outline, simplify_geojson
from tests.support.alerting import make_incident


@pytest.mark.parametrize(
    ("lat", "lon", "mercator", "expected"),
    [
        pytest.param(0, 0, False, (1800, 900), id="plate-origin"),
        pytest.param(90, -180, False, (0, 0), id="plate-north-west-corner"),
        pytest.param(-45.5, 120.25, False, (3002.5, 1355), id="plate-south-east"),
        pytest.param(0, 0, True, (512, 512), id="mercator-origin"),
        pytest.param(0, 180, True, (1024, 512), id="mercator-antimeridian"),
        pytest.param(85.05112878, -180, True, (0, 0), id="mercator-top-left"),
    ],
)
def test_project(lat: float, lon: float, mercator: bool, expected: tuple[float, float]) -> None:
    x, y = project(lat, lon, mercator)
    assert (round(x, 1), round(y, 1)) == pytest.approx(expected, abs=0.1)


def test_dots_are_the_located_incidents_only() -> None:
    located = make_incident(id=1, lat=15.6, lon=32.5, location_name="Khartoum", occurred_on=date(2026, 11, 2))
    unlocated = make_incident(id=2, lat=None, lon=None)
    view = map_view([located, unlocated])
    assert [dot.incident_id for dot in view.dots] == [1]
    assert (view.dots[0].x, view.dots[0].y) == (2125.0, 744.0)
    assert view.unlocated == 1 and view.outline and view.tiles == ()
    assert view.dots[0].label == incident_label(located)
    assert "Khartoum" in view.dots[0].label and "2026-11-02" in view.dots[0].label


def test_a_tile_url_switches_to_mercator_tiles() -> None:
    view = map_view([make_incident()], "https://tiles.example.org/{z}/{x}/{y}.png")
    assert not view.outline and len(view.tiles) == 16
    assert view.tiles[0].url == "https://tiles.example.org/2/0/0.png"
    assert view.tiles[-1].url == "https://tiles.example.org/2/3/3.png" and (view.tiles[-1].x, view.tiles[-1].y) == (
        768,
        768,
    )


def test_the_shipped_outline_is_small_and_whole() -> None:
    shipped = files("alerts.web").joinpath("static", OUTLINE_FILE)
    assert len(shipped.read_bytes()) < 300_000
    countries = load_outline()
    assert len(countries) > 170
    by_code = {c.iso_a2: c for c in countries if c.iso_a2}
    for code in ("SD", "AF", "CD", "SY", "YE", "UA", "ML", "SO"):
        assert by_code[code].rings, code
    for country in countries:
        for ring in country.rings:
            assert len(ring) >= 3
            assert all(-1800 <= lon <= 1800 and -900 <= lat <= 900 for lon, lat in ring), country.name
    svg = outline_svg()
    assert svg.startswith("<svg") and svg.count("<path") == len(countries)


def test_simplify_rounds_to_tenths_and_drops_degenerate_rings() -> None:
    collection = {
        "features": [
            {
                "properties": {"ISO_A2": "XA", "NAME": "Squareland"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [[[0.01, 0.02], [1.04, 0.0], [1.0, 1.0], [1.01, 1.02], [0.0, 0.0]]],
                        [[[5.0, 5.0], [5.01, 5.0], [5.0, 5.01]]],  # collapses to one point
                    ],
                },
            },
            {"properties": {"iso_a2": "-99", "name": "Nowhere"}, "geometry": {"type": "Polygon", "coordinates": []}},
        ]
    }
    document = simplify_geojson(collection)
    first, second = document["countries"]
    assert first == {"iso_a2": "XA", "name": "Squareland", "rings": [[0, 0, 10, 0, 10, 10, 0, 0]]}
    assert second == {"iso_a2": "", "name": "Nowhere", "rings": []}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("", True, id="empty-means-outline"),
        pytest.param("https://tiles.example.org/{z}/{x}/{y}.png", True, id="xyz"),
        pytest.param("https://tiles.example.org/{z}/{x}.png", False, id="no-y"),
        pytest.param("ftp://tiles.example.org/{z}/{x}/{y}.png", False, id="not-http"),
        pytest.param("javascript:alert(1)//{z}{x}{y}", False, id="script"),
    ],
)
def test_tile_url_setting(value: str, ok: bool) -> None:
    if ok:
        assert Settings.model_validate({"web": {"map_tile_url": value}}).web.map_tile_url == value
        return
    with pytest.raises(SettingsError, match=re.escape("[web] map_tile_url: expected an http(s) URL")):
        load_settings(None, {"AIDWATCH_WEB__MAP_TILE_URL": value})
