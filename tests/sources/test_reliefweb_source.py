"""ReliefWeb sources: a feed-list entry of kind reliefweb polls a local API serving recorded report lists."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from alerts.store.articles import mark_entries_seen
from alerts.store.tables import ArticleRow, IncidentRow, OutboxRow, SeenEntry, utcnow
from crawler.crawl_runner import run_crawl
from crawler.spiders.reliefweb import MAX_PAGES
from tests.crawler.helpers import count, database, feed_row, lease, quiet_ingestor
from tests.sources.helpers import register_feed_list, reliefweb_answer, reliefweb_page, settings_with
from tests.support.alerting import add_subscription
from tests.support.feed_server import FeedServer

pytestmark = pytest.mark.asyncio(loop_scope="session")

QUERY = "profile=full&query[value]=attack&sort[]=date.created:desc&limit=2"
JSON = "application/json"


async def test_reliefweb_reports_become_one_incident_and_one_alert_with_the_configured_appname(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    api = feed_server.url("/rw-e2e/v2/reports")
    feed_server.route("/rw-e2e/v2/reports", body=reliefweb_answer(f"{api}?{QUERY}"), content_type=JSON)
    settings = settings_with(appname="aidwatch-tests-1f3a")
    db = database(tmp_path / "aidwatch.db")
    register_feed_list(db, tmp_path, [{"id": "rw", "kind": "reliefweb", "url": f"{api}?{QUERY}"}], settings)
    add_subscription(db)

    summary = await run_crawl(settings, db, lease(db))  # the production classifier

    assert (summary.failed, summary.entries_new, summary.articles) == (0, 2, 2)
    assert (summary.incidents_new, summary.alerts_queued) == (1, 1)
    [sent] = feed_server.requests_for("/rw-e2e/v2/reports")
    assert parse_qs(urlsplit(sent.path).query)["appname"] == ["aidwatch-tests-1f3a"]
    assert sent.headers["accept"] == JSON
    with db.session() as session:
        [incident] = session.scalars(select(IncidentRow)).all()
        articles = {a.title: (a.text_source, a.incident_id, a.url) for a in session.scalars(select(ArticleRow))}
        outbox = session.scalars(select(OutboxRow)).all()
    assert incident.country_code == "CF"
    ambush = articles["WFP condemns ambush on food convoy that killed a driver"]
    assert ambush[:2] == ("api", incident.id)
    assert ambush[2] == "https://reliefweb.int/report/central-african-republic/wfp-condemns-ambush-food-convoy"
    assert articles["Cholera vaccination campaign reaches 200,000 people"][:2] == ("api", None)
    assert len(outbox) == 1
    row = feed_row(db, "rw")
    assert (row.kind, row.last_status, row.last_error) == ("reliefweb", "ok", None)


@pytest.mark.parametrize(
    ("pages", "known", "pages_read", "new", "noted"),
    [
        pytest.param(2, [], 2, 4, False, id="every-page-new-follows-next-to-the-end"),
        pytest.param(MAX_PAGES + 2, [], MAX_PAGES, 2 * MAX_PAGES, True, id="stops-after-the-page-limit-and-says-so"),
        pytest.param(3, [2], 1, 1, False, id="stops-at-a-page-with-a-known-report"),
        pytest.param(
            MAX_PAGES + 1, [2 * MAX_PAGES], MAX_PAGES, 2 * MAX_PAGES - 1, False,
            id="a-known-report-on-the-last-page-read-needs-no-note",
        ),
    ],
)  # fmt: skip
async def test_paging_follows_next_links_while_every_report_is_new(
    feed_server: FeedServer, tmp_path: Path, pages: int, known: list[int], pages_read: int, new: int, noted: bool
) -> None:
    prefix = f"/rw-pages-{pages}-{'-'.join(map(str, known))}"
    paths = [f"{prefix}/{n}/reports" for n in range(1, pages + 1)]
    for n, path in enumerate(paths):  # two reports a page, ids 1, 2 | 3, 4 | ...
        following = feed_server.url(paths[n + 1]) + "?appname=t" if n + 1 < len(paths) else None
        body = reliefweb_page([2 * n + 1, 2 * n + 2], feed_server.url(path), following, total=2 * pages)
        feed_server.route(path, body=body, content_type=JSON)
    settings = settings_with()
    db = database(tmp_path / "aidwatch.db")
    url = feed_server.url(paths[0]) + "?appname=t&limit=2"
    register_feed_list(db, tmp_path, [{"id": "rw-pages", "kind": "reliefweb", "url": url}], settings)
    mark_entries_seen(db, "rw-pages", [f"reliefweb:{report}" for report in known], utcnow())  # an earlier poll

    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert [bool(feed_server.requests_for(path)) for path in paths] == [n < pages_read for n in range(pages)]
    assert (summary.failed, summary.entries_new, summary.articles) == (0, new, new)
    row = feed_row(db, "rw-pages")
    assert row.last_status == "ok"
    assert (row.bozo is not None and f"stopped after {MAX_PAGES} pages" in row.bozo) == noted


async def test_without_an_appname_the_feed_fails_naming_the_setting_and_nothing_is_requested(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    api = feed_server.route("/rw-noapp/v1/reports", body=b"{}", content_type=JSON)
    settings = settings_with(appname="")
    db = database(tmp_path / "aidwatch.db")
    register_feed_list(db, tmp_path, [{"id": "rw-noapp", "kind": "reliefweb", "url": f"{api}?{QUERY}"}], settings)

    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert summary.failed == 1
    assert feed_server.requests_for("/rw-noapp/v1/reports") == []
    error = feed_row(db, "rw-noapp").last_error or ""
    assert "appname" in error and "[sources] reliefweb_appname" in error
    assert count(db, SeenEntry) == 0
