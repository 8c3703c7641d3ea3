"""The daemons sharing one database: registered by their first heartbeat, seen at each, gone at shutdown.

The registry is what makes work sharing fair (a daemon leases its share of the due feeds: see
``alerts.store.feed_leases.lease_due_feeds`` with ``steal_after``) and what readiness and metrics show:
each daemon's id, the feed leases and outbox claims it holds, and its share of the polls and deliveries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from alerts.store.engine import Database
from alerts.store.tables import DaemonRow, FeedRow, OutboxRow

#: Rows of daemons not seen for this long are deleted by any heartbeat (they died without a clean stop).
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DaemonView:
    """One live daemon as the cluster sees it."""

    id: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime
    polls: int
    deliveries: int
    feed_leases: int
    outbox_claims: int


@dataclass(frozen=True, slots=True)
class ClusterView:
    """The live daemons (heard of within one lease), this one included."""

    daemons: tuple[DaemonView, ...]

    def share(self, daemon_id: str, what: str) -> float:
        """``daemon_id``'s share (0..1) of the live daemons' ``polls`` or ``deliveries``; 0 with none yet."""
        total = sum(getattr(view, what) for view in self.daemons)
        mine = sum(getattr(view, what) for view in self.daemons if view.id == daemon_id)
        return mine / total if total else 0.0


def heartbeat(
    db: Database, daemon_id: str, now: datetime, *, polls: int, deliveries: int, alive_for: timedelta
) -> ClusterView:
    """Mark this daemon seen with its counters; return the live daemons with the leases each holds.

    The first heartbeat registers the daemon (so does the first after its row was forgotten as stale).
    A daemon joins only once it can work, so the others do not leave feeds to it while it starts.
    """
    with db.session() as session:
        updated = session.execute(
            update(DaemonRow).where(DaemonRow.id == daemon_id).values(seen_at=now, polls=polls, deliveries=deliveries)
        ).rowcount  # type: ignore[attr-defined]
        if not updated:
            host, _, rest = daemon_id.partition(":")
            pid = rest.partition(":")[0]
            session.add(
                DaemonRow(
                    id=daemon_id,
                    host=host,
                    pid=int(pid) if pid.isdigit() else 0,
                    started_at=now,
                    seen_at=now,
                    polls=polls,
                    deliveries=deliveries,
                )
            )
        session.execute(delete(DaemonRow).where(DaemonRow.seen_at < now - FORGET_AFTER))
        session.flush()
        live = session.scalars(
            select(DaemonRow).where(DaemonRow.seen_at >= now - alive_for).order_by(DaemonRow.started_at)
        ).all()
        leases: dict[str | None, int] = {
            owner: count
            for owner, count in session.execute(
                select(FeedRow.lease_owner, func.count())
                .where(FeedRow.lease_owner.is_not(None), FeedRow.lease_until >= now)
                .group_by(FeedRow.lease_owner)
            )
        }
        claims: dict[str | None, int] = {
            holder: count
            for holder, count in session.execute(
                select(OutboxRow.claimed_by, func.count())
                .where(OutboxRow.claimed_by.is_not(None), OutboxRow.claimed_until >= now)
                .group_by(OutboxRow.claimed_by)
            )
        }
        return ClusterView(
            tuple(
                DaemonView(
                    id=row.id,
                    host=row.host,
                    pid=row.pid,
                    started_at=row.started_at,
                    seen_at=row.seen_at,
                    polls=row.polls,
                    deliveries=row.deliveries,
                    feed_leases=int(leases.get(row.id, 0)),
                    outbox_claims=int(claims.get(row.id, 0)),
                )
                for row in live
            )
        )


def unregister_daemon(db: Database, daemon_id: str) -> None:
    """Remove this daemon from the registry (clean shutdown): the others' fair shares grow at once."""
    with db.session() as session:
        session.execute(delete(DaemonRow).where(DaemonRow.id == daemon_id))


def release_dead_holders(db: Database, is_gone: Callable[[str], bool]) -> tuple[int, int]:
    """Free feed leases and outbox claims whose holder ``is_gone``; returns (feeds, outbox rows) freed.

    Called at start-up: after kill -9 or a crash, the previous run's leases and claims would otherwise
    wait for their expiry. Rows handed back are sent again with the same webhook-id.
    """
    with db.session() as session:
        owners = session.scalars(select(FeedRow.lease_owner).where(FeedRow.lease_owner.is_not(None)).distinct())
        dead_owners = [owner for owner in owners if owner and is_gone(owner)]
        workers = session.scalars(
            select(OutboxRow.claimed_by)
            .where(OutboxRow.claimed_by.is_not(None), OutboxRow.status == "pending")
            .distinct()
        )
        dead_workers = [worker for worker in workers if worker and is_gone(worker)]
        feeds = rows = 0
        if dead_owners:
            feeds = session.execute(
                update(FeedRow).where(FeedRow.lease_owner.in_(dead_owners)).values(lease_owner=None, lease_until=None)
            ).rowcount  # type: ignore[attr-defined]
        if dead_workers:
            rows = session.execute(
                update(OutboxRow)
                .where(OutboxRow.claimed_by.in_(dead_workers), OutboxRow.status == "pending")
                .values(claimed_by=None, claimed_until=None)
            ).rowcount  # type: ignore[attr-defined]
        if dead_owners or dead_workers:
            session.execute(delete(DaemonRow).where(DaemonRow.id.in_(set(dead_owners) | set(dead_workers))))
    return int(feeds or 0), int(rows or 0)
