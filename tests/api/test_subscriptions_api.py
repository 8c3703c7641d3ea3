"""POST/GET/PATCH/DELETE /subscriptions and the delivery log: success and error paths."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from alerts.api import create_app
from alerts.store import Database
from alerts.store.tables import OutboxRow, SubscriptionRow
from tests.api.conftest import ADMIN, PUBLIC_HOOK, bearer, make_settings

Create = Callable[..., Any]


async def test_create_webhook_subscription_with_defaults(client: httpx2.AsyncClient, db: Database) -> None:
    response = await client.post("/api/v1/subscriptions", json={"channel": "webhook", "target": PUBLIC_HOOK})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "status", "manage_token", "signing_secret"}
    assert body["status"] == "active"
    assert body["signing_secret"].startswith("whsec_")
    assert len(base64.b64decode(body["signing_secret"].removeprefix("whsec_"))) == 32
    got = await client.get(f"/api/v1/subscriptions/{body['id']}", headers=bearer(body["manage_token"]))
    assert got.status_code == 200
    data = got.json()
    assert (data["mode"], data["format"], data["channel"], data["target"]) == (
        "instant",
        "json",
        "webhook",
        PUBLIC_HOOK,
    )
    assert data["filters"]["countries"] == [] and data["filters"]["min_score"] is None
    assert "manage_token" not in data and "manage_token_hash" not in data and "signing_secret" not in data
    with db.session() as session:
        row = session.get(SubscriptionRow, body["id"])
        assert row is not None and body["manage_token"] not in row.manage_token_hash  # stored hashed


async def test_create_with_every_field(create: Create, client: httpx2.AsyncClient) -> None:
    body = await create(
        channel="webhook",
        target=PUBLIC_HOOK,
        filters={
            "countries": ["sd", "SS"],
            "categories": ["health", "un"],
            "event_types": ["kidnapping"],
            "min_score": 0.6,
            "min_killed": 1,
            "keywords": [" WFP "],
            "languages": ["EN"],
        },
        mode="digest",
        digest={"every": "1d", "at": "08:00", "timezone": "Africa/Khartoum"},
        format="slack",
        name="Sudan desk",
    )
    data = (await client.get(f"/api/v1/subscriptions/{body['id']}", headers=bearer(body["manage_token"]))).json()
    assert data["filters"]["countries"] == ["SD", "SS"]
    assert data["filters"]["keywords"] == ["WFP"]
    assert data["filters"]["languages"] == ["en"]
    assert data["digest"] == {"every": "1d", "at": "08:00", "timezone": "Africa/Khartoum"}
    assert data["next_digest_at"] is not None
    assert (data["format"], data["name"]) == ("slack", "Sudan desk")


BAD_BODIES = [
    ("missing-target", {"channel": "webhook"}, "target"),
    ("missing-channel", {"target": PUBLIC_HOOK}, "channel"),
    ("unknown-channel", {"channel": "sms", "target": "+123"}, "channel"),
    ("extra-field", {"channel": "webhook", "target": PUBLIC_HOOK, "colour": "red"}, "colour"),
    ("bad-email", {"channel": "email", "target": "not-an-address"}, "target"),
    ("email-with-crlf", {"channel": "email", "target": "a@example.org\r\nBcc: b@example.org"}, "target"),
    ("ftp-webhook", {"channel": "webhook", "target": "ftp://93.184.216.34/x"}, "target"),
    (
        "unknown-country",
        {"channel": "webhook", "target": PUBLIC_HOOK, "filters": {"countries": ["XX"]}},
        "filters.countries",
    ),
    (
        "alpha3-country",
        {"channel": "webhook", "target": PUBLIC_HOOK, "filters": {"countries": ["SDN"]}},
        "filters.countries",
    ),
    (
        "unknown-category",
        {"channel": "webhook", "target": PUBLIC_HOOK, "filters": {"categories": ["school"]}},
        "filters.categories.0",
    ),
    ("score-above-1", {"channel": "webhook", "target": PUBLIC_HOOK, "filters": {"min_score": 2}}, "filters.min_score"),
    (
        "negative-killed",
        {"channel": "webhook", "target": PUBLIC_HOOK, "filters": {"min_killed": -1}},
        "filters.min_killed",
    ),
    ("filters-not-object", {"channel": "webhook", "target": PUBLIC_HOOK, "filters": ["x"]}, "filters"),
    ("digest-missing", {"channel": "webhook", "target": PUBLIC_HOOK, "mode": "digest"}, None),
    (
        "digest-bad-zone",
        {"channel": "webhook", "target": PUBLIC_HOOK, "mode": "digest", "digest": {"timezone": "Mars/Olympus"}},
        "digest.timezone",
    ),
    (
        "digest-too-often",
        {"channel": "webhook", "target": PUBLIC_HOOK, "mode": "digest", "digest": {"every": "1m"}},
        "digest.every",
    ),
    (
        "digest-bad-at",
        {"channel": "webhook", "target": PUBLIC_HOOK, "mode": "digest", "digest": {"at": "25:00"}},
        "digest.at",
    ),
    ("unknown-format", {"channel": "webhook", "target": PUBLIC_HOOK, "format": "xml"}, "format"),
    ("not-an-object", [1, 2], None),
]


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES])
async def test_create_refuses_bad_input(client: httpx2.AsyncClient, body: Any, field: str | None) -> None:
    response = await client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"]
    if field is not None:
        assert error["field"] == field


async def test_invalid_json_is_400(client: httpx2.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/subscriptions", content=b'{"channel": "webhook",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


PRIVATE_TARGETS = [
    ("ipv4-loopback", "http://127.0.0.1:8080/hook"),
    ("loopback-other", "http://127.8.9.10/hook"),
    ("private-10", "http://10.0.0.5/hook"),
    ("private-172", "https://172.16.3.4/hook"),
    ("private-192", "http://192.168.1.1/hook"),
    ("metadata", "http://169.254.169.254/latest/meta-data/"),
    ("ipv6-loopback", "http://[::1]:8080/hook"),
    ("ipv6-unique-local", "http://[fc00::1]/hook"),
    ("ipv6-link-local", "http://[fe80::1]/hook"),
    ("ipv4-mapped-loopback", "http://[::ffff:127.0.0.1]/hook"),
    ("unspecified", "http://0.0.0.0/hook"),
    ("multicast", "http://224.0.0.1/hook"),
    ("localhost-name", "http://localhost:8080/hook"),
    ("localhost-subdomain", "http://api.localhost/hook"),
    ("decimal-loopback", "http://2130706433/hook"),
    ("hex-loopback", "http://0x7f.0.0.1/hook"),
    ("ipv6-zone-link-local", "http://[fe80::1%25eth0]/hook"),
    ("unencodable-host", "http://" + "a" * 70 + ".example/hook"),
    ("port-out-of-range", "http://93.184.216.34:99999/hook"),
]


@pytest.mark.parametrize("target", [t[1] for t in PRIVATE_TARGETS], ids=[t[0] for t in PRIVATE_TARGETS])
async def test_private_webhook_targets_are_refused(client: httpx2.AsyncClient, target: str) -> None:
    response = await client.post("/api/v1/subscriptions", json={"channel": "webhook", "target": target})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "target_refused"
    assert response.json()["error"]["field"] == "target"


async def test_private_targets_allowed_when_configured(db: Database) -> None:
    app = create_app(make_settings(delivery={"allow_private_networks": True}), db)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t") as http:
        response = await http.post(
            "/api/v1/subscriptions", json={"channel": "webhook", "target": "http://127.0.0.1:9/h"}
        )
    assert response.status_code == 201


async def test_body_over_the_limit_is_413(db: Database) -> None:
    app = create_app(make_settings(api={"max_body_bytes": 2048}), db)
    big = {"channel": "webhook", "target": PUBLIC_HOOK, "name": "x" * 5000}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t") as http:
        declared = await http.post("/api/v1/subscriptions", json=big)

        async def chunks():  # no Content-Length: the limit must hold while streaming too
            for _ in range(10):
                yield b" " * 1000

        streamed = await http.post(
            "/api/v1/subscriptions", content=chunks(), headers={"content-type": "application/json"}
        )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "body_too_large"


async def test_creation_is_rate_limited_per_address(db: Database) -> None:
    app = create_app(make_settings(api={"subscriptions_per_hour": 2}), db)
    body = {"channel": "webhook", "target": PUBLIC_HOOK}
    first = httpx2.ASGITransport(app=app, client=("198.51.100.7", 5000))
    other = httpx2.ASGITransport(app=app, client=("198.51.100.8", 5000))
    async with (
        httpx2.AsyncClient(transport=first, base_url="http://t") as a,
        httpx2.AsyncClient(transport=other, base_url="http://t") as b,
    ):
        assert [(await a.post("/api/v1/subscriptions", json=body)).status_code for _ in range(2)] == [201, 201]
        limited = await a.post("/api/v1/subscriptions", json=body)
        assert (await b.post("/api/v1/subscriptions", json=body)).status_code == 201
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0


async def test_manage_token_authorization(create: Create, client: httpx2.AsyncClient) -> None:
    mine = await create()
    theirs = await create()
    url = f"/api/v1/subscriptions/{mine['id']}"
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url)).json()["error"]["code"] == "unauthorized"
    assert (await client.get(url, headers={"Authorization": "Basic abc"})).status_code == 401
    assert (await client.get(url, headers=bearer("awm_wrong"))).status_code == 403
    assert (await client.get(url, headers=bearer(theirs["manage_token"]))).status_code == 403
    assert (await client.get(url, headers=bearer(mine["manage_token"]))).status_code == 200
    assert (await client.get(url, headers=bearer(ADMIN))).status_code == 200
    assert (await client.get("/api/v1/subscriptions/sub_nope", headers=bearer(ADMIN))).status_code == 404
    for method in ("PATCH", "DELETE"):
        response = await client.request(method, url, headers=bearer(theirs["manage_token"]), json={})
        assert response.status_code == 403, method
    assert (await client.get(url + "/deliveries", headers=bearer(theirs["manage_token"]))).status_code == 403


async def test_patch_changes_filters_and_mode(create: Create, client: httpx2.AsyncClient) -> None:
    sub = await create()
    url, auth = f"/api/v1/subscriptions/{sub['id']}", bearer(sub["manage_token"])
    response = await client.patch(url, headers=auth, json={"filters": {"countries": ["AF"]}, "name": "Kabul"})
    assert response.status_code == 200, response.text
    assert response.json()["filters"]["countries"] == ["AF"]
    assert response.json()["name"] == "Kabul"
    bad = await client.patch(url, headers=auth, json={"mode": "digest"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "digest"
    digest = await client.patch(url, headers=auth, json={"mode": "digest", "digest": {"every": "6h"}})
    assert digest.status_code == 200 and digest.json()["next_digest_at"]
    back = await client.patch(url, headers=auth, json={"mode": "instant"})
    assert back.json()["digest"] is None and back.json()["next_digest_at"] is None
    target = await client.patch(url, headers=auth, json={"target": "https://93.184.216.35/other"})
    assert target.status_code == 400 and target.json()["error"]["field"] == "target"
    assert (await client.patch(url, headers=auth, json={"format": "yaml"})).status_code == 400


async def test_delete_removes_subscription_and_its_outbox(
    create: Create, client: httpx2.AsyncClient, db: Database
) -> None:
    sub = await create(channel="email", target="relief@example.org")
    url, auth = f"/api/v1/subscriptions/{sub['id']}", bearer(sub["manage_token"])
    assert (await client.delete(url, headers=auth)).status_code == 204
    assert (await client.get(url, headers=auth)).status_code == 404
    assert (await client.delete(url, headers=auth)).status_code == 404
    with db.session() as session:
        assert session.scalars(select(OutboxRow)).all() == []


async def test_deliveries_log_of_a_new_subscription_is_empty(create: Create, client: httpx2.AsyncClient) -> None:
    sub = await create(channel="email", target="relief@example.org")
    response = await client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=bearer(sub["manage_token"]))
    assert response.status_code == 200
    assert response.json() == {"deliveries": [], "pending": 1}  # the confirmation email waits in the outbox
    bad = await client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries?limit=0", headers=bearer(sub["manage_token"]))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "limit"


async def test_unknown_route_and_method_use_the_error_shape(client: httpx2.AsyncClient, app: FastAPI) -> None:
    missing = await client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = await client.put("/api/v1/subscriptions")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


async def test_only_a_disabled_webhook_can_be_reactivated(
    create: Create, client: httpx2.AsyncClient, db: Database
) -> None:
    hook = await create()
    url, auth = f"/api/v1/subscriptions/{hook['id']}", bearer(hook["manage_token"])
    assert (await client.patch(url, headers=auth, json={"status": "active"})).status_code == 200  # no-op
    with db.session() as session:
        row = session.get(SubscriptionRow, hook["id"])
        assert row is not None
        row.status, row.status_reason = "disabled", "410 Gone"
    revived = await client.patch(url, headers=auth, json={"status": "active"})
    assert revived.status_code == 200 and revived.json()["status"] == "active"
    assert revived.json()["status_reason"] is None
    assert (await client.patch(url, headers=auth, json={"status": "disabled"})).status_code == 400

    # An email address is activated only by its confirm link, never by the creator's token.
    email = await create(channel="email", target="victim@example.org")
    refused = await client.patch(
        f"/api/v1/subscriptions/{email['id']}", headers=bearer(email["manage_token"]), json={"status": "active"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["field"] == "status"
    got = await client.get(f"/api/v1/subscriptions/{email['id']}", headers=bearer(email["manage_token"]))
    assert got.json()["status"] == "pending_confirmation"
