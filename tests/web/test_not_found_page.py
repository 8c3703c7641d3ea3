"""Browsers opening an address with no page get a page in their language; API clients keep the JSON error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from alerts.web import create_site
from tests.api.conftest import PUBLIC_URL, make_settings
from tests.support.databases import migrated_database

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx2.AsyncClient]:
    with migrated_database("sqlite", tmp_path) as db:
        app = create_site(make_settings(), db)
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as client:
            yield client


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        pytest.param("/no-such-page", "<h1>Page not found</h1>", id="unknown-address"),
        pytest.param("/incidents/abc", "<h1>Page not found</h1>", id="mistyped-incident-id"),
        pytest.param("/no-such-page?lang=ar", "<h1>الصفحة غير موجودة</h1>", id="arabic"),
        pytest.param("/no-such-page?lang=fr", "<h1>Page introuvable</h1>", id="french"),
    ],
)
async def test_a_browser_gets_a_page(http: httpx2.AsyncClient, path: str, heading: str) -> None:
    response = await http.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert heading in response.text and 'href="/"' in response.text


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        pytest.param("/api/v1/no-such-thing", HTML, 404, "not_found", id="api-path-from-a-browser"),
        pytest.param("/no-such-page", {"accept": "application/json"}, 404, "not_found", id="json-client"),
        pytest.param("/api/v1/incidents/abc", HTML, 400, "invalid_request", id="api-validation"),
        pytest.param("/api/v1/incidents/999", HTML, 404, "not_found", id="api-missing-incident"),
    ],
)
async def test_api_clients_keep_the_json_error(
    http: httpx2.AsyncClient, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    response = await http.get(path, headers=headers)
    assert response.status_code == status
    body: Any = response.json()
    assert body["error"]["code"] == code
