"""The daemon's composition root: scheduler, crawler, API and delivery worker on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from alerts.api import create_app
from alerts.delivery.worker import DeliveryWorker
from alerts.models import FeedState
from alerts.settings import Settings
from alerts.store import make_database, upgrade
from alerts.store.engine import Database
from crawler.runner import run_poll
from crawler.schedule import Ticker

log = logging.getLogger("aidwatch.daemon")


class _EmbeddedServer(uvicorn.Server):
    """uvicorn on the daemon's own loop; the daemon handles signals, not uvicorn.

    Stock uvicorn installs its own handlers and re-raises SIGTERM after shutdown (exit -15).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Readiness:
    """What /readyz reports: the database answers and the scheduler is running."""

    db: Database
    scheduler: AsyncIOScheduler
    ticker: Ticker

    def __call__(self) -> dict[str, bool]:
        from apscheduler.schedulers.base import STATE_RUNNING

        return {
            "database": self.db.ping(),
            "scheduler": self.scheduler.state == STATE_RUNNING,
            "last_tick": self.ticker.last_tick_ok,
        }


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code."""
    db = make_database(settings.storage.url, echo=settings.storage.echo)
    await asyncio.to_thread(upgrade, db)

    async def poll(feeds: list[FeedState]) -> object:
        return await run_poll(settings, db, feeds)

    ticker = Ticker(settings, db, poll)
    await asyncio.to_thread(ticker.watcher.sync, db)
    if ticker.watcher.last_error:
        raise SystemExit(f"aidwatch: {ticker.watcher.last_error}")

    scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
    scheduler.add_job(
        ticker.tick,
        IntervalTrigger(seconds=settings.crawler.tick),
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    app = create_app(settings, db, Readiness(db, scheduler, ticker))
    server = _EmbeddedServer(
        uvicorn.Config(
            app,
            host=settings.api.host,
            port=settings.api.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    worker = DeliveryWorker(settings, db)
    scheduler.start()
    server_task = asyncio.create_task(server.serve(), name="api")
    worker_task = asyncio.create_task(worker.run(stop), name="delivery")
    await ticker.tick()
    while not server.started and not server_task.done():
        await asyncio.sleep(0.05)
    if server_task.done():
        scheduler.shutdown(wait=False)
        await ticker.stop(timeout=1)
        exc = server_task.exception()
        log.error("API server failed to start on %s: %s", settings.api.listen, exc)
        return 1
    log.info("aidwatch serving on %s (database %s)", settings.api.listen, db.engine.url.render_as_string())
    if ready is not None:
        ready.set()

    await stop.wait()
    log.info("stopping: pausing the scheduler, then finishing running crawls")
    scheduler.pause()
    await ticker.stop(timeout=settings.crawler.crawl_stop_timeout)
    server.should_exit = True
    await asyncio.wait({server_task, worker_task}, timeout=4)
    for task in (server_task, worker_task):
        task.cancel()
    scheduler.shutdown(wait=False)
    db.dispose()
    log.info("stopped")
    return 0
