"""Confirmation emails per recipient address and hour (anti mail bombing), on SQLite and PostgreSQL.

The count lives in the database: it holds across restarts and across daemons sharing one PostgreSQL,
and it never tells a caller whether an address is subscribed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from alerts.api import create_app
from alerts.settings import Settings
from alerts.store import Database, make_database
from alerts.store.tables import ConfirmationRequestRow, OutboxRow, SubscriptionRow
from tests.api.conftest import PUBLIC_HOOK, bearer, make_settings
from tests.delivery.conftest import FakeClock
from tests.support.databases import migrated_database

LIMIT = 3
URL = "/api/v1/subscriptions"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database on each backend."""
    with migrated_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    # The per-client limit is set high so only the per-address limit is under test.
    return make_settings(api={"confirmations_per_hour": LIMIT, "subscriptions_per_hour": 1000})


@pytest.fixture
def app(settings: Settings, db: Database, clock: FakeClock) -> FastAPI:
    return create_app(settings, db, clock=clock)


def _client(app: FastAPI) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with _client(app) as http:
        yield http


async def _subscribe(client: httpx2.AsyncClient, target: str) -> httpx2.Response:
    return await client.post(URL, json={"channel": "email", "target": target})


def _counts(db: Database) -> tuple[int, int]:
    """(subscriptions, outbox rows)."""
    with db.session() as session:
        subs = session.scalar(select(func.count()).select_from(SubscriptionRow))
        rows = session.scalar(select(func.count()).select_from(OutboxRow))
        return int(subs or 0), int(rows or 0)


def _assert_limited(response: httpx2.Response, retry_after: int | None = None) -> None:
    assert response.status_code == 429, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("rate_limited", "target")
    assert "confirmation" in error["message"]
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 3600
    assert f"{wait} s" in error["message"]
    if retry_after is not None:
        assert wait == retry_after


@pytest.mark.parametrize(
    "spellings",
    [
        pytest.param(["Relief.Desk@Example.org", "relief.desk@example.org", "RELIEF.DESK@EXAMPLE.ORG"], id="case"),
        pytest.param(["desk@example.org", "desk+sudan@example.org", "Desk+drc@Example.org"], id="subaddress"),
        pytest.param(["aid@exämple.org", "aid@xn--exmple-cua.org", "AID@EXÄMPLE.ORG"], id="idn-domain"),
        pytest.param(["équipe@example.org", "ÉQUIPE@example.org", "e\u0301quipe@example.org"], id="unicode-local-part"),
    ],
)
async def test_one_address_however_spelled_gets_at_most_the_limit(
    client: httpx2.AsyncClient, db: Database, spellings: list[str]
) -> None:
    for target in spellings[:LIMIT]:
        assert (await _subscribe(client, target)).status_code == 201
    before = _counts(db)
    for target in spellings:
        _assert_limited(await _subscribe(client, target))
    assert _counts(db) == before  # a refused request writes nothing: no subscription, no email queued

    # Other addresses and webhooks are not affected.
    assert (await _subscribe(client, "someone.else@example.org")).status_code == 201
    hook = await client.post(URL, json={"channel": "webhook", "target": PUBLIC_HOOK})
    assert hook.status_code == 201


async def test_sliding_hour_and_retry_after(client: httpx2.AsyncClient, clock: FakeClock) -> None:
    for _ in range(LIMIT):
        assert (await _subscribe(client, "desk@example.org")).status_code == 201
        clock.advance(600)  # one every ten minutes: at 0, 10 and 20 minutes
    # At 30 minutes: free again when the first leaves the window, at 60 minutes.
    _assert_limited(await _subscribe(client, "desk@example.org"), retry_after=1800)
    clock.advance(1799)
    _assert_limited(await _subscribe(client, "desk@example.org"), retry_after=1)  # a second early
    clock.advance(1)
    assert (await _subscribe(client, "desk@example.org")).status_code == 201
    # Now at 10, 20 and 60 minutes: the next slot opens at 70.
    _assert_limited(await _subscribe(client, "desk@example.org"), retry_after=600)


def _reopen(db: Database) -> Database:
    """A second engine on the same database: what a restarted daemon, or another daemon, opens."""
    return make_database(db.engine.url.render_as_string(hide_password=False))


async def test_the_count_survives_a_restart(db: Database, settings: Settings, clock: FakeClock) -> None:
    async with _client(create_app(settings, db, clock=clock)) as first:
        for _ in range(LIMIT):
            assert (await _subscribe(first, "desk@example.org")).status_code == 201
    db.dispose()
    restarted = _reopen(db)
    try:
        async with _client(create_app(settings, restarted, clock=clock)) as second:
            _assert_limited(await _subscribe(second, "Desk@example.org"))
    finally:
        restarted.dispose()


async def test_daemons_sharing_the_database_enforce_one_limit(
    db: Database, settings: Settings, clock: FakeClock
) -> None:
    other = _reopen(db)
    try:
        async with (
            _client(create_app(settings, db, clock=clock)) as one,
            _client(create_app(settings, other, clock=clock)) as two,
        ):
            # Sync endpoints run in thread pools: these requests really race, on two engines.
            attempts = [_subscribe(client, "desk@example.org") for _ in range(LIMIT + 2) for client in (one, two)]
            statuses = sorted(response.status_code for response in await asyncio.gather(*attempts))
    finally:
        other.dispose()
    assert statuses == [201] * LIMIT + [429] * (2 * (LIMIT + 2) - LIMIT)


async def test_the_answer_does_not_tell_whether_an_address_is_subscribed(
    client: httpx2.AsyncClient, db: Database, clock: FakeClock
) -> None:
    subscribed = await _subscribe(client, "subscribed@example.org")
    with db.session() as session:
        row = session.get(SubscriptionRow, subscribed.json()["id"])
        assert row is not None
        row.status = "active"  # as if the confirm link had been followed
    clock.advance(7200)

    def shape(response: httpx2.Response) -> tuple[int, Any]:
        body = response.json()
        return response.status_code, sorted(body) if response.status_code == 201 else body["error"]["code"]

    answers: dict[str, list[tuple[int, Any]]] = {}
    for target in ("subscribed@example.org", "never.seen@example.org"):
        answers[target] = [shape(await _subscribe(client, target)) for _ in range(LIMIT + 1)]
    assert answers["subscribed@example.org"] == answers["never.seen@example.org"]
    assert [status for status, _ in answers["never.seen@example.org"]] == [201] * LIMIT + [429]


async def test_deleting_subscriptions_does_not_reset_the_count(client: httpx2.AsyncClient) -> None:
    for _ in range(LIMIT):
        created = (await _subscribe(client, "desk@example.org")).json()
        deleted = await client.delete(f"{URL}/{created['id']}", headers=bearer(created["manage_token"]))
        assert deleted.status_code == 204
    _assert_limited(await _subscribe(client, "desk@example.org"))


async def test_expired_counts_are_deleted(client: httpx2.AsyncClient, db: Database, clock: FakeClock) -> None:
    for target in ("a@example.org", "b@example.org", "a@example.org"):
        assert (await _subscribe(client, target)).status_code == 201
    clock.advance(3601)
    assert (await _subscribe(client, "c@example.org")).status_code == 201
    with db.session() as session:
        kept = session.scalars(select(ConfirmationRequestRow.requested_at)).all()
    assert kept == [clock.now]  # the table holds the last hour only, and no addresses
