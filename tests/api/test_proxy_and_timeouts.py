"""Behind a proxy and against slow clients: the API's uvicorn server as ``aidwatch serve`` configures it.

X-Forwarded-For is believed only from ``api.trusted_proxies`` (nobody by default), so the per-address
rate limit cannot be sidestepped with a header; a connection that does not deliver a complete request
head within ``api.header_timeout`` is closed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from alerts.store import Database
from alerts.store.tables import SubscriptionRow
from tests.api.conftest import PUBLIC_HOOK
from tests.api.conftest import serving as serve_app

HEADER_TIMEOUT = 0.5


@asynccontextmanager
async def serving(db: Database, **api: Any) -> AsyncIterator[tuple[str, int]]:
    """The app on a real socket with a tight rate limit and a short request-head deadline."""
    async with serve_app(db, subscriptions_per_hour=2, header_timeout=HEADER_TIMEOUT, **api) as address:
        yield address


async def _subscribe(http: httpx2.AsyncClient, forwarded_for: str) -> int:
    response = await http.post(
        "/api/v1/subscriptions",
        json={"channel": "webhook", "target": PUBLIC_HOOK},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def _stored_addresses(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(row.client_address or "" for row in session.query(SubscriptionRow))


@pytest.mark.parametrize(
    ("trusted", "honoured"),
    [
        pytest.param([], False, id="default-trusts-nobody"),
        pytest.param(["10.0.0.1"], False, id="peer-is-not-the-proxy"),
        pytest.param(["127.0.0.1"], True, id="trusted-address"),
        pytest.param(["127.0.0.0/8"], True, id="trusted-network"),
    ],
)
async def test_x_forwarded_for_counts_only_from_a_trusted_proxy(
    db: Database, monkeypatch: pytest.MonkeyPatch, trusted: list[str], honoured: bool
) -> None:
    # uvicorn's own default would trust this variable (or 127.0.0.1): the setting alone decides.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    async with (
        serving(db, trusted_proxies=trusted) as (host, port),
        httpx2.AsyncClient(base_url=f"http://{host}:{port}", timeout=10) as http,
    ):
        codes = [await _subscribe(http, f"203.0.113.{n}") for n in (1, 2, 3)]
        repeat = [await _subscribe(http, "203.0.113.1") for _ in range(2)]
    if honoured:  # one bucket per forwarded client: three clients pass, the first one's third try does not
        assert codes == [201, 201, 201] and repeat == [201, 429]
        assert _stored_addresses(db) == ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.3"]
    else:  # one bucket for the peer, whatever the header says
        assert codes == [201, 201, 429] and repeat == [429, 429]
        assert _stored_addresses(db) == ["127.0.0.1", "127.0.0.1"]


async def _closed_within(reader: asyncio.StreamReader, timeout: float) -> float:
    """Seconds until the server closes the connection (EOF), failing after ``timeout``."""
    started = time.monotonic()
    while True:
        chunk = await asyncio.wait_for(reader.read(65536), timeout=max(0.01, timeout - (time.monotonic() - started)))
        if not chunk:
            return time.monotonic() - started


REQUEST = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.mark.parametrize(
    ("first", "then"),
    [
        pytest.param(b"", b"", id="says-nothing"),
        pytest.param(b"GET /heal", b"", id="half-a-request-line"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ", b"", id="headers-never-end"),
        pytest.param(REQUEST, b"GET /healthz HT", id="second-request-half-sent"),
    ],
)
async def test_a_connection_without_a_complete_request_head_is_closed(db: Database, first: bytes, then: bytes) -> None:
    async with serving(db) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            if first:
                writer.write(first)
                await writer.drain()
            if first == REQUEST:  # a whole request is answered; the half one after it is cut off
                answer = await asyncio.wait_for(reader.readuntil(b"}"), timeout=5)
                assert answer.startswith(b"HTTP/1.1 200")
                writer.write(then)
                await writer.drain()
            elapsed = await _closed_within(reader, timeout=5)
        finally:
            writer.close()
    assert HEADER_TIMEOUT * 0.8 <= elapsed < 5


async def test_a_slow_but_timely_request_is_answered(db: Database) -> None:
    async with serving(db) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for part in (REQUEST[:10], REQUEST[10:20], REQUEST[20:]):  # in pieces, well inside the deadline
                writer.write(part)
                await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(b"}"), timeout=5)
        finally:
            writer.close()
    assert answer.startswith(b"HTTP/1.1 200") and b'"ok"' in answer
