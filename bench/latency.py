"""End to end: a report appears on a feed -> the webhook arrives, through a real `aidwatch serve`.

The daemon (tests/support/daemon.py: SQLite in a temp dir, 0.5 s scheduler tick, outbox polled
every 0.2 s) polls FEEDS local feeds every 5 s and fetches article pages. Reports are incident notes
of ../shared/corpus/dev.jsonl labelled as attacks, kept when the classifier (run here first) calls
them attacks in distinct places, so each becomes its own incident and one ``incident.created``
webhook. One report appears every ``SPACING`` seconds on the next feed, at no particular moment of
its poll cycle. Times come from one clock: when the bench added the item, the server's request log
(feed request that returned it; article page request) and the receiver's arrival time.

waiting = appeared -> feed request; processing = feed request -> webhook received (parse, article
fetch, extraction, classification, storage, outbox, delivery); also article request -> webhook.
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import REPO, FeedServerProcess, figure, percentile
from tests.support.daemon import Daemon, daemon_config, write_feeds
from tests.support.webhook_receiver import Receiver, webhook_receiver

DEV = REPO.parent / "shared" / "corpus" / "dev.jsonl"
FEEDS = 10
REPORTS = 72  # at least 50 must arrive (some merge or classify differently from their page)
SPACING = 0.5  # seconds between two reports
INTERVAL = "5s"


def reports(count: int) -> list[tuple[str, str]]:
    """(title, text) of attack notes the classifier flags, each in a place no other one names."""
    from datetime import UTC, datetime

    from alerts.classify import classify

    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = sorted((r for r in rows if r["label"] == 1 and r["kind"] == "incident_note"), key=lambda r: r["id"])
    chosen: list[tuple[str, str]] = []
    places: set[tuple[str, str | None]] = set()
    now = datetime.now(UTC)
    for row in rows:
        text = row["text"]
        title = text.split(". ")[0][:90]
        verdict = classify(title, text, lang=row.get("lang"), published=now)
        if not verdict.is_attack or verdict.historical or not verdict.country:
            continue
        place = (verdict.country, verdict.location)
        if (
            place in places
            or (verdict.country, None) in places
            or (verdict.location is None and any(p[0] == verdict.country for p in places))
        ):
            continue
        places.add(place)
        chosen.append((title, text))
        if len(chosen) == count:
            break
    return chosen


def _more_or_stopped(receiver: Receiver, seen: int, stop: threading.Event) -> bool:
    return len(receiver.requests) > seen or stop.is_set()


def _watch(receiver: Receiver, arrived: dict[str, float], stop: threading.Event) -> None:
    """Record the arrival time of every webhook, keyed by the article URLs its incident lists."""
    seen = 0
    while not stop.is_set():
        with receiver.condition:
            receiver.condition.wait_for(partial(_more_or_stopped, receiver, seen, stop), timeout=0.5)
            now = time.time()
            fresh = receiver.requests[seen:]
            seen = len(receiver.requests)
        for request in fresh:
            body = json.loads(request.body)
            for article in body.get("incident", {}).get("articles", []):
                arrived.setdefault(article["url"], now)


def measure() -> dict[str, Any]:
    """Run the daemon, publish the reports, and return the latency samples."""
    items = reports(REPORTS)
    with (
        FeedServerProcess() as server,
        webhook_receiver() as receiver,
        tempfile.TemporaryDirectory(prefix="aidwatch-bench-latency-") as tmp,
    ):
        folder = Path(tmp)
        server.ctl("setup", n=FEEDS, epoch=1)
        feeds = [(f"f{i}", server.feed_url(i)) for i in range(FEEDS)]
        config = daemon_config(folder, feeds=feeds, extra="")
        write_feeds(folder, feeds, interval=INTERVAL)
        arrived: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(receiver, arrived, stop), daemon=True)
        watcher.start()
        with Daemon(config) as daemon:
            created = daemon.client().post("/api/v1/subscriptions", json={"channel": "webhook", "target": receiver.url})
            created.raise_for_status()
            daemon.wait_for_articles(FEEDS * 30, timeout=120)  # the first poll of the initial items
            server.ctl("log", on=1)
            appeared: dict[str, tuple[int, float]] = {}
            rng = random.Random(6)
            for n, (title, text) in enumerate(items):
                feed = n % FEEDS
                url = server.ctl("add", feed=feed, title=title, text=text)
                appeared[url] = (feed, time.time())
                time.sleep(SPACING * rng.uniform(0.5, 1.5))
            deadline = time.time() + 20
            while time.time() < deadline and not all(u in arrived for u in appeared):
                time.sleep(0.2)
            log = server.ctl("log")
        stop.set()
        watcher.join(timeout=2)
    return {"appeared": appeared, "arrived": arrived, "log": log, "items": len(items)}


def run() -> list[dict[str, Any]]:
    """p50/p95 end-to-end latency and its split into waiting for the poll and processing."""
    data = measure()
    log: list[list[Any]] = data["log"]
    total, waiting, processing, after_article = [], [], [], []
    for url, (feed, at) in data["appeared"].items():
        got = data["arrived"].get(url)
        if got is None:
            continue
        feed_path, article_path = f"/feeds/{feed}.xml", urlsplit(url).path
        polled = next((t for t, path, status in log if path == feed_path and status == 200 and t >= at), None)
        fetched = next((t for t, path, _ in log if path == article_path), None)
        if polled is None:
            continue
        total.append(got - at)
        waiting.append(polled - at)
        processing.append(got - polled)
        if fetched is not None:
            after_article.append(got - fetched)
    share = sum(waiting) / sum(total) if total else 0.0
    note = f"{len(total)} of {data['items']} reports; feed interval {INTERVAL}"
    return [
        figure("e2e latency p50 (appear -> webhook)", 1000 * percentile(total, 0.5), "ms", note=note),
        figure("e2e latency p95 (appear -> webhook)", 1000 * percentile(total, 0.95), "ms", note=note),
        figure("e2e share waiting for the next poll", 100 * share, "%"),
        figure("processing p50 (feed fetched -> webhook)", 1000 * percentile(processing, 0.5), "ms"),
        figure("processing p95 (feed fetched -> webhook)", 1000 * percentile(processing, 0.95), "ms", target="<= 1000"),
        figure("processing p95 (article fetched -> webhook)", 1000 * percentile(after_article, 0.95), "ms"),
        figure("e2e reports delivered", len(total), "reports", target=">= 50"),
    ]
