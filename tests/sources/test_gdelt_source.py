"""GDELT DOC 2.0 sources: a feed-list entry of kind gdelt polls a local API serving a recorded ArtList answer."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from alerts import metrics
from alerts.store import Database
from alerts.store.tables import ArticleRow, IncidentRow, OutboxRow
from crawler.crawl_runner import run_crawl
from tests.crawler.helpers import database, feed_row, lease, quiet_ingestor
from tests.sources.helpers import (
    ATTACK_PAGE,
    CALM_PAGE,
    gdelt_answer,
    page,
    register_feed_list,
    settings_with,
)
from tests.support.alerting import add_subscription
from tests.support.feed_server import FeedServer

pytestmark = pytest.mark.asyncio(loop_scope="session")

QUERY = "query=(%22aid+worker%22+OR+clinic)+(attack+OR+kidnap)+sourcelang:english&mode=ArtList&format=json"


def serve_news(server: FeedServer, prefix: str) -> str:
    """The two article pages of the recorded answer under ``prefix``; returns the answer's base URL."""
    base = server.url(prefix)
    server.route(f"{prefix}/news/maiduguri-compound.html", body=page(*ATTACK_PAGE))
    server.route(f"{prefix}/news/rainy-season-warehouse.html", body=page(*CALM_PAGE))
    return base


def rows(db: Database, table: type[ArticleRow] | type[IncidentRow] | type[OutboxRow]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


async def test_gdelt_answer_becomes_one_incident_and_one_alert_then_nothing_new(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    base = serve_news(feed_server, "/gdelt-e2e")
    api = feed_server.route("/gdelt-e2e/api/v2/doc/doc", body=gdelt_answer(base), content_type="application/json")
    settings = settings_with()
    db = database(tmp_path / "aidwatch.db")
    register_feed_list(db, tmp_path, [{"id": "gdelt-en", "kind": "gdelt", "url": f"{api}?{QUERY}"}], settings)
    add_subscription(db)
    polls_before = metrics.REGISTRY.get_sample_value("aidwatch_feed_polls_total", {"kind": "gdelt", "status": "ok"})

    first = await run_crawl(settings, db, lease(db))  # the production classifier

    assert first.as_json() | {"feeds": 1} == {
        "feeds": 1,
        "not_modified": 0,
        "failed": 0,
        "entries_new": 2,  # the third article is the second one with a tracking parameter
        "articles": 2,
        "incidents_new": 1,
        "incidents_updated": 0,
        "alerts_queued": 1,
    }
    [sent] = feed_server.requests_for("/gdelt-e2e/api/v2/doc/doc")
    assert sent.headers["accept"] == "application/json"
    assert parse_qs(urlsplit(sent.path).query)["mode"] == ["ArtList"]
    with db.session() as session:
        [incident] = session.scalars(select(IncidentRow)).all()
        stored = {a.url: (a.feed_id, a.text_source, a.incident_id) for a in session.scalars(select(ArticleRow))}
        assert incident.country_code == "NG" and "Maiduguri" in (incident.location_name or "")
    assert stored == {
        f"{base}/news/maiduguri-compound.html": ("gdelt-en", "page", incident.id),
        f"{base}/news/rainy-season-warehouse.html": ("gdelt-en", "page", None),
    }
    assert rows(db, OutboxRow) == 1
    row = feed_row(db, "gdelt-en")
    assert (row.kind, row.last_status, row.entries_seen, row.last_error) == ("gdelt", "ok", 2, None)
    polls_after = metrics.REGISTRY.get_sample_value("aidwatch_feed_polls_total", {"kind": "gdelt", "status": "ok"})
    assert polls_after == (polls_before or 0) + 1

    feed_server.clear_log()
    second = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))
    assert (second.entries_new, second.articles, second.incidents_new, second.alerts_queued) == (0, 0, 0, 0)
    assert [r.path for r in feed_server.requests if "/news/" in r.path] == []  # known articles are not fetched
    assert (rows(db, ArticleRow), rows(db, IncidentRow), rows(db, OutboxRow)) == (2, 1, 1)


async def test_an_answer_at_its_maxrecords_limit_is_noted_on_the_feed(feed_server: FeedServer, tmp_path: Path) -> None:
    base = serve_news(feed_server, "/gdelt-limit")
    api = feed_server.route("/gdelt-limit/doc", body=gdelt_answer(base), content_type="application/json")
    settings = settings_with()
    db = database(tmp_path / "aidwatch.db")
    url = f"{api}?{QUERY}&maxrecords=3"
    register_feed_list(db, tmp_path, [{"id": "gdelt-limit", "kind": "gdelt", "url": url}], settings)

    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert (summary.failed, summary.entries_new) == (0, 2)
    row = feed_row(db, "gdelt-limit")
    assert row.last_status == "ok" and row.bozo is not None and "maxrecords=3" in row.bozo


async def test_gdelt_validators_are_sent_back_and_a_304_is_not_modified(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    base = serve_news(feed_server, "/gdelt-304")
    body = gdelt_answer(base)
    api = feed_server.route("/gdelt-304/doc", body=body, content_type="application/json", conditional=True)
    settings = settings_with()
    db = database(tmp_path / "aidwatch.db")
    register_feed_list(db, tmp_path, [{"id": "gdelt-304", "kind": "gdelt", "url": f"{api}?{QUERY}"}], settings)

    await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))
    second = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert second.not_modified == 1
    assert feed_server.requests_for("/gdelt-304/doc")[-1].headers["if-none-match"] == feed_row(db, "gdelt-304").etag
