"""Fixtures for API tests: the app over its ASGI interface, with a migrated SQLite database."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI

from alerts.api import create_app
from alerts.settings import Settings
from alerts.store import Database
from crawler.api_server import api_server
from tests.support.databases import migrated_database

ADMIN = "admin-token-for-tests"
PUBLIC_URL = "http://aidwatch.test"
PUBLIC_HOOK = "https://93.184.216.34/hooks/aidwatch"  # a public address literal: no DNS needed


def make_settings(**sections: dict[str, Any]) -> Settings:
    """Test settings: admin token and public URL set, private webhook targets refused."""
    data: dict[str, dict[str, Any]] = {
        "api": {"admin_token": ADMIN, "public_url": PUBLIC_URL},
        "delivery": {"allow_private_networks": False, "timeout": 5},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Settings.model_validate(data)


@asynccontextmanager
async def serving(db: Database, **api: Any) -> AsyncIterator[tuple[str, int]]:
    """The app on a real 127.0.0.1 socket behind the daemon's own uvicorn configuration, on this loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = int(sock.getsockname()[1])
    settings = make_settings(api=api)
    server = api_server(settings, create_app(settings, db))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database."""
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
def settings() -> Settings:
    """Default test settings (override in a test module by redefining this fixture)."""
    return make_settings()


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    """The API application."""
    return create_app(settings, db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client talking to the app through ASGI."""
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def create(client: httpx2.AsyncClient) -> Callable[..., Any]:
    """POST a subscription and return the parsed 201 body (fails the test on any other status)."""

    async def _create(**body: Any) -> dict[str, Any]:
        body.setdefault("channel", "webhook")
        body.setdefault("target", PUBLIC_HOOK)
        response = await client.post("/api/v1/subscriptions", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    return _create
