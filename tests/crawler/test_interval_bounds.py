"""A feed's schedule can never break the recording of a poll, its own or its batch's.

A huge interval (stored before intervals had a range, e.g. "99999999999999d") used to overflow
``now + interval``: the batch's transaction failed, no feed in it was recorded, and every one of them
was polled again at every tick.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from alerts.limits import MAX_FEED_INTERVAL
from alerts.store.feed_leases import lease_due_feeds
from alerts.store.feeds import list_feeds
from alerts.store.tables import FeedRow, utcnow
from crawler.crawl_runner import run_crawl
from crawler.ticker import FeedListWatcher
from tests.crawler.helpers import add_feeds, database, feed_row, lease, quiet_ingestor, settings_for_tests
from tests.support.feed_server import FeedServer, rss


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    ("interval", "max_backoff", "status"),
    [
        pytest.param(8_639_999_999_999_913_984, 21600.0, 200, id="huge-interval-ok"),
        pytest.param(8_639_999_999_999_913_984, 21600.0, 500, id="huge-interval-failing"),
        pytest.param(2**62, 30 * 86400.0, 503, id="huge-interval-longest-backoff"),
    ],
)
async def test_a_huge_stored_interval_fails_no_poll_of_its_batch(
    feed_server: FeedServer, tmp_path: Path, interval: int, max_backoff: float, status: int
) -> None:
    items = [(feed_server.url(f"/articles/bounds-{status}-{i}"), f"bounds headline {i}") for i in range(2)]
    good = feed_server.feed(f"/bounds-{status}/good.xml", rss(items))
    huge = feed_server.feed(f"/bounds-{status}/huge.xml", rss(items[:1]), status=status)
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"good": good, "huge": huge}, fetch_articles=False)
    with db.session() as session:  # as a version without ranges stored it
        session.execute(update(FeedRow).where(FeedRow.id == "huge").values(interval_seconds=interval))

    before = utcnow()
    settings = settings_for_tests(max_backoff=max_backoff)
    summary = await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db))

    assert summary.feeds == 2
    for feed_id in ("good", "huge"):
        row = feed_row(db, feed_id)
        assert row.polls == 1, feed_id  # recorded ...
        assert row.lease_owner is None, feed_id  # ... and released
    assert feed_row(db, "good").last_status == "ok" and feed_row(db, "good").entries_seen == 2
    huge_row = feed_row(db, "huge")
    assert huge_row.last_status == ("ok" if status == 200 else "error")
    # Scheduled no further out than the longest interval allows (plus jitter), and not due again at once.
    assert before + timedelta(seconds=60) < huge_row.next_poll_at <= utcnow() + timedelta(seconds=MAX_FEED_INTERVAL)
    assert lease_due_feeds(db, utcnow(), owner="next-tick", lease_seconds=60) == []


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        pytest.param("interval: 99999999999999d", "interval: must be at most 30d", id="huge"),
        pytest.param("interval: 0.2s", "interval: must be at least 1s", id="tiny"),
        pytest.param("interval: .nan", "interval: a duration must be positive", id="nan"),
        pytest.param("interval: 1.0e+300", "interval: must be at most 30d", id="huge-number"),
    ],
)
def test_a_bad_interval_in_the_feed_list_names_feed_and_key_and_keeps_the_old_feeds(
    tmp_path: Path, entry: str, reason: str
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text('feeds:\n  - {id: steady, url: "https://example.org/a.xml", interval: 15m}\n')
    db = database(tmp_path / "aidwatch.db")
    watcher = FeedListWatcher(path, 900.0, True)
    assert watcher.sync(db) and watcher.last_error is None

    path.write_text(
        "feeds:\n"
        '  - {id: steady, url: "https://example.org/a.xml", interval: 1h}\n'
        f'  - {{id: runaway, url: "https://example.org/b.xml", {entry}}}\n'
    )
    assert not watcher.sync(db)
    assert watcher.last_error is not None
    assert f"{path}: feeds[1] (id 'runaway') {reason}" in watcher.last_error, watcher.last_error
    assert [(f.id, f.interval_seconds) for f in list_feeds(db)] == [("steady", 900)]  # the old list, unchanged
