"""The callback route: verification of intent only for what we asked, pushes only when validly signed.

The app runs over ASGI on a migrated SQLite database; verified pushes go to a recording sink, so a
refused push is shown to reach neither the sink nor the database.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from alerts.api import create_app
from alerts.api.routes_websub import install_push_sink
from alerts.models import FeedSource
from alerts.settings import Settings
from alerts.store import Database
from alerts.store.feeds import add_feed, get_feed
from alerts.store.tables import FeedRow, utcnow
from alerts.store.websub import WebSubSubscription, get_subscription, start_subscription
from tests.support.databases import migrated_database

TOPIC = "https://news.example/feed.xml"
HUB = "https://hub.example/"
BODY = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_database("sqlite", tmp_path) as database:
        add_feed(database, FeedSource(id="outlet", url=TOPIC, interval_seconds=900))
        yield database


@pytest.fixture
def subscription(db: Database) -> WebSubSubscription:
    pending = start_subscription(db, "outlet", HUB, TOPIC, utcnow())
    assert pending is not None
    return pending


@pytest.fixture
def pushes() -> list[tuple[str, bytes, str | None]]:
    return []


@pytest.fixture
def app(db: Database, pushes: list[tuple[str, bytes, str | None]]) -> FastAPI:
    settings = Settings.model_validate({"api": {"public_url": "http://aidwatch.test"}})
    application = create_app(settings, db)

    def sink(feed_id: str, body: bytes, content_type: str | None) -> bool:
        pushes.append((feed_id, body, content_type))
        return True

    install_push_sink(application, sink)
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


def verification(**overrides: str) -> dict[str, str]:
    params = {"hub.mode": "subscribe", "hub.topic": TOPIC, "hub.challenge": "c-123_x", "hub.lease_seconds": "3600"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v != "<absent>"}


async def test_a_pending_subscription_is_confirmed_and_defers_polling(
    client: httpx2.AsyncClient, db: Database, subscription: WebSubSubscription
) -> None:
    answer = await client.get(f"/websub/{subscription.token}", params=verification())
    assert answer.status_code == 200
    assert answer.text == "c-123_x"
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["x-content-type-options"] == "nosniff"
    live = get_subscription(db, "outlet")
    assert live is not None and live.status == "active" and live.lease_expires_at is not None
    feed = get_feed(db, "outlet")
    assert feed is not None and feed.next_poll_at >= live.lease_expires_at - timedelta(seconds=1)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param(verification(**{"hub.topic": "https://news.example/other.xml"}), id="other-topic"),
        pytest.param(verification(**{"hub.mode": "unsubscribe"}), id="unsubscribe-we-never-asked"),
        pytest.param(verification(**{"hub.challenge": "<b>x</b>"}), id="unsafe-challenge"),
        pytest.param(verification(**{"hub.challenge": "<absent>"}), id="no-challenge"),
        pytest.param(verification(**{"hub.lease_seconds": "<absent>"}), id="no-lease"),
        pytest.param(verification(**{"hub.lease_seconds": "-5"}), id="negative-lease"),
        pytest.param(verification(**{"hub.mode": "publish"}), id="unknown-mode"),
    ],
)
async def test_verifications_we_did_not_ask_for_get_404(
    client: httpx2.AsyncClient, db: Database, subscription: WebSubSubscription, params: dict[str, str]
) -> None:
    answer = await client.get(f"/websub/{subscription.token}", params=params)
    assert answer.status_code == 404
    assert "c-123_x" not in answer.text
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == "pending"


async def test_an_unknown_callback_token_is_not_confirmed(client: httpx2.AsyncClient, subscription: object) -> None:
    answer = await client.get("/websub/not-a-token-we-gave", params=verification())
    assert answer.status_code == 404


async def test_a_denial_falls_back_to_polling_at_once(
    client: httpx2.AsyncClient, db: Database, subscription: WebSubSubscription
) -> None:
    await client.get(f"/websub/{subscription.token}", params=verification())
    deferred = get_feed(db, "outlet")
    assert deferred is not None and deferred.next_poll_at > utcnow() + timedelta(minutes=30)
    denied = {"hub.mode": "denied", "hub.topic": TOPIC, "hub.reason": "topic not allowed"}
    answer = await client.get(f"/websub/{subscription.token}", params=denied)
    assert answer.status_code == 200
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == "failed" and "topic not allowed" in (stored.last_error or "")
    feed = get_feed(db, "outlet")
    assert feed is not None and feed.next_poll_at <= utcnow()


def sign(method: str, secret: str, body: bytes = BODY) -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


async def test_a_validly_signed_push_is_queued(
    client: httpx2.AsyncClient,
    db: Database,
    subscription: WebSubSubscription,
    pushes: list[tuple[str, bytes, str | None]],
) -> None:
    headers = {"X-Hub-Signature": sign("sha256", subscription.secret), "Content-Type": "application/rss+xml"}
    answer = await client.post(f"/websub/{subscription.token}", content=BODY, headers=headers)
    assert answer.status_code == 202
    assert pushes == [("outlet", BODY, "application/rss+xml")]
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.pushes == 1


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        pytest.param(None, "no X-Hub-Signature", id="unsigned"),
        pytest.param("sha256=" + "0" * 64, "does not match", id="bad-signature"),
        pytest.param("md5=abc", "unknown signature method", id="unknown-method"),
        pytest.param("<sha1>", "sha1 signatures are refused", id="sha1-on-plain-http"),
        pytest.param("<other-secret>", "does not match", id="other-secret"),
    ],
)
async def test_badly_signed_pushes_are_refused_and_stored_nowhere(
    client: httpx2.AsyncClient,
    db: Database,
    subscription: WebSubSubscription,
    pushes: list[tuple[str, bytes, str | None]],
    signature: str | None,
    reason: str,
) -> None:
    if signature == "<sha1>":
        signature = sign("sha1", subscription.secret)
    elif signature == "<other-secret>":
        signature = sign("sha256", "a guess")
    headers = {"X-Hub-Signature": signature} if signature else {}
    answer = await client.post(f"/websub/{subscription.token}", content=BODY, headers=headers)
    assert answer.status_code == 403
    assert reason in answer.text
    assert pushes == []
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.pushes == 0


async def test_a_hub_that_signs_with_sha1_over_http_leaves_the_feed_polled(
    client: httpx2.AsyncClient, db: Database, subscription: WebSubSubscription
) -> None:
    await client.get(f"/websub/{subscription.token}", params=verification())
    headers = {"X-Hub-Signature": sign("sha1", subscription.secret)}
    assert (await client.post(f"/websub/{subscription.token}", content=BODY, headers=headers)).status_code == 403
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == "failed" and "sha1" in (stored.last_error or "")
    feed = get_feed(db, "outlet")
    assert feed is not None and feed.next_poll_at <= utcnow()


async def test_a_push_to_an_unknown_callback_is_gone(
    client: httpx2.AsyncClient, pushes: list[tuple[str, bytes, str | None]]
) -> None:
    answer = await client.post("/websub/no-such-token", content=BODY, headers={"X-Hub-Signature": "sha256=00"})
    assert answer.status_code == 410
    assert pushes == []


async def test_a_push_for_a_disabled_feed_is_gone(
    client: httpx2.AsyncClient, db: Database, subscription: WebSubSubscription, pushes: list[object]
) -> None:
    with db.session() as session:
        session.execute(update(FeedRow).where(FeedRow.id == "outlet").values(enabled=False))
    headers = {"X-Hub-Signature": sign("sha256", subscription.secret)}
    answer = await client.post(f"/websub/{subscription.token}", content=BODY, headers=headers)
    assert answer.status_code == 410
    assert pushes == []
