"""Fixtures for the incident feed tests: the API over ASGI on a migrated SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2
import pytest

from alerts.api import create_app
from alerts.store import Database
from tests.api.conftest import make_settings
from tests.support.databases import migrated_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database."""
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client talking to the app (public incidents) through ASGI."""
    app = create_app(make_settings(), db)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http
