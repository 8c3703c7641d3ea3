"""This daemon as a member of a cluster sharing one database: its id, heartbeat and share of the work.

The heartbeat runs every third of ``[cluster] lease``: it renews the leases of the feeds being polled,
marks the daemon seen in the registry (``alerts.store.daemons``) with its counters, and keeps the view
of the live daemons that ``/readyz`` and ``/metrics`` show.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from alerts import metrics
from alerts.delivery.worker import DeliveryWorker
from alerts.store.daemons import ClusterView, heartbeat, unregister_daemon
from alerts.store.engine import Database
from alerts.store.outage import describe, is_outage
from alerts.store.tables import utcnow
from crawler.ticker import Ticker

log = logging.getLogger(__name__)


def new_daemon_id() -> str:
    """This process's name in leases, claims and the registry: ``host:pid:random``.

    The random part tells a restarted container that got the same pid from its previous run.
    """
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


class ClusterMember:
    """Registers the daemon, beats its heart, and reports its leases and share of the work."""

    def __init__(
        self,
        db: Database,
        daemon_id: str,
        ticker: Ticker,
        worker: DeliveryWorker,
        lease_seconds: float,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.daemon_id = daemon_id
        self.ticker = ticker
        self.worker = worker
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.view = ClusterView(())
        self.last_beat_ok = True
        metrics.DAEMON_INFO.labels(daemon_id).set(1)

    @property
    def interval(self) -> float:
        """Seconds between heartbeats: a third of a lease, so a lease survives two missed beats."""
        return self.lease.total_seconds() / 3

    async def beat(self) -> None:
        """One heartbeat. Database outages are logged by the ticker and the delivery loop, not here."""
        try:
            await self.ticker.renew()
            polls, deliveries = self.ticker.polls_done, self.worker.attempts_done
            # The clock is read in the thread: "seen at" must be when the row is written.
            self.view = await asyncio.to_thread(
                lambda: heartbeat(
                    self.db, self.daemon_id, self.clock(), polls=polls, deliveries=deliveries, alive_for=self.lease
                )
            )
        except Exception as exc:
            self.last_beat_ok = False
            if is_outage(exc):
                log.debug("heartbeat skipped: %s", describe(exc))
            else:
                log.exception("heartbeat failed")
            return
        self.last_beat_ok = True
        mine = self._mine()
        metrics.DAEMON_FEED_LEASES.set(mine.get("feed_leases", 0))
        metrics.DAEMON_OUTBOX_CLAIMS.set(mine.get("outbox_claims", 0))
        metrics.DAEMON_WORK_SHARE.labels("polls").set(self.view.share(self.daemon_id, "polls"))
        metrics.DAEMON_WORK_SHARE.labels("deliveries").set(self.view.share(self.daemon_id, "deliveries"))
        metrics.CLUSTER_DAEMONS.set(len(self.view.daemons))

    def leave(self) -> None:
        """Leave the registry at a clean stop (blocking); the others' fair shares grow at once."""
        try:
            unregister_daemon(self.db, self.daemon_id)
        except Exception as exc:  # the row is forgotten by the others once it is a lease old
            log.warning("could not leave the daemon registry: %s", describe(exc))

    def _mine(self) -> dict[str, int]:
        for view in self.view.daemons:
            if view.id == self.daemon_id:
                return {"feed_leases": view.feed_leases, "outbox_claims": view.outbox_claims}
        return {}

    def status(self) -> dict[str, Any]:
        """What ``/readyz`` shows of the cluster: this daemon, its leases and share, and the live daemons."""
        mine = self._mine()
        return {
            "id": self.daemon_id,
            "feed_leases": mine.get("feed_leases", 0),
            "outbox_claims": mine.get("outbox_claims", 0),
            "feeds_polling": len(self.ticker.polling),
            "polls": self.ticker.polls_done,
            "deliveries": self.worker.attempts_done,
            "poll_share": round(self.view.share(self.daemon_id, "polls"), 4),
            "delivery_share": round(self.view.share(self.daemon_id, "deliveries"), 4),
            "cluster": [
                {
                    "id": view.id,
                    "seen_at": view.seen_at.isoformat(),
                    "feed_leases": view.feed_leases,
                    "outbox_claims": view.outbox_claims,
                    "polls": view.polls,
                    "deliveries": view.deliveries,
                }
                for view in self.view.daemons
            ],
        }
