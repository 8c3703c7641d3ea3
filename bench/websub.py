"""Publish to alert with WebSub: a local hub pushes attack reports to a real `aidwatch serve`.

The daemon (tests/support/daemon.py, ``[websub] enabled``) discovers the hub of FEEDS local feeds
(tests/support/feed_server.py, ``<atom:link rel="hub">``), subscribes, and gets each report pushed by
the hub of tests/support/websub_hub.py, signed with sha256. Feeds are polled hourly, so every alert
comes by push. Reports are the attack notes of bench/latency.py (../shared/corpus/dev.jsonl, flagged
by the classifier in distinct places); one is published every ~``SPACING`` seconds to the next feed,
as a feed body holding that entry alone (hubs may drop entries already delivered, section 7).

publish -> webhook: from just before the hub's POST to the callback to the webhook's arrival (discovery
of the entry, article page fetch, extraction, classification, storage, outbox, delivery); compare
with bench/latency.py's appear -> webhook, which polls every 5 s.
"""

from __future__ import annotations

import html
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.common import figure, percentile
from bench.latency import _watch, reports
from tests.support.daemon import Daemon, daemon_config, write_feeds
from tests.support.feed_server import FeedServer
from tests.support.webhook_receiver import webhook_receiver
from tests.support.websub_hub import WebSubHub, websub_hub

FEEDS = 5
REPORTS = 60
SPACING = 0.5  # seconds between two publications
WEBSUB = '[websub]\nenabled = true\ncheck_interval = "0.5s"\n'


def _page(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split(". ") if p.strip())
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _feed(hub: str, topic: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid></item>"
        for link, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f'<channel><title>Outlet</title><link>http://example.org/</link><atom:link rel="hub" href="{escape(hub)}"/>'
        f'<atom:link rel="self" href="{escape(topic)}"/>{entries}</channel></rss>'
    ).encode()


def _all_verified(topics: list[str]) -> Any:
    return lambda hub: all(hub.verified(topic) for topic in topics)


def measure() -> dict[str, Any]:
    """Run the daemon, publish the reports through the hub, and return publish and arrival times."""
    items = reports(REPORTS)
    server = FeedServer().start()
    try:
        with (
            websub_hub() as hub,
            webhook_receiver() as receiver,
            tempfile.TemporaryDirectory(prefix="aidwatch-bench-websub-") as tmp,
        ):
            folder = Path(tmp)
            topics = [
                server.feed(f"/bench-websub/{n}.xml", _feed(hub.url, server.url(f"/bench-websub/{n}.xml"), []))
                for n in range(FEEDS)
            ]
            feeds = [(f"w{n}", topic) for n, topic in enumerate(topics)]
            config = daemon_config(folder, feeds=feeds, extra=WEBSUB)
            write_feeds(folder, feeds, interval="1h")
            arrived: dict[str, float] = {}
            stop = threading.Event()
            watcher = threading.Thread(target=_watch, args=(receiver, arrived, stop), daemon=True)
            watcher.start()
            with Daemon(config) as daemon:
                created = daemon.client().post(
                    "/api/v1/subscriptions", json={"channel": "webhook", "target": receiver.url}
                )
                created.raise_for_status()
                if not hub.wait_for(_all_verified(topics), timeout=60):
                    raise RuntimeError(f"the daemon did not subscribe to every feed: {hub.verifications}")
                published = _publish(server, hub, topics, items)
                deadline = time.time() + 30  # some reports merge or classify differently from their page
                while time.time() < deadline and not all(url in arrived for url in published):
                    time.sleep(0.2)
            stop.set()
            watcher.join(timeout=2)
    finally:
        server.stop()
    return {"published": published, "arrived": arrived, "items": len(items)}


def _publish(server: FeedServer, hub: WebSubHub, topics: list[str], items: list[tuple[str, str]]) -> dict[str, float]:
    published: dict[str, float] = {}
    rng = random.Random(19)
    for n, (title, text) in enumerate(items):
        topic = topics[n % len(topics)]
        url = server.route(f"/bench-websub/report-{n}.html", body=_page(title, text))
        body = _feed(hub.url, topic, [(url, title)])
        published[url] = time.time()
        statuses = hub.publish(topic, body)
        if statuses != [202]:
            raise RuntimeError(f"the callback answered {statuses} to a push")
        time.sleep(SPACING * rng.uniform(0.5, 1.5))
    return published


def run() -> list[dict[str, Any]]:
    """p50/p95 publish -> webhook latency with WebSub push."""
    data = measure()
    latencies = [data["arrived"][url] - at for url, at in data["published"].items() if url in data["arrived"]]
    note = f"{len(latencies)} of {data['items']} reports; {FEEDS} feeds polled hourly, every alert by push"
    return [
        figure("websub publish -> webhook p50", 1000 * percentile(latencies, 0.5), "ms", note=note),
        figure("websub publish -> webhook p95", 1000 * percentile(latencies, 0.95), "ms", target="<= 5000", note=note),
        figure("websub reports delivered", len(latencies), "reports", target=">= 50"),
    ]
