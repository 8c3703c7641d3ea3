"""CAP 1.2 documents: valid against the OASIS schema; a merged report turns the Alert into an Update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from lxml import etree

from alerts.api import create_app
from alerts.store import Database
from alerts.store.incidents import get_incident
from tests.api.conftest import ADMIN, bearer, make_settings
from tests.feeds_out.stored import ingest_report, stored

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "cap" / "CAP-v1.2.xsd")))
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
FIRST = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _valid(body: bytes) -> etree._Element:
    document = etree.fromstring(body)
    assert SCHEMA.validate(document), SCHEMA.error_log
    return document


def _text(document: etree._Element, path: str) -> list[str]:
    return [str(node.text) for node in document.xpath(path, namespaces=NS)]


async def test_first_report_is_an_alert_and_a_merged_report_an_update(db: Database, client: httpx2.AsyncClient) -> None:
    created = ingest_report(db, FIRST, "https://news1.example.org/bentiu", killed=1)
    assert created.incident_event == "incident.created" and created.incident_id is not None
    url = f"/api/v1/incidents/{created.incident_id}.cap"
    response = await client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "application/cap+xml"
    alert = _valid(response.content)
    assert _text(alert, "/cap:alert/cap:msgType") == ["Alert"]
    assert _text(alert, "/cap:alert/cap:sent") == ["2026-11-20T09:30:00-00:00"]
    assert _text(alert, "/cap:alert/cap:references") == []
    identifier = _text(alert, "/cap:alert/cap:identifier")[0]
    sender = _text(alert, "/cap:alert/cap:sender")[0]
    assert _text(alert, "//cap:info/cap:certainty") == ["Likely"]  # one outlet so far
    assert _text(alert, "//cap:area/cap:circle") == ["9.23000,29.83000 0"]
    assert _text(alert, "//cap:geocode/cap:value") == ["SS"]
    assert (await client.get(url)).content == response.content  # one version, one document

    # A second outlet reports more dead: the merge raises the version, and CAP says Update.
    later = FIRST + timedelta(hours=2)
    merged = ingest_report(db, later, "https://news2.example.org/bentiu-toll", killed=3)
    assert merged.incident_event == "incident.updated" and merged.incident_id == created.incident_id
    update = _valid((await client.get(url)).content)
    assert _text(update, "/cap:alert/cap:msgType") == ["Update"]
    assert _text(update, "/cap:alert/cap:sent") == ["2026-11-20T11:30:00-00:00"]
    assert _text(update, "/cap:alert/cap:references") == [f"{sender},{identifier},2026-11-20T09:30:00-00:00"]
    assert _text(update, "/cap:alert/cap:identifier")[0] != identifier
    assert _text(update, "/cap:alert/cap:incidents") == _text(alert, "/cap:alert/cap:incidents")
    assert "3" in _text(update, "//cap:parameter[cap:valueName='killed']/cap:value")
    assert _text(update, "//cap:info/cap:certainty") == ["Observed"]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, id="plain"),
        pytest.param(
            {"title": "Raid <b>&</b> \x01\x1b burn\u2028" + "x" * 400, "summary": "a\x00b <script>", "language": "e n"},
            id="hostile-text",
        ),
        pytest.param(
            {"lat": None, "lon": None, "country_code": None, "country_name": None, "location_name": None},
            id="no-place",
        ),
        pytest.param({"killed": None, "injured": None, "kidnapped": None, "occurred_on": None}, id="no-facts"),
        pytest.param({"lat": -91.0, "lon": 181.0, "language": "pt-BR"}, id="impossible-coordinates"),
    ],
)
async def test_every_incident_gives_a_schema_valid_document(
    db: Database, client: httpx2.AsyncClient, overrides: dict[str, object]
) -> None:
    stored(db, id=7, **overrides)
    document = _valid((await client.get("/api/v1/incidents/7.cap")).content)
    headline = _text(document, "//cap:headline")[0]
    assert len(headline) <= 160 and "\n" not in headline


async def test_route_order_keeps_json_records_and_feeds_apart(db: Database, client: httpx2.AsyncClient) -> None:
    stored(db, id=5)
    assert (await client.get("/api/v1/incidents/5")).json()["id"] == 5
    assert (await client.get("/api/v1/incidents/5.cap")).headers["content-type"] == "application/cap+xml"
    assert (await client.get("/api/v1/incidents.atom")).headers["content-type"].startswith("application/atom+xml")
    missing = await client.get("/api/v1/incidents/6.cap")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = await client.get("/api/v1/incidents/abc.cap")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "incident_id"
    assert get_incident(db, 5) is not None


async def test_private_incidents_need_the_admin_token_and_are_restricted(db: Database) -> None:
    stored(db, id=5)
    app = create_app(make_settings(api={"private_incidents": True}), db)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t") as http:
        for path in ("incidents.atom", "incidents.geojson", "incidents.csv", "incidents/5.cap"):
            assert (await http.get(f"/api/v1/{path}")).status_code == 401, path
        document = _valid((await http.get("/api/v1/incidents/5.cap", headers=bearer(ADMIN))).content)
    assert _text(document, "/cap:alert/cap:scope") == ["Restricted"]
    assert _text(document, "/cap:alert/cap:restriction") != []
