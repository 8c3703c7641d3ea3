"""The aidwatch side of bench/polling.py, run in its own process (``--child``, plan as JSON on stdin).

Polls go through the real spider, middlewares and item pipeline (``crawler.crawl_runner.run_crawl`` on the
asyncio reactor's loop) into a fresh SQLite database in a temp dir, with the production ingestor
(classifier included). CPU is this process's (all its threads) plus that of the feed parser worker
processes (``crawler.parser_pool``: they are part of aidwatch); the feed server is another process.
Feeds have ``fetch_articles = false``: the figures are feed polling, not article fetching. All
feeds are on one loopback host, so ``per_host_concurrency`` is raised to ``concurrency`` (32) to
stand for feeds spread over many hosts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crawler.reactor import install_asyncio_reactor

LOOP = install_asyncio_reactor()  # before anything imports twisted.internet.reactor

from email.utils import formatdate  # noqa: E402

from alerts.models import FeedSource, PollResult  # noqa: E402
from alerts.settings import Settings  # noqa: E402
from alerts.store import make_database, upgrade  # noqa: E402
from alerts.store.articles import mark_seen  # noqa: E402
from alerts.store.engine import Database  # noqa: E402
from alerts.store.feed_leases import lease_due_feeds  # noqa: E402
from alerts.store.feeds import record_poll, sync_feed_list  # noqa: E402
from alerts.store.tables import utcnow  # noqa: E402
from bench.common import FeedServerProcess, proc_cpu_seconds  # noqa: E402
from bench.feedserver import BASE_TIME, ITEMS  # noqa: E402
from crawler.crawl_runner import run_crawl  # noqa: E402
from crawler.parser_pool import parser_pool  # noqa: E402
from crawler.reactor import stop_reactor_threads  # noqa: E402

SETTINGS = Settings.model_validate(
    {"crawler": {"jitter": 0.0, "download_timeout": 30.0, "concurrency": 32, "per_host_concurrency": 32}}
)


class Bench:
    """One feed-server connection and a series of measured polls."""

    def __init__(self, server: FeedServerProcess, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.epoch = 0
        self.db: Database | None = None
        self.ids: list[str] = []

    def fresh(self, n: int) -> None:
        """A new database with ``n`` feeds, and a new set of items on the server (all new)."""
        self.epoch += 1
        self.server.ctl("setup", n=n, epoch=self.epoch)
        if self.db is not None:
            self.db.dispose()
        self.db = make_database(f"sqlite:///{self.folder / f'bench-{self.epoch}.db'}")
        upgrade(self.db)
        self.ids = [f"f{i}" for i in range(n)]
        sources = [
            FeedSource(id=f"f{i}", url=self.server.feed_url(i), interval_seconds=900, fetch_articles=False)
            for i in range(n)
        ]
        sync_feed_list(self.db, sources)

    def prime(self, n: int) -> None:
        """A fresh database whose feeds look polled once (validators and the 30 entries stored).

        Written through the storage layer, as a first poll would leave them; the all-new poll of
        thousands of feeds is measured at a smaller N (it would take minutes of the benchmark).
        """
        self.fresh(n)
        assert self.db is not None
        now = utcnow()
        etag_of = self.server.base + "/articles/{}-{}-{}"
        with self.db.session() as session:
            for i in range(n):
                keys = [etag_of.format(self.epoch, i, k) for k in range(ITEMS)]
                mark_seen(session, f"f{i}", keys, now)
        modified = formatdate(BASE_TIME, usegmt=True)
        for i in range(n):
            result = PollResult(
                f"f{i}",
                "ok",
                http_status=200,
                etag=f'"{self.epoch}-{i}-0"',
                last_modified=modified,
                entries_total=ITEMS,
                entries_new=ITEMS,
            )
            record_poll(self.db, result, now, jitter=0.0, max_backoff=3600.0)

    async def poll(self, scenario: str) -> dict[str, Any]:
        """Lease every feed, poll them once, and measure the poll (leasing excluded)."""
        assert self.db is not None
        feeds = lease_due_feeds(
            self.db, utcnow(), owner="bench", lease_seconds=3600, limit=len(self.ids), feed_ids=self.ids
        )
        cpu0, wall0 = _cpu(), time.perf_counter()
        summary = await run_crawl(SETTINGS, self.db, feeds)
        wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
        return {
            "scenario": scenario,
            "n": len(feeds),
            "wall": wall,
            "cpu": cpu,
            "not_modified": summary.not_modified,
            "failed": summary.failed,
            "entries_new": summary.entries_new,
            "articles": summary.articles,
        }


def _cpu() -> float:
    """CPU seconds of this process and of its feed parser workers."""
    return time.process_time() + proc_cpu_seconds(parser_pool(SETTINGS.crawler.parser_processes).worker_pids())


async def run_plan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Run ``plan``: for each N, fresh (all-new) runs, then unchanged, 10%-changed and slow-server runs."""
    results: list[dict[str, Any]] = []
    server = FeedServerProcess.attach(plan["port"])
    with tempfile.TemporaryDirectory(prefix="aidwatch-bench-") as tmp:
        bench = Bench(server, Path(tmp))
        for step in plan["steps"]:
            n, runs = step["n"], step["runs"]
            for _ in range(step.get("new_runs", 1)):
                bench.fresh(n)
                results.append(await bench.poll(f"new/{n}"))
            if not step.get("new_runs", 1):
                bench.prime(n)
            for _ in range(runs):
                results.append(await bench.poll(f"unchanged/{n}"))
            for rep in range(runs if step.get("changed", True) else 0):
                server.ctl("change", frac=0.1, seed=rep)
                results.append(await bench.poll(f"changed/{n}"))
            if step.get("latency"):
                server.ctl("latency", s=step["latency"])
                for _ in range(runs):
                    results.append(await bench.poll(f"slow/{n}"))
                server.ctl("latency", s=0)
        if bench.db is not None:
            bench.db.dispose()
    return results


def main() -> None:
    """Child entry point: plan on stdin, one JSON line of results on stdout."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    plan = json.loads(sys.stdin.read())
    from alerts.classify import classify

    classify("Warm-up", "The classifier loads its model once per process; not part of any figure.")
    parser_pool(SETTINGS.crawler.parser_processes).start()  # as `aidwatch serve` does at start-up
    results = LOOP.run_until_complete(run_plan(plan))
    print(json.dumps(results), flush=True)
    stop_reactor_threads()
    os._exit(0)  # worker threads of the crawl may linger; the figures are out


if __name__ == "__main__":
    main()
