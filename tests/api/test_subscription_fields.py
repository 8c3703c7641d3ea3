"""PATCH semantics (absent keeps, null clears), format shown only where it applies, readable messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx2
import pytest

from alerts.store import Database
from alerts.store.tables import SubscriptionRow
from tests.api.conftest import bearer

Create = Callable[..., Any]
_A_BEFORE_VOWEL = re.compile(r"\ba [aeiou]", re.IGNORECASE)


async def test_patch_null_clears_the_name_and_absent_keeps_it(create: Create, client: httpx2.AsyncClient) -> None:
    sub = await create(name="Sudan desk")
    url, auth = f"/api/v1/subscriptions/{sub['id']}", bearer(sub["manage_token"])
    kept = await client.patch(url, headers=auth, json={"filters": {"countries": ["SD"]}})
    assert kept.status_code == 200 and kept.json()["name"] == "Sudan desk"
    cleared = await client.patch(url, headers=auth, json={"name": None})
    assert cleared.status_code == 200 and cleared.json()["name"] is None, cleared.text
    assert (await client.get(url, headers=auth)).json()["name"] is None
    assert (await client.get(url, headers=auth)).json()["filters"]["countries"] == ["SD"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"mode": None}, "mode", id="mode"),
        pytest.param({"format": None}, "format", id="format"),
        pytest.param({"filters": None}, "filters", id="filters"),
        pytest.param({"status": None}, "status", id="status"),
        pytest.param({"digest": None}, "digest", id="digest-in-digest-mode"),
    ],
)
async def test_patch_null_on_a_field_that_cannot_be_empty_is_400(
    create: Create, client: httpx2.AsyncClient, body: dict[str, Any], field: str
) -> None:
    sub = await create(mode="digest", digest={"every": "1d"})
    url, auth = f"/api/v1/subscriptions/{sub['id']}", bearer(sub["manage_token"])
    response = await client.patch(url, headers=auth, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    after = (await client.get(url, headers=auth)).json()
    assert (after["mode"], after["format"], after["digest"]["every"]) == ("digest", "json", "1d")  # unchanged


async def test_patch_null_digest_with_mode_instant_switches_digests_off(
    create: Create, client: httpx2.AsyncClient
) -> None:
    sub = await create(mode="digest", digest={"every": "1d"})
    url, auth = f"/api/v1/subscriptions/{sub['id']}", bearer(sub["manage_token"])
    response = await client.patch(url, headers=auth, json={"mode": "instant", "digest": None})
    assert response.status_code == 200, response.text
    assert (response.json()["mode"], response.json()["digest"]) == ("instant", None)


@pytest.mark.parametrize(
    ("channel", "target", "shown"),
    [
        pytest.param("email", "desk@example.org", None, id="email-has-no-format"),
        pytest.param("webhook", "https://93.184.216.34/hook", "json", id="webhook-defaults-to-json"),
    ],
)
async def test_format_is_shown_only_for_webhooks(
    create: Create, client: httpx2.AsyncClient, channel: str, target: str, shown: str | None
) -> None:
    sub = await create(channel=channel, target=target)
    got = await client.get(f"/api/v1/subscriptions/{sub['id']}", headers=bearer(sub["manage_token"]))
    assert got.status_code == 200 and got.json()["format"] == shown, got.text


async def test_format_is_refused_for_email(create: Create, client: httpx2.AsyncClient) -> None:
    refused = await client.post(
        "/api/v1/subscriptions", json={"channel": "email", "target": "desk@example.org", "format": "slack"}
    )
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "format", refused.text
    sub = await create(channel="email", target="desk@example.org")
    url, auth = f"/api/v1/subscriptions/{sub['id']}", bearer(sub["manage_token"])
    patched = await client.patch(url, headers=auth, json={"format": "slack"})
    assert patched.status_code == 400 and patched.json()["error"]["field"] == "format", patched.text
    assert "webhook" in patched.json()["error"]["message"]


@pytest.mark.parametrize(
    ("channel", "target", "status", "words"),
    [
        pytest.param("email", "desk@example.org", "unsubscribed", "is unsubscribed", id="email-unsubscribed"),
        pytest.param(
            "email", "desk@example.org", "pending_confirmation", "is pending confirmation", id="email-pending"
        ),
        pytest.param(
            "webhook", "https://93.184.216.34/hook", "unsubscribed", "is unsubscribed", id="hook-unsubscribed"
        ),
    ],
)
async def test_reactivation_refusals_read_as_english(
    create: Create, client: httpx2.AsyncClient, db: Database, channel: str, target: str, status: str, words: str
) -> None:
    sub = await create(channel=channel, target=target)
    with db.session() as session:
        row = session.get(SubscriptionRow, sub["id"])
        assert row is not None
        row.status = status
    response = await client.patch(
        f"/api/v1/subscriptions/{sub['id']}", headers=bearer(sub["manage_token"]), json={"status": "active"}
    )
    assert response.status_code == 409, response.text
    message = response.json()["error"]["message"]
    assert words in message and not _A_BEFORE_VOWEL.search(message) and "_" not in message, message
