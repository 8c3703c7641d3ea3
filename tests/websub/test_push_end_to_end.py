"""End to end through `aidwatch serve`: a local hub pushes, the daemon alerts; bad pushes and hub outages.

Real and local: the feed and article server, the WebSub hub of tests/support/websub_hub.py, a webhook
receiver, SQLite in a temp dir. Feeds are polled hourly here, so an entry that reaches the webhook
within the test came by push, or by the fall-back poll after the hub failed. The stories are written
for these tests.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.support.daemon import Daemon, daemon_config, poll_until, write_feeds
from tests.support.feed_server import FeedServer
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tests.support.websub_hub import WebSubHub, websub_hub

BUDGET = 45.0  # seconds: daemon start, discovery, verification, crawl, classification and delivery
STORIES = {
    "kunduz": (
        "Gunmen storm aid agency clinic in Kunduz, killing two nurses",
        "Gunmen stormed a clinic run by an international aid agency in Kunduz, Afghanistan, on Thursday night, "
        "killing two nurses and wounding a guard, the agency said. The attackers set fire to the pharmacy "
        "before fleeing. The clinic served thousands of displaced families.",
    ),
    "goma": (
        "Armed men raid Red Cross convoy near Goma",
        "Armed men ambushed a Red Cross convoy carrying medical supplies near Goma in the Democratic Republic "
        "of Congo on Tuesday, shooting dead a driver and abducting two staff members, the organisation said.",
    ),
    "school": (
        "Aid agency opens a new school for displaced children",
        "An aid agency opened a school for displaced children on Monday. Lessons start next week, and "
        "teachers were hired from the camp itself.",
    ),
}


def page(title: str, text: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<article><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></article></body></html>"
    ).encode()


def websub_rss(hub: str, topic: str, items: list[tuple[str, str]]) -> bytes:
    """RSS 2.0 naming its hub and self URL with atom:link elements; ``items`` are (link, title)."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<description>{escape(title)}</description></item>"
        for link, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Outlet</title>'
        f'<link>http://example.org/</link><atom:link rel="hub" href="{escape(hub)}"/>'
        f'<atom:link rel="self" href="{escape(topic)}"/>{entries}</channel></rss>'
    ).encode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as hook:
        yield hook


@pytest.fixture
def hub() -> Iterator[WebSubHub]:
    with websub_hub() as running:
        yield running


class Outlet:
    """One feed on the feed server with its article pages, named after the test."""

    def __init__(self, server: FeedServer, hub: WebSubHub, name: str) -> None:
        self.server, self.hub, self.base = server, hub, f"/websub-{name}"
        self.topic = server.url(f"{self.base}/feed.xml")

    def story(self, key: str) -> tuple[str, str]:
        """Serve the story's page; returns (link, title)."""
        title, text = STORIES[key]
        path = f"{self.base}/{key}.html"
        self.server.route(path, body=page(title, text))
        return self.server.url(path), title

    def serve(self, items: list[tuple[str, str]]) -> None:
        """What a poll of the feed gets."""
        self.server.feed(f"{self.base}/feed.xml", websub_rss(self.hub.url, self.topic, items))

    def push(self, items: list[tuple[str, str]]) -> list[int]:
        """Publish a feed body through the hub (not served on the feed URL); the callbacks' statuses."""
        return self.hub.publish(self.topic, websub_rss(self.hub.url, self.topic, items))


def start_daemon(tmp_path: Path, outlet: Outlet, receiver: Receiver) -> Daemon:
    config = daemon_config(
        tmp_path,
        feeds=[("outlet", outlet.topic)],
        extra='[websub]\nenabled = true\ncheck_interval = "0.2s"\nverify_timeout = "10s"\nretry_interval = "1h"\n',
    )
    write_feeds(tmp_path, [("outlet", outlet.topic)], interval="1h")
    daemon = Daemon(config).start()
    created = daemon.client().post("/api/v1/subscriptions", json={"channel": "webhook", "target": receiver.url})
    assert created.status_code == 201, created.text
    assert outlet.hub.wait_for(lambda hub: bool(hub.verified(outlet.topic)), timeout=BUDGET), outlet.hub.verifications
    return daemon


def alerted_urls(receiver: Receiver, count: int) -> list[str]:
    delivered = receiver.wait_for(count, timeout=BUDGET)
    return [a["url"] for request in delivered for a in json.loads(request.body)["incident"]["articles"]]


def test_a_pushed_attack_report_reaches_the_webhook(
    tmp_path: Path, feed_server: FeedServer, hub: WebSubHub, receiver: Receiver
) -> None:
    outlet = Outlet(feed_server, hub, "pushed")
    school = outlet.story("school")
    outlet.serve([school])
    daemon = start_daemon(tmp_path, outlet, receiver)
    try:
        kunduz = outlet.story("kunduz")  # on no polled body: only the push carries it
        assert outlet.push([kunduz, school]) == [202]
        assert alerted_urls(receiver, 1) == [kunduz[0]]
        assert feed_server.requests_for(f"{outlet.base}/kunduz.html"), "the article page is fetched as for a poll"
        assert daemon.query("SELECT pushes FROM websub_subscriptions WHERE feed_id = 'outlet'") == 1
        exposed = daemon.client().get("/metrics").text
        assert 'aidwatch_websub_pushes_total{result="accepted"} 1.0' in exposed
        assert "aidwatch_entries_new_total 2.0" in exposed  # each entry once, whether the first poll or the push saw it
    finally:
        assert daemon.stop() == 0


def test_unsigned_and_badly_signed_pushes_are_refused_and_stored_nowhere(
    tmp_path: Path, feed_server: FeedServer, hub: WebSubHub, receiver: Receiver
) -> None:
    outlet = Outlet(feed_server, hub, "refused")
    school = outlet.story("school")
    outlet.serve([school])
    daemon = start_daemon(tmp_path, outlet, receiver)
    try:
        goma, kunduz = outlet.story("goma"), outlet.story("kunduz")
        for signing in ("none", "wrong"):
            hub.sign_with = signing
            assert outlet.push([goma]) == [403], signing
        hub.sign_with = "sha256"
        assert outlet.push([kunduz]) == [202]
        # The good push went through the whole path; the refused ones left no trace on the way.
        assert alerted_urls(receiver, 1) == [kunduz[0]]
        assert daemon.query(f"SELECT count(*) FROM articles WHERE url = '{goma[0]}'") == 0
        assert daemon.query("SELECT count(*) FROM seen_entries WHERE entry_key LIKE '%goma%'") == 0
        assert not feed_server.requests_for(f"{outlet.base}/goma.html")
        assert daemon.query("SELECT pushes FROM websub_subscriptions WHERE feed_id = 'outlet'") == 1
        assert 'aidwatch_websub_pushes_total{result="refused"} 2.0' in daemon.client().get("/metrics").text
    finally:
        assert daemon.stop() == 0


def test_a_hub_outage_falls_back_to_polling(tmp_path: Path, feed_server: FeedServer, receiver: Receiver) -> None:
    with websub_hub(granted_lease=2) as hub:  # short leases: renewed every second while the hub is up
        outlet = Outlet(feed_server, hub, "outage")
        school = outlet.story("school")
        outlet.serve([school])
        daemon = start_daemon(tmp_path, outlet, receiver)
    try:
        # The hub is down now; the report is only on the feed, which is polled hourly unless push fails.
        goma = outlet.story("goma")
        outlet.serve([goma, school])
        assert alerted_urls(receiver, 1) == [goma[0]]
        poll_until(
            lambda: daemon.query("SELECT status FROM websub_subscriptions WHERE feed_id = 'outlet'") == "failed",
            BUDGET,
            "the subscription to be marked failed",
        )
    finally:
        assert daemon.stop() == 0
