"""API rate-limit counters in the database, so every daemon on one PostgreSQL shares each limit.

A sliding window: a request is allowed when fewer than ``limit`` requests of the same key were allowed
within the last ``window``. Only allowed requests are stored (as on the Redis backend), keys only as
hashes. Exact under concurrency: on PostgreSQL an advisory lock per key serialises the check across
daemons; on SQLite the row is written first, so the count runs under the database's one write lock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text

from alerts.store.engine import Database, is_postgresql
from alerts.store.tables import RateLimitHitRow

# First key of the two-key advisory lock ("aw" + "rl"): cannot collide with other advisory locks.
_RATE_LIMIT_LOCK_SPACE = 0x6177_726C
_PURGE_BATCH = 1000


class _Refused(Exception):
    """Over the limit: rolls back this request's row; carries the wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def key_hash(bucket: str, key: str) -> str:
    """The stored form of a limited key: SHA-256 of bucket and key (addresses are personal data)."""
    return hashlib.sha256(f"{bucket}\0{key}".encode()).hexdigest()


def hit(db: Database, bucket: str, key: str, limit: int, window: timedelta, now: datetime) -> float | None:
    """Count one request of ``key`` against ``bucket``'s limit: None when allowed, else seconds to wait.

    A refused request is not counted, so a client that keeps asking is let in again once its oldest
    allowed request leaves the window.
    """
    hashed = key_hash(bucket, key)
    start = now - window
    try:
        with db.transaction() as tx:
            if is_postgresql(tx):
                lock_id = int.from_bytes(bytes.fromhex(hashed[:8]), "big", signed=True)
                tx.execute(
                    text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:id AS integer))"),
                    {"space": _RATE_LIMIT_LOCK_SPACE, "id": lock_id},
                )
            # Expired rows of any key go in passing; SKIP LOCKED so two daemons purging never wait on each other.
            expired = (
                select(RateLimitHitRow.id)
                .where(RateLimitHitRow.bucket == bucket, RateLimitHitRow.hit_at <= start)
                .limit(_PURGE_BATCH)
                .with_for_update(skip_locked=True)
            )
            tx.execute(delete(RateLimitHitRow).where(RateLimitHitRow.id.in_(expired)))
            mine = RateLimitHitRow(bucket=bucket, key_hash=hashed, hit_at=now)
            tx.add(mine)
            tx.flush()
            earlier = tx.scalars(
                select(RateLimitHitRow.hit_at)
                .where(RateLimitHitRow.bucket == bucket, RateLimitHitRow.key_hash == hashed)
                .where(RateLimitHitRow.hit_at > start, RateLimitHitRow.id != mine.id)
                .order_by(RateLimitHitRow.hit_at.desc(), RateLimitHitRow.id.desc())
                .limit(limit)
            ).all()
            if len(earlier) >= limit:
                # Free again once the oldest of the last ``limit`` allowed requests leaves the window.
                raise _Refused(max(1.0, (earlier[-1] + window - now).total_seconds()))
    except _Refused as refused:
        return refused.retry_after
    return None
