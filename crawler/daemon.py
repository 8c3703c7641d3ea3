"""The daemon's composition root: scheduler, crawler, API and delivery worker on one event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import FastAPI

from alerts.api.routes_websub import install_push_sink
from alerts.classify import get_classifier
from alerts.delivery.worker import DeliveryWorker
from alerts.models import FeedState
from alerts.settings import Settings
from alerts.store import daemons as daemon_store
from alerts.store import make_database, upgrade
from alerts.store.engine import Database
from alerts.store.outage import describe, is_outage
from alerts.web import create_site
from crawler.api_server import api_server
from crawler.cluster import ClusterMember, new_daemon_id
from crawler.crawl_runner import run_crawl
from crawler.parser_pool import parser_pool, shutdown_parser_pools
from crawler.ticker import Ticker
from crawler.websub import WebSubService

log = logging.getLogger("aidwatch.daemon")
#: Waiting for the database at start-up: first retry after this many seconds, doubling up to the cap.
DB_WAIT_FIRST, DB_WAIT_CAP = 0.5, 10.0


class StartupError(Exception):
    """The daemon cannot start (the API's port is taken, the feed list is unusable); the message is one line."""


def bind_api_socket(listen: str) -> socket.socket:
    """The API's listening socket, bound now: a busy port stops the start-up before anything else runs."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restarts reuse the port
        sock.bind((host, int(port)))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {listen}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


@dataclass
class Readiness:
    """What /readyz reports: the database answers and the scheduler is running."""

    db: Database
    scheduler: AsyncIOScheduler
    ticker: Ticker
    member: ClusterMember

    def __call__(self) -> dict[str, bool]:
        from apscheduler.schedulers.base import STATE_RUNNING

        return {
            "database": self.db.ping(),
            "scheduler": self.scheduler.state == STATE_RUNNING,
            "last_tick": self.ticker.last_tick_ok,
            "heartbeat": self.member.last_beat_ok,
        }


def holder_is_gone(holder: str, sqlite: bool) -> bool:
    """True when a feed lease or outbox claim holder (``host:pid[:...]``) is a process that no longer runs.

    Only processes of this host can be checked. On SQLite, which one host alone can use, a holder from
    another host name is a previous incarnation (a replaced container); on PostgreSQL it may be alive.
    """
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    this_host = socket.gethostname()
    if host not in (this_host[:30], this_host[:40]):  # lease owners and worker ids truncate the name
        return sqlite
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():  # a previous run that had our pid (containers): we hold nothing yet
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def release_dead_holders(db: Database) -> tuple[int, int]:
    """At start-up: free feed leases and outbox claims of daemons that died; returns (feeds, outbox rows).

    After kill -9 or a crash on this host, the previous run's leases and claims would otherwise wait for
    their expiry. Rows handed back are sent again with the same webhook-id, which receivers deduplicate on.
    """
    return daemon_store.release_dead_holders(db, lambda holder: holder_is_gone(holder, db.is_sqlite))


def _prepare_database(db: Database, ticker: Ticker) -> tuple[int, int]:
    """Migrate, free dead holders and sync the feed list; returns what was freed (feeds, outbox rows)."""
    upgrade(db)
    freed = release_dead_holders(db)
    ticker.watcher.sync(db)
    return freed


async def wait_for_database(db: Database, ticker: Ticker, stop: asyncio.Event) -> bool:
    """Prepare the database, waiting with backoff while it cannot be reached; False if stopped meanwhile.

    A daemon started while PostgreSQL restarts (or before it, at boot) says so in one line and waits,
    instead of exiting with a traceback from the migration step. Errors that are not outages propagate.
    """
    where = db.engine.url.render_as_string(hide_password=True)
    delay, started, waiting = DB_WAIT_FIRST, time.monotonic(), False
    while True:
        try:
            freed = await asyncio.to_thread(_prepare_database, db, ticker)
            break
        except Exception as exc:
            if not is_outage(exc):
                raise
            if not waiting:
                log.warning(
                    "waiting for the database at %s (%s); retrying every %.1f-%.0f s",
                    where,
                    describe(exc),
                    DB_WAIT_FIRST,
                    DB_WAIT_CAP,
                )
                waiting = True
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, DB_WAIT_CAP)
    if waiting:
        log.warning("database at %s answered after %.1f s; starting", where, time.monotonic() - started)
    if any(freed):
        log.warning("a previous run died: released %d feed lease(s), %d outbox claim(s)", *freed)
    return True


def _start_websub(
    settings: Settings, db: Database, app: FastAPI, scheduler: AsyncIOScheduler, owner: str
) -> WebSubService:
    """WebSub push: the callback's sink, the push worker, and the subscription checks (first one at once)."""
    websub = WebSubService(settings, db, owner)
    install_push_sink(app, websub.queue.offer)
    websub.start()
    scheduler.add_job(
        websub.manager.check,
        IntervalTrigger(seconds=settings.websub.check_interval),
        id="websub",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
    return websub


async def serve(settings: Settings, *, ready: asyncio.Event | None = None) -> int:
    """Run until SIGTERM/SIGINT; returns the process exit code. Raises :class:`StartupError` if it cannot start."""
    listener = bind_api_socket(settings.api.listen)
    try:
        return await _serve(settings, listener, ready)
    finally:
        listener.close()


async def _serve(settings: Settings, listener: socket.socket, ready: asyncio.Event | None) -> int:
    db = make_database(settings.storage.url, echo=settings.storage.echo)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def poll(feeds: list[FeedState]) -> object:
        return await run_crawl(settings, db, feeds)

    daemon_id = new_daemon_id()
    ticker = Ticker(settings, db, poll, owner=daemon_id)
    worker = DeliveryWorker(settings, db, worker_id=daemon_id)
    member = ClusterMember(db, daemon_id, ticker, worker, settings.cluster.lease)
    if not await wait_for_database(db, ticker, stop):
        log.info("stopped while waiting for the database")
        db.dispose()
        return 0
    if ticker.watcher.last_error:
        raise StartupError(ticker.watcher.last_error)
    # Build the classifier (gazetteer, lexicons: seconds) before the first crawl, so that cost neither
    # delays the first alert nor holds up a shutdown that arrives while a worker thread is building it.
    await asyncio.to_thread(get_classifier, settings.classifier.threshold)
    parser_pool(settings.crawler.parser_processes).start()

    scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
    scheduler.add_job(
        ticker.tick,
        IntervalTrigger(seconds=settings.crawler.tick),
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        member.beat,
        IntervalTrigger(seconds=member.interval),
        id="heartbeat",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    app = create_site(settings, db, Readiness(db, scheduler, ticker, member), status=member.status)
    websub = _start_websub(settings, db, app, scheduler, ticker.owner) if settings.websub.enabled else None
    server = api_server(settings, app)
    scheduler.start()
    server_task = asyncio.create_task(server.serve(sockets=[listener]), name="api")
    worker_task = asyncio.create_task(worker.run(stop), name="delivery")
    await member.beat()  # joins the registry: from now on the others leave this daemon its part
    await ticker.tick()
    while not server.started and not server_task.done():
        await asyncio.sleep(0.05)
    if server_task.done():
        scheduler.shutdown(wait=False)
        await ticker.stop(timeout=1)
        if websub is not None:
            await websub.stop(timeout=1)
        exc = server_task.exception()
        log.error("API server failed to start on %s: %s", settings.api.listen, exc)
        return 1
    log.info(
        "aidwatch serving on %s (database %s, daemon %s)",
        settings.api.listen,
        db.engine.url.render_as_string(hide_password=True),
        daemon_id,
    )
    if ready is not None:
        ready.set()

    await stop.wait()
    log.info("stopping: pausing the scheduler, then finishing running crawls")
    scheduler.pause()
    server.should_exit = True
    # Crawls, the API and the delivery worker (told by `stop`) wind down together: the whole stop must
    # fit in 10 s, so the crawl bound is capped at 6 s (plus ~1.5 s to abort downloads).
    await asyncio.gather(
        ticker.stop(timeout=min(settings.crawler.crawl_stop_timeout, 6.0)),
        websub.stop(timeout=min(settings.crawler.crawl_stop_timeout, 6.0)) if websub else asyncio.sleep(0),
        asyncio.wait({server_task, worker_task}, timeout=4),
    )
    for task in (server_task, worker_task):
        task.cancel()
    scheduler.shutdown(wait=False)
    await asyncio.to_thread(member.leave)
    await asyncio.to_thread(shutdown_parser_pools)
    db.dispose()
    log.info("stopped")
    return 0
