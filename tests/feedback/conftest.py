"""Fixtures for feedback tests: a migrated SQLite database, the API over ASGI, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest

from alerts.settings import Settings
from alerts.store import Database
from alerts.web import create_site
from tests.api.conftest import make_settings
from tests.support.databases import migrated_database
from tests.support.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database."""
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
def settings() -> Settings:
    """Test settings whose webhooks may go to the local receiver."""
    return make_settings(delivery={"allow_private_networks": True})


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client talking to the app through ASGI."""
    app = create_site(settings, db)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP webhook receiver on 127.0.0.1."""
    with webhook_receiver() as running:
        yield running
