"""Admin endpoints (feeds, all subscriptions), incidents, health, readiness, metrics and OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from alerts.api import create_app
from alerts.store import Database
from tests.api.conftest import ADMIN, bearer, make_settings
from tests.support.alerting import make_incident, store_incident

Create = Callable[..., Any]


async def _client_for(db: Database, **sections: dict[str, Any]) -> httpx2.AsyncClient:
    app = create_app(make_settings(**sections), db)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t")


async def test_admin_lists_subscriptions(create: Create, client: httpx2.AsyncClient) -> None:
    first = await create()
    second = await create(channel="email", target="x@example.org")
    assert (await client.get("/api/v1/subscriptions")).status_code == 401
    assert (await client.get("/api/v1/subscriptions", headers=bearer(first["manage_token"]))).status_code == 403
    response = await client.get("/api/v1/subscriptions", headers=bearer(ADMIN))
    assert response.status_code == 200
    listed = [(s["id"], s["status"]) for s in response.json()["subscriptions"]]
    assert listed == [(first["id"], "active"), (second["id"], "pending_confirmation")]
    page = await client.get("/api/v1/subscriptions?limit=1&offset=1", headers=bearer(ADMIN))
    assert [s["id"] for s in page.json()["subscriptions"]] == [second["id"]]


async def test_admin_api_is_off_without_an_admin_token(db: Database) -> None:
    async with await _client_for(db, api={"admin_token": ""}) as http:
        response = await http.get("/api/v1/feeds", headers=bearer(""))
        assert response.status_code in (401, 403)
        response = await http.get("/api/v1/feeds", headers=bearer("anything"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "admin_disabled"


async def test_feeds_crud(client: httpx2.AsyncClient) -> None:
    auth = bearer(ADMIN)
    feed = {"id": "reliefweb-updates", "url": "https://reliefweb.int/updates/rss.xml", "interval": "10m"}
    assert (await client.post("/api/v1/feeds", json=feed)).status_code == 401
    created = await client.post("/api/v1/feeds", json=feed, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["interval_seconds"] == 600 and created.json()["origin"] == "api"
    duplicate = await client.post("/api/v1/feeds", json=feed, headers=auth)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "id"
    bad = await client.post("/api/v1/feeds", json={"id": "x", "url": "file:///etc/passwd"}, headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "url"
    listed = await client.get("/api/v1/feeds", headers=auth)
    assert [f["id"] for f in listed.json()["feeds"]] == ["reliefweb-updates"]
    one = await client.get("/api/v1/feeds/reliefweb-updates", headers=auth)
    assert one.status_code == 200 and one.json()["url"] == feed["url"]
    assert (await client.delete("/api/v1/feeds/reliefweb-updates", headers=auth)).status_code == 204
    assert (await client.get("/api/v1/feeds/reliefweb-updates", headers=auth)).status_code == 404
    assert (await client.delete("/api/v1/feeds/reliefweb-updates", headers=auth)).status_code == 404


@pytest.fixture
def incidents(db: Database) -> None:
    store_incident(db, make_incident(id=1, country_code="CD", score=0.9, categories=["health"]))
    store_incident(
        db,
        make_incident(
            id=2,
            country_code="SD",
            country_name="Sudan",
            score=0.6,
            categories=["aid_convoy_or_warehouse"],
            updated=datetime(2026, 11, 25, tzinfo=UTC),
        ),
    )


@pytest.mark.usefixtures("incidents")
async def test_incidents_list_filters_and_read(client: httpx2.AsyncClient) -> None:
    everything = await client.get("/api/v1/incidents")
    assert everything.status_code == 200
    assert [i["id"] for i in everything.json()["incidents"]] == [2, 1]
    assert (await client.get("/api/v1/incidents?country=sd")).json()["incidents"][0]["id"] == 2
    assert [i["id"] for i in (await client.get("/api/v1/incidents?category=health")).json()["incidents"]] == [1]
    assert [i["id"] for i in (await client.get("/api/v1/incidents?min_score=0.8")).json()["incidents"]] == [1]
    since = await client.get("/api/v1/incidents", params={"since": "2026-11-24T00:00:00Z"})
    assert [i["id"] for i in since.json()["incidents"]] == [2]
    page = await client.get("/api/v1/incidents?limit=1&offset=1")
    assert [i["id"] for i in page.json()["incidents"]] == [1]
    one = await client.get("/api/v1/incidents/1")
    assert one.status_code == 200
    record = one.json()
    assert record["country"]["code"] == "CD" and record["casualties"]["killed"] == 2
    assert set(record) >= {"id", "version", "title", "articles", "evidence", "location", "occurred_on"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("country=SDN", "country"),
        ("category=school", "category"),
        ("min_score=2", "min_score"),
        ("since=yesterday", "since"),
        ("since=2026-11-24T00:00:00", "since"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("offset=-1", "offset"),
    ],
)
async def test_incident_query_errors(client: httpx2.AsyncClient, query: str, field: str) -> None:
    response = await client.get(f"/api/v1/incidents?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field


async def test_unknown_incident(client: httpx2.AsyncClient) -> None:
    assert (await client.get("/api/v1/incidents/999")).status_code == 404
    assert (await client.get("/api/v1/incidents/0")).status_code == 404
    assert (await client.get("/api/v1/incidents/99999999999999999999999")).status_code in (400, 404)
    bad = await client.get("/api/v1/incidents/abc")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "incident_id"


@pytest.mark.usefixtures("incidents")
async def test_private_incidents_need_the_admin_token(db: Database) -> None:
    async with await _client_for(db, api={"private_incidents": True}) as http:
        assert (await http.get("/api/v1/incidents")).status_code == 401
        assert (await http.get("/api/v1/incidents/1")).status_code == 401
        assert (await http.get("/api/v1/incidents/1", headers=bearer(ADMIN))).status_code == 200


async def test_health_and_readiness(db: Database, client: httpx2.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True}
    checks = {"database": True, "scheduler": False}
    app = create_app(make_settings(), db, readiness=lambda: checks)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t") as http:
        not_ready = await http.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json() == {"status": "unavailable", "checks": checks}
        checks["scheduler"] = True
        assert (await http.get("/readyz")).status_code == 200


async def test_readiness_fails_when_the_database_is_unreachable() -> None:
    from alerts.store import make_database
    from tests.support.smtp_server import free_port

    unreachable = make_database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    app = create_app(make_settings(), unreachable)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/readyz")
    unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": False}


async def test_metrics_and_openapi(client: httpx2.AsyncClient) -> None:
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "aidwatch_deliveries" in metrics.text
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/v1/subscriptions",
        "/api/v1/subscriptions/{subscription_id}",
        "/api/v1/subscriptions/{subscription_id}/confirm",
        "/api/v1/subscriptions/{subscription_id}/unsubscribe",
        "/api/v1/subscriptions/{subscription_id}/deliveries",
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/feeds",
        "/api/v1/feeds/{feed_id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/subscriptions"]) == {"get", "post"}
    assert "400" in spec["paths"]["/api/v1/subscriptions"]["post"]["responses"]
