"""Moving to PostgreSQL: every row is copied, ids continue, a non-empty target is refused."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.models import FeedSource
from alerts.store import make_database, upgrade
from alerts.store.articles import mark_entries_seen, unseen_entry_keys
from alerts.store.copy import CopyError, copy_database
from alerts.store.feeds import get_feed, sync_feed_list
from alerts.store.incidents import get_incident
from alerts.store.tables import IncidentRow
from tests.support.databases import postgres_schema_url

NOW = datetime(2026, 2, 1, tzinfo=UTC)


def incident(title: str) -> IncidentRow:
    return IncidentRow(
        version=1,
        title=title,
        summary="",
        score=0.9,
        categories=["un"],
        event_types=["armed_attack"],
        country_code="AF",
        organizations=[],
        evidence=[],
        first_seen=NOW,
        updated=NOW,
    )


@pytest.mark.postgres
def test_copy_sqlite_to_postgresql(tmp_path: Path) -> None:
    source = make_database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(source)
    sync_feed_list(source, [FeedSource(id="a", url="http://127.0.0.1:1/a", interval_seconds=60)], now=NOW)
    mark_entries_seen(source, "a", ["k1", "k2"], NOW)
    with source.session() as session:
        session.add_all([incident("first"), incident("second")])
    with postgres_schema_url() as url:
        target = make_database(url)
        copied = copy_database(source, target)
        assert copied["feeds"] == 1 and copied["seen_entries"] == 2 and copied["incidents"] == 2
        assert unseen_entry_keys(target, "a", ["k1", "k2", "k3"]) == {"k3"}
        feed = get_feed(target, "a")
        assert feed is not None and feed.next_poll_at == NOW
        first = get_incident(target, 1)
        assert first is not None and first.title == "first" and first.first_seen == NOW
        with target.session() as session:  # ids continue after the copied ones
            row = incident("third")
            session.add(row)
            session.flush()
            assert row.id == 3
        with pytest.raises(CopyError, match="not empty"):
            copy_database(source, target)
        target.dispose()
    source.dispose()
