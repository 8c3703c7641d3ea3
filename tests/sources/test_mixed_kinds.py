"""One crawl over feeds of every kind: a crawler per kind, counters added up, an unknown kind fails alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from alerts import metrics
from crawler.crawl_runner import run_crawl
from tests.crawler.helpers import database, feed_row, lease, quiet_ingestor
from tests.sources.helpers import (
    ATTACK_PAGE,
    CALM_PAGE,
    gdelt_answer,
    page,
    register_feed_list,
    reliefweb_answer,
    settings_with,
)
from tests.support.feed_server import FeedServer, rss

pytestmark = pytest.mark.asyncio(loop_scope="session")


def polls(kind: str, status: str) -> float:
    return metrics.REGISTRY.get_sample_value("aidwatch_feed_polls_total", {"kind": kind, "status": status}) or 0.0


async def test_feeds_of_every_kind_are_polled_in_one_call_and_an_unknown_kind_fails_alone(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    prefix = "/mixed"
    base = feed_server.url(prefix)
    feed_server.route(f"{prefix}/news/maiduguri-compound.html", body=page(*ATTACK_PAGE))
    feed_server.route(f"{prefix}/news/rainy-season-warehouse.html", body=page(*CALM_PAGE))
    feed_server.route(f"{prefix}/news/from-the-feed.html", body=page(*CALM_PAGE))
    rss_url = feed_server.feed(f"{prefix}/feed.xml", rss([(f"{base}/news/from-the-feed.html", "Warehouse")]))
    gdelt = feed_server.route(f"{prefix}/doc", body=gdelt_answer(base), content_type="application/json")
    reports = feed_server.url(f"{prefix}/reports")
    feed_server.route(f"{prefix}/reports", body=reliefweb_answer(reports), content_type="application/json")
    settings = settings_with(appname="tests")
    db = database(tmp_path / "aidwatch.db")
    entries = [
        {"id": "news", "url": rss_url},
        {"id": "gdelt", "kind": "gdelt", "url": f"{gdelt}?query=clinic&mode=ArtList&format=json"},
        {"id": "rw", "kind": "reliefweb", "url": f"{reports}?profile=full"},
        {"id": "odd", "url": feed_server.url(f"{prefix}/odd.xml")},
    ]
    register_feed_list(db, tmp_path, entries, settings)
    with db.session() as session:  # a kind this version does not know (a newer version wrote it)
        session.execute(text("UPDATE feeds SET kind = 'websub' WHERE id = 'odd'"))
    before = {kind: polls(kind, "ok") for kind in ("rss", "gdelt", "reliefweb")} | {
        "unknown": polls("unknown", "error")
    }

    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    # rss: 1 entry, gdelt: 2 articles, reliefweb: 2 reports; the unknown kind fails without a request.
    assert (summary.feeds, summary.failed, summary.entries_new, summary.articles) == (4, 1, 5, 5)
    assert [feed_row(db, f).last_status for f in ("news", "gdelt", "rw", "odd")] == ["ok", "ok", "ok", "error"]
    assert "unknown source kind 'websub'" in (feed_row(db, "odd").last_error or "")
    assert feed_server.requests_for(f"{prefix}/odd.xml") == []
    after = {kind: polls(kind, "ok") for kind in ("rss", "gdelt", "reliefweb")} | {"unknown": polls("unknown", "error")}
    assert {kind: after[kind] - before[kind] for kind in after} == {"rss": 1, "gdelt": 1, "reliefweb": 1, "unknown": 1}
