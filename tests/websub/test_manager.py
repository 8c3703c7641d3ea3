"""The subscription manager against real local servers: discovery, requests the hub refuses, no hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.models import FeedSource
from alerts.settings import Settings
from alerts.store import Database
from alerts.store.feeds import add_feed
from alerts.store.websub import get_subscription
from crawler.websub import WebSubManager
from tests.support.databases import migrated_database
from tests.support.feed_server import FeedServer, rss
from tests.support.websub_hub import WebSubHub, websub_hub

ATOM = "application/atom+xml"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
def hub() -> Iterator[WebSubHub]:
    with websub_hub() as running:
        yield running


def manager(db: Database) -> WebSubManager:
    settings = Settings.model_validate(
        {"delivery": {"allow_private_networks": True}, "api": {"public_url": "http://127.0.0.1:9"}}
    )
    return WebSubManager(settings, db)


def atom(hub: str | None, self_url: str | None) -> str:
    links = "".join(
        f'<link rel="{rel}" href="{href}"/>' for rel, href in (("hub", hub), ("self", self_url)) if href is not None
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Outlet</title><id>urn:outlet</id><updated>2026-12-01T00:00:00Z</updated>{links}</feed>"
    )


@pytest.mark.parametrize(
    ("headers", "body", "hub_found", "topic_path"),
    [
        pytest.param(
            {"Link": '<{hub}>; rel="hub", <{base}/canonical.xml>; rel="self"'},
            atom(None, None),
            True,
            "/canonical.xml",
            id="link-header",
        ),
        pytest.param({}, atom("{hub}", "{base}/self.xml"), True, "/self.xml", id="atom-links"),
        pytest.param({}, atom(None, None), False, "/feed.xml", id="no-hub"),
        pytest.param({}, rss([("http://example.org/a", "A")]), False, "/feed.xml", id="plain-rss"),
    ],
)
async def test_discovery_finds_the_hub_and_the_topic(
    db: Database,
    feed_server: FeedServer,
    hub: WebSubHub,
    headers: dict[str, str],
    body: str,
    hub_found: bool,
    topic_path: str,
) -> None:
    base = feed_server.url("/websub-discovery")
    fill = {"hub": hub.url, "base": base}
    feed_url = feed_server.route(
        "/websub-discovery/feed.xml",
        body=body.format(**fill).encode(),
        content_type=ATOM,
        headers={k: v.format(**fill) for k, v in headers.items()},
    )
    found = await manager(db).discover(feed_url)
    assert found.hub == (hub.url if hub_found else None)
    assert found.topic == base + topic_path


async def test_a_hub_that_refuses_the_request_leaves_the_feed_polled(db: Database, feed_server: FeedServer) -> None:
    # This "hub" (a plain web server) answers 501 to the subscription request: it failed, nothing is pending.
    not_a_hub = feed_server.url("/websub-no-such-hub")
    feed_url = feed_server.route("/websub-refusing/feed.xml", body=atom(not_a_hub, None).encode(), content_type=ATOM)
    add_feed(db, FeedSource(id="outlet", url=feed_url, interval_seconds=900))
    await manager(db).check()
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == "failed"
    assert stored.last_error is not None and stored.last_error == "HTTP 501"


async def test_a_feed_without_hub_is_looked_at_again_later(db: Database, feed_server: FeedServer) -> None:
    feed_url = feed_server.route("/websub-hubless/feed.xml", body=atom(None, None).encode(), content_type=ATOM)
    add_feed(db, FeedSource(id="outlet", url=feed_url, interval_seconds=900))
    await manager(db).check()
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == "no_hub" and stored.retry_at is not None


async def test_a_subscription_request_reaches_the_hub_with_a_secret(
    db: Database, feed_server: FeedServer, hub: WebSubHub
) -> None:
    feed_url = feed_server.route("/websub-asking/feed.xml", body=atom(hub.url, None).encode(), content_type=ATOM)
    add_feed(db, FeedSource(id="outlet", url=feed_url, interval_seconds=900))
    await manager(db).check()
    assert hub.wait_for(lambda h: bool(h.requests), timeout=10)
    [request] = hub.requests
    stored = get_subscription(db, "outlet")
    assert stored is not None and stored.status == "pending"
    assert request["hub.topic"] == feed_url
    assert request["hub.secret"] == stored.secret and len(stored.secret.encode()) < 200
    assert request["hub.callback"] == f"http://127.0.0.1:9/websub/{stored.token}"
    assert request["hub.lease_seconds"] == str(7 * 86400)
