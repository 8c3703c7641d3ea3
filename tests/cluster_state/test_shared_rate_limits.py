"""The API's rate limits are shared by every daemon: counted in PostgreSQL, or in Redis when configured.

Two app instances (two engines on one PostgreSQL schema, as two daemons have) take turns answering one
client; the limit holds across both. SQLite, one daemon, keeps working with the database backend.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select

from alerts.api import create_app
from alerts.store import Database
from alerts.store.tables import RateLimitHitRow
from tests.api.conftest import PUBLIC_HOOK, PUBLIC_URL, bearer, make_settings
from tests.cluster_state.conftest import REDIS_URL, require_redis
from tests.cluster_state.racing import second_daemon
from tests.delivery.conftest import FakeClock
from tests.support.databases import migrated_database

HOOK = {"channel": "webhook", "target": PUBLIC_HOOK}
BACKENDS = [
    pytest.param({"rate_limit_backend": "database"}, id="postgresql"),
    pytest.param({"rate_limit_backend": "redis", "redis_url": REDIS_URL}, id="redis"),
]


def client_address() -> str:
    """A fresh client address, so runs never share a bucket (Redis outlives a test)."""
    return "10." + ".".join(str(secrets.randbelow(254) + 1) for _ in range(3))


@asynccontextmanager
async def daemon(
    db: Database, address: str, clock: FakeClock | None = None, **api: Any
) -> AsyncIterator[httpx2.AsyncClient]:
    """One app instance on ``db`` (its own settings and limits), asked by the client at ``address``."""
    app = create_app(make_settings(api=api), db, clock=clock)
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    async with httpx2.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


def stored_hits(db: Database) -> int:
    with db.transaction() as tx:
        return int(tx.scalar(select(func.count()).select_from(RateLimitHitRow)) or 0)


@pytest.fixture
def cluster(pg: Database) -> Iterator[tuple[Database, Database]]:
    """Two daemons' databases: engines of their own on one PostgreSQL schema."""
    with second_daemon(pg) as other:
        yield pg, other


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_daemons_share_the_per_address_limit(
    cluster: tuple[Database, Database], backend: dict[str, str]
) -> None:
    if backend["rate_limit_backend"] == "redis":
        require_redis()
    address = client_address()
    limits: dict[str, Any] = {**backend, "subscriptions_per_hour": 3}
    async with daemon(cluster[0], address, **limits) as one, daemon(cluster[1], address, **limits) as two:
        answers = [await http.post("/api/v1/subscriptions", json=HOOK) for http in (one, two, one, two)]
        assert [a.status_code for a in answers] == [201, 201, 201, 429]
        assert answers[-1].json()["error"]["code"] == "rate_limited"
        assert 0 < int(answers[-1].headers["retry-after"]) <= 3600
        async with daemon(cluster[1], client_address(), **limits) as someone_else:
            assert (await someone_else.post("/api/v1/subscriptions", json=HOOK)).status_code == 201
    # The counts live where the backend says: in the database, or only in Redis.
    assert stored_hits(cluster[0]) == (4 if backend["rate_limit_backend"] == "database" else 0)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_daemons_share_the_per_subscription_limit(
    cluster: tuple[Database, Database], backend: dict[str, str]
) -> None:
    if backend["rate_limit_backend"] == "redis":
        require_redis()
    address = client_address()
    limits: dict[str, Any] = {**backend, "subscription_actions_per_hour": 2}
    async with daemon(cluster[0], address, **limits) as one, daemon(cluster[1], address, **limits) as two:
        created = (await one.post("/api/v1/subscriptions", json=HOOK)).json()
        owner = bearer(created["manage_token"])
        path = f"/api/v1/subscriptions/{created['id']}/rotate-secret"
        codes = [(await http.post(path, headers=owner)).status_code for http in (two, one, two)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_database_window_slides(backend: str, tmp_path: Path) -> None:
    clock = FakeClock()
    address = client_address()
    with migrated_database(backend, tmp_path) as db:
        async with daemon(db, address, clock=clock, subscriptions_per_hour=2) as http:
            codes = [(await http.post("/api/v1/subscriptions", json=HOOK)).status_code for _ in range(3)]
            assert codes == [201, 201, 429]  # refused requests are not counted
            clock.now += timedelta(minutes=30)
            assert (await http.post("/api/v1/subscriptions", json=HOOK)).status_code == 429
            clock.now += timedelta(minutes=30, seconds=1)  # the first two left the window
            codes = [(await http.post("/api/v1/subscriptions", json=HOOK)).status_code for _ in range(3)]
            assert codes == [201, 201, 429]
            # Expired counts are deleted in passing: only the last window's two remain.
            assert stored_hits(db) == 2


async def test_unreachable_redis_is_a_clear_error(pg: Database) -> None:
    async with daemon(pg, client_address(), rate_limit_backend="redis", redis_url="redis://127.0.0.1:1/0") as http:
        answer = await http.post("/api/v1/subscriptions", json=HOOK)
    assert answer.status_code == 503
    assert "Redis" in answer.json()["error"]["message"]
