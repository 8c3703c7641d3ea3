"""The incident feeds over HTTP: Atom (read back with feedparser), GeoJSON (RFC 7946), CSV with HXL."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import feedparser
import geojson
import httpx2
import pytest

from alerts.models import ArticleRef
from alerts.store import Database
from tests.api.conftest import PUBLIC_URL
from tests.feeds_out.stored import stored

SEEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
# Titles, places and names below are made up for these tests.
HOSTILE = 'Raid on <b>clinic</b> & "depot"\x00\x07 =HYPERLINK("http://evil.example")\r\nnext line'


def _article(n: int, feed: str = "wire") -> ArticleRef:
    return ArticleRef(
        url=f"https://news{n}.example.org/story-{n}", title=f"Story {n}", feed=feed, published=SEEN, first_seen=SEEN
    )


@pytest.fixture
def incidents(db: Database) -> None:
    stored(db, id=1, country_code="CD", lat=1.56, lon=30.25, articles=[_article(1)], categories=["health"])
    stored(
        db,
        id=2,
        title=HOSTILE,
        summary="-5 trucks looted",
        country_code="SD",
        country_name="Sudan",
        location_name="Nyala",
        lat=12.05,
        lon=24.88,
        categories=["aid_convoy_or_warehouse"],
        event_types=["looting_or_robbery"],
        killed=None,
        injured=0,
        kidnapped=3,
        articles=[_article(2, "other"), _article(3)],
        updated=datetime(2026, 11, 25, tzinfo=UTC),
    )
    stored(
        db,
        id=3,
        title="Unlocated attack",
        lat=None,
        lon=None,
        location_name=None,
        articles=[_article(4)],
        categories=["un"],
    )
    stored(db, id=4, title="Bad coordinates", lat=95.0, lon=200.0, articles=[_article(5)], categories=["camp"])


@pytest.mark.usefixtures("incidents")
async def test_atom_feed_reads_back_with_feedparser(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/v1/incidents.atom?min_score=0.5")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("aidwatch")
    ids = [entry.id for entry in parsed.entries]
    assert ids[0] == f"{PUBLIC_URL}/api/v1/incidents/2"  # most recently updated first
    assert sorted(ids) == [f"{PUBLIC_URL}/api/v1/incidents/{n}" for n in (1, 2, 3, 4)]
    hostile = parsed.entries[0]
    # Control characters XML cannot hold are dropped; the markup stays text.
    assert hostile.title.startswith('Raid on <b>clinic</b> & "depot" =HYPERLINK')
    assert "Where: Nyala, Sudan" in hostile.summary
    related = [link.href for link in hostile.links if link.rel == "related"]
    assert related == ["https://news2.example.org/story-2", "https://news3.example.org/story-3"]
    cap_links = [link.href for link in hostile.links if link.type == "application/cap+xml"]
    assert cap_links == [f"{PUBLIC_URL}/api/v1/incidents/2.cap"]
    assert [tag.term for tag in hostile.tags] == ["aid_convoy_or_warehouse", "SD"]
    assert hostile.tags[0].label == "aid convoy or warehouse"
    # Readers open the first alternate link: the incident's web page, not its JSON record.
    assert hostile.link == f"{PUBLIC_URL}/incidents/2"
    assert hostile.updated_parsed[:3] == (2026, 11, 25)
    self_link = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_link == [f"{PUBLIC_URL}/api/v1/incidents.atom?min_score=0.5"]


@pytest.mark.usefixtures("incidents")
@pytest.mark.parametrize(
    ("query", "expected"),
    [("", [2, 4, 3, 1]), ("country=sd", [2]), ("category=health", [1]), ("limit=1&offset=1", [4])],
    ids=["all", "country", "category", "page"],
)
async def test_every_feed_takes_the_incident_list_filters(
    client: httpx2.AsyncClient, query: str, expected: list[int]
) -> None:
    listed = (await client.get(f"/api/v1/incidents?{query}")).json()["incidents"]
    assert [i["id"] for i in listed] == expected
    atom = feedparser.parse((await client.get(f"/api/v1/incidents.atom?{query}")).content)
    assert [int(e.id.rsplit("/", 1)[1]) for e in atom.entries] == expected
    rows = list(csv.reader(io.StringIO((await client.get(f"/api/v1/incidents.csv?{query}")).text)))
    assert [int(r[0]) for r in rows[2:]] == expected
    located = [i for i in expected if i in (1, 2)]
    collection = (await client.get(f"/api/v1/incidents.geojson?{query}")).json()
    assert [f["id"] for f in collection["features"]] == located


@pytest.mark.parametrize("feed", ["incidents.atom", "incidents.geojson", "incidents.csv"])
@pytest.mark.parametrize(
    ("query", "field"),
    [("country=SDN", "country"), ("since=2026-11-24T00:00:00", "since"), ("limit=0", "limit")],
    ids=["country", "naive-since", "limit"],
)
async def test_bad_filters_are_a_400_naming_the_field(
    client: httpx2.AsyncClient, feed: str, query: str, field: str
) -> None:
    response = await client.get(f"/api/v1/{feed}?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


@pytest.mark.usefixtures("incidents")
async def test_geojson_obeys_rfc_7946(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/v1/incidents.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    document = json.loads(response.content)
    parsed = geojson.loads(response.text)
    assert isinstance(parsed, geojson.FeatureCollection) and parsed.is_valid, parsed.errors()
    assert "crs" not in document and document["type"] == "FeatureCollection"
    # Incident 3 has no place and incident 4 impossible coordinates: no feature for either.
    assert [f["id"] for f in document["features"]] == [2, 1]
    for feature in document["features"]:
        assert feature["type"] == "Feature" and "crs" not in feature
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        record = (await client.get(f"/api/v1/incidents/{feature['id']}")).json()
        assert feature["properties"] == record
        assert [lon, lat] == [record["location"]["lon"], record["location"]["lat"]]  # longitude first


# The Aid Worker Security Database export's columns, in its order (those aidwatch fills are a subsequence).
AWSD_ORDER = [
    "Incident ID", "Year", "Month", "Day", "Country Code", "Country", "Region", "District", "City", "UN", "INGO",
    "ICRC", "NRCS and IFRC", "NNGO", "Other", "Nationals killed", "Nationals wounded", "Nationals kidnapped",
    "Total nationals", "Internationals killed", "Internationals wounded", "Internationals kidnapped",
    "Total internationals", "Total killed", "Total wounded", "Total kidnapped", "Total affected", "Gender Male",
    "Gender Female", "Gender Unknown", "Means of attack", "Attack context", "Location", "Latitude", "Longitude",
    "Motive", "Actor type", "Actor name", "Details", "Verified", "Source",
]  # fmt: skip
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$")


@pytest.mark.usefixtures("incidents")
async def test_csv_has_awsd_columns_an_hxl_row_and_round_trips(client: httpx2.AsyncClient) -> None:
    response = await client.get("/api/v1/incidents.csv")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    header, tags, data = rows[0], rows[1], rows[2:]
    awsd = [h for h in header if h in AWSD_ORDER]
    assert awsd == [h for h in AWSD_ORDER if h in awsd] and len(awsd) == 16
    assert header[: len(awsd)] == awsd  # the AWSD columns come first
    assert len(tags) == len(header) and all(HXL_TAG.match(tag) for tag in tags), tags
    assert len(set(tags)) == len(tags)
    assert all(len(row) == len(header) for row in data)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in data}
    nyala = by_id["2"]
    assert (nyala["Year"], nyala["Month"], nyala["Day"]) == ("2026", "11", "19")
    assert (nyala["Country Code"], nyala["City"], nyala["Latitude"], nyala["Longitude"]) == (
        "SD",
        "Nyala",
        "12.05",
        "24.88",
    )
    assert (nyala["Total killed"], nyala["Total wounded"], nyala["Total kidnapped"]) == ("", "0", "3")
    assert nyala["Means of attack"] == "looting or robbery"
    assert nyala["Source"] == "https://news2.example.org/story-2 https://news3.example.org/story-3"
    # One line per cell, and nothing a spreadsheet would run as a formula.
    assert "\n" not in nyala["Title"] and nyala["Title"].startswith("Raid on <b>clinic</b>")
    assert nyala["Details"] == "'-5 trucks looted"
    assert nyala["URL"] == f"{PUBLIC_URL}/api/v1/incidents/2"
    # Round trip: written again with csv, the same text comes out.
    again = io.StringIO()
    csv.writer(again, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == response.content.decode("utf-8")


async def test_empty_feeds_are_still_documents(client: httpx2.AsyncClient) -> None:
    atom = feedparser.parse((await client.get("/api/v1/incidents.atom")).content)
    assert not atom.bozo and atom.entries == []
    assert (await client.get("/api/v1/incidents.geojson")).json() == {"type": "FeatureCollection", "features": []}
    assert len(list(csv.reader(io.StringIO((await client.get("/api/v1/incidents.csv")).text)))) == 2
