"""A malformed or refused API answer is a feed error naming the problem, and nothing stored before is lost."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from alerts.store import Database
from alerts.store.tables import ArticleRow, IncidentRow, SeenEntry
from crawler.crawl_runner import run_crawl
from tests.crawler.helpers import count, database, feed_row, lease, quiet_ingestor
from tests.sources.helpers import (
    ATTACK_PAGE,
    CALM_PAGE,
    gdelt_answer,
    page,
    register_feed_list,
    reliefweb_answer,
    reliefweb_page,
    settings_with,
)
from tests.support.feed_server import FeedServer

pytestmark = pytest.mark.asyncio(loop_scope="session")

JSON = "application/json"
GDELT_QUERY = "?query=clinic+attack&mode=ArtList&format=json"
RW_QUERY = "?appname=tests&profile=full&limit=2"
HTML = b"<!doctype html><html><body><h1>Service unavailable</h1></body></html>"


def incidents(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(IncidentRow)) or 0)


@pytest.mark.parametrize(
    ("kind", "status", "body", "content_type", "expected"),
    [
        pytest.param(
            "gdelt",
            200,
            b"Your query needs at least one keyword.",
            "text/html",
            ["GDELT", "not JSON", "at least one"],
            id="gdelt-text-message-instead-of-json",
        ),
        pytest.param("gdelt", 200, b"[]", JSON, ["GDELT", "expected a JSON object, got list"], id="gdelt-json-array"),
        pytest.param(
            "gdelt",
            200,
            b'{"articles": {"url": "x"}}',
            JSON,
            ["GDELT", "'articles' is not a list"],
            id="gdelt-articles-not-a-list",
        ),
        pytest.param("gdelt", 200, b'{"articles": [{"url": ', JSON, ["GDELT", "not JSON"], id="gdelt-truncated-json"),
        pytest.param("gdelt", 200, b"", JSON, ["GDELT", "empty response body"], id="gdelt-empty-body"),
        pytest.param(
            "gdelt",
            429,
            b"Please wait five seconds between requests.",
            "text/plain",
            ["HTTP 429", "five seconds"],
            id="gdelt-rate-limited-with-its-message",
        ),
        pytest.param(
            "reliefweb", 200, b'{"totalCount": 0}', JSON, ["ReliefWeb", "no 'data' list"], id="reliefweb-no-data-list"
        ),
        pytest.param(
            "reliefweb",
            200,
            HTML,
            "text/html",
            ["ReliefWeb", "not JSON", "Service unavailable"],
            id="reliefweb-html-page",
        ),
        pytest.param(
            "reliefweb",
            403,
            b"This appname is not approved.",
            "text/plain",
            ["HTTP 403", "not approved"],
            id="reliefweb-refused-with-its-message",
        ),
        pytest.param("reliefweb", 410, b"", JSON, ["HTTP 410"], id="reliefweb-gone-without-a-body"),
    ],
)
async def test_a_bad_answer_fails_the_poll_with_a_reason_and_keeps_what_was_stored(
    feed_server: FeedServer,
    tmp_path: Path,
    kind: str,
    status: int,
    body: bytes,
    content_type: str,
    expected: list[str],
) -> None:
    prefix = f"/bad-{kind}-{status}-{zlib.crc32(body)}"
    api_path = f"{prefix}/reports"
    base = feed_server.url(prefix)
    feed_server.route(f"{prefix}/news/maiduguri-compound.html", body=page(*ATTACK_PAGE))
    feed_server.route(f"{prefix}/news/rainy-season-warehouse.html", body=page(*CALM_PAGE))
    good = gdelt_answer(base) if kind == "gdelt" else reliefweb_answer(feed_server.url(api_path))
    api = feed_server.route(api_path, body=good, content_type=JSON, conditional=True)
    settings = settings_with()
    db = database(tmp_path / "aidwatch.db")
    url = api + (GDELT_QUERY if kind == "gdelt" else RW_QUERY)
    register_feed_list(db, tmp_path, [{"id": "api", "kind": kind, "url": url}], settings)
    ingestor = quiet_ingestor(db, attack_word="Gunmen" if kind == "gdelt" else "ambush")
    first = await run_crawl(settings, db, lease(db), ingestor=ingestor)
    assert (first.failed, first.incidents_new) == (0, 1)
    stored = (count(db, ArticleRow), incidents(db), count(db, SeenEntry))
    etag = feed_row(db, "api").etag

    feed_server.route(api_path, body=body, status=status, content_type=content_type)
    second = await run_crawl(settings, db, lease(db), ingestor=ingestor)

    assert second.failed == 1
    row = feed_row(db, "api")
    assert (row.last_status, row.error_count) == ("error", 1)
    assert all(word in (row.last_error or "") for word in expected), row.last_error
    assert (count(db, ArticleRow), incidents(db), count(db, SeenEntry)) == stored
    assert row.etag == etag  # the validators of the last good answer stay


async def test_a_failing_next_page_fails_the_poll_and_the_next_poll_stores_every_report(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    first_path, second_path = "/rw-broken-next/1/reports", "/rw-broken-next/2/reports"
    first_url, second_url = feed_server.url(first_path), feed_server.url(second_path)
    feed_server.route(first_path, body=reliefweb_page([1, 2], first_url, second_url, total=4), content_type=JSON)
    feed_server.route(second_path, body=b"upstream timed out", status=503, content_type="text/plain")
    settings = settings_with(appname="tests")
    db = database(tmp_path / "aidwatch.db")
    register_feed_list(db, tmp_path, [{"id": "rw", "kind": "reliefweb", "url": first_url}], settings)

    broken = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert (broken.failed, broken.articles) == (1, 0)
    error = feed_row(db, "rw").last_error or ""
    assert "page 2: HTTP 503" in error and "upstream timed out" in error
    assert count(db, SeenEntry) == 0  # nothing marked seen: the next poll takes every report

    feed_server.route(second_path, body=reliefweb_page([3, 4], second_url, None, total=4), content_type=JSON)
    mended = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert (mended.failed, mended.entries_new, mended.articles) == (0, 4, 4)
    assert "appname=tests" in feed_server.requests_for(second_path)[-1].path  # added to the next link too
