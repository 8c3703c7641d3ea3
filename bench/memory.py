"""Daemon memory: RSS of a real `aidwatch serve` idle with 1,000 and 5,000 feeds, and with 10,000 incidents.

Feeds point at the bench feed server in ``mode=304`` (every poll is answered 304 Not Modified), with
a 10-minute interval; RSS is read from /proc once every feed has been polled and the daemon has
been idle for a few seconds. The 10,000 incidents (each with one article) are written through the
storage layer's tables before the daemon starts; the API then lists them once, as a client would.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import FeedServerProcess, child_pids, figure, proc_rss_mb
from tests.support.daemon import Daemon, daemon_config, poll_until, write_feeds

SETTLE = 3.0  # seconds of idling before RSS is read
INCIDENTS = 10_000


def _rss_mb(pid: int) -> tuple[float, float, float]:
    """(VmRSS of ``pid`` and its children, its peak VmHWM, the children's VmRSS) in MB.

    The children are the feed parser workers (crawler.parser_pool): part of the daemon, so counted. Their
    pages shared with nothing are few; RSS counts shared pages in each process, so this overstates.
    """
    rss, peak = proc_rss_mb(pid)
    children = sum(proc_rss_mb(child)[0] for child in child_pids(pid))
    return rss + children, peak, children


def _store_incidents(db_path: Path, count: int) -> None:
    """``count`` incidents with one article each, through the ORM tables (one transaction)."""
    from alerts.store import make_database, upgrade
    from alerts.store.articles import url_key
    from alerts.store.tables import ArticleRow, IncidentRow, utcnow

    db = make_database(f"sqlite:///{db_path}")
    upgrade(db)
    now = utcnow()
    text = "Gunmen attacked a health centre run by an aid group on Tuesday, officials said. " * 20
    with db.session() as session:
        for n in range(count):
            incident = IncidentRow(
                title=f"Health centre attacked in district {n}",
                summary=text[:600],
                score=0.9,
                categories=["health"],
                event_types=["armed_attack"],
                country_code="SD",
                country_name="Sudan",
                location_name=f"District {n}",
                occurred_on=date(2026, 11, 1) - timedelta(days=n % 300),
                killed=n % 5,
                evidence=[text[:200]],
                language="en",
                first_seen=now,
                updated=now,
            )
            session.add(incident)
            session.flush()
            url = f"https://news.example.org/{n}"
            session.add(
                ArticleRow(
                    url=url,
                    url_key=url_key(url),
                    entry_key=url,
                    title=incident.title,
                    language="en",
                    text=text,
                    summary=text[:300],
                    text_source="page",
                    first_seen=now,
                    is_attack=True,
                    score=0.9,
                    verdict={},
                    incident_id=incident.id,
                )
            )
    db.dispose()


def idle_rss(server: FeedServerProcess, feeds: int, incidents: int = 0) -> tuple[float, float, float]:
    """Start a daemon with ``feeds`` feeds (and ``incidents`` stored), wait until idle; MB as ``_rss_mb``."""
    server.ctl("setup", n=feeds, epoch=1, mode="304")
    with tempfile.TemporaryDirectory(prefix="aidwatch-bench-memory-") as tmp:
        folder = Path(tmp)
        urls = [(f"f{i}", server.feed_url(i)) for i in range(feeds)]
        config = daemon_config(folder, feeds=[])
        write_feeds(folder, urls, interval="600s")
        if incidents:
            _store_incidents(folder / "state" / "aidwatch.db", incidents)
        with Daemon(config) as daemon:
            poll_until(
                lambda: daemon.query("SELECT count(*) FROM feeds WHERE last_poll_at IS NOT NULL") >= feeds,
                timeout=180,
                what=f"{feeds} feeds polled",
                interval=0.5,
            )
            if incidents:
                daemon.client().get("/api/v1/incidents").raise_for_status()
            time.sleep(SETTLE)
            assert daemon.proc is not None
            return _rss_mb(daemon.proc.pid)


def run() -> list[dict[str, Any]]:
    """Idle RSS with 1,000 and 5,000 feeds, and with 5,000 feeds and 10,000 stored incidents."""
    rows = []
    with FeedServerProcess() as server:
        for feeds, incidents, target in ((1000, 0, ""), (5000, 0, "<= 250"), (5000, INCIDENTS, "<= 250")):
            rss, peak, workers = idle_rss(server, feeds, incidents)
            label = f"daemon RSS idle, {feeds} feeds" + (f" + {incidents} incidents" if incidents else "")
            note = f"parser worker(s) {workers:.0f} MB of it; daemon process peak (VmHWM) {peak:.0f} MB"
            rows.append(figure(label, rss, "MB", target=target, note=note))
    return rows
