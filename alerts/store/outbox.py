"""The outbox: rows written with the incident, claimed by delivery workers, finished with a log entry.

Claims carry an expiry (``claimed_until``) so a dead worker's rows return to the pool. On PostgreSQL the
claim query uses ``FOR UPDATE SKIP LOCKED`` so several daemons share one outbox; on both backends the
claim itself is a compare-and-set ``UPDATE`` so a row is never handed to two workers at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from alerts.store.engine import Database, Transaction, dialect_insert
from alerts.store.tables import DeliveryAttemptRow, OutboxRow, SubscriptionRow, utcnow

MAX_ERROR_TEXT = 2000
#: Outbox kinds. ``digest_item`` rows are held (never sent) until a digest bundles them.
KIND_ALERT = "alert"
KIND_DIGEST = "digest"
KIND_DIGEST_ITEM = "digest_item"
KIND_CONFIRMATION = "confirmation"
STATUS_HELD = "held"


def new_message_id() -> str:
    """A fresh webhook-id / Message-ID stem, fixed for every retry of one delivery."""
    return "msg_" + secrets.token_urlsafe(18)


def insert_outbox_rows(tx: Transaction, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping any whose ``dedupe_key`` exists; return how many were written."""
    if not rows:
        return 0
    now = utcnow()
    values = [
        {
            "event": None,
            "incident_id": None,
            "incident_version": None,
            "status": "pending",
            "payload": {},
            **row,
            "message_id": new_message_id(),
            "attempts": 0,
            "next_attempt_at": row.get("next_attempt_at", now),
            "created_at": now,
        }
        for row in rows
    ]
    insert = dialect_insert(tx)
    written = 0
    # One statement per row with RETURNING: rowcount of ON CONFLICT inserts is -1 on some drivers (psycopg).
    for value in values:
        stmt = (
            insert(OutboxRow)
            .values(**value)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxRow.id)
        )
        written += len(tx.execute(stmt).all())
    return written


def take_held_items(tx: Transaction, subscription_id: str) -> list[dict[str, Any]]:
    """The incident records of a subscription's held digest items, oldest first; the items become ``bundled``."""
    items = tx.scalars(
        select(OutboxRow)
        .where(OutboxRow.subscription_id == subscription_id)
        .where(OutboxRow.kind == KIND_DIGEST_ITEM)
        .where(OutboxRow.status == STATUS_HELD)
        .order_by(OutboxRow.id)
    ).all()
    for item in items:
        item.status = "bundled"
    return [item.payload["incident"] for item in items]


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """An outbox row claimed by one worker, with what sending it needs from its subscription."""

    outbox_id: int
    message_id: str
    kind: str
    event: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    subscription_id: str
    channel: str
    target: str
    format: str
    signing_secret: str
    subscription_name: str | None


def _sendable(kind: str, status: str) -> bool:
    # A confirmation goes only to an address still waiting for it; alerts only to active subscriptions.
    return status == "pending_confirmation" if kind == KIND_CONFIRMATION else status == "active"


def claim_due(db: Database, worker_id: str, now: datetime, limit: int, lease: timedelta) -> list[ClaimedMessage]:
    """Claim up to ``limit`` due pending rows for ``worker_id`` until ``now + lease``.

    Rows whose subscription no longer accepts them (unsubscribed, disabled, deleted) are cancelled here
    rather than sent.
    """
    if limit <= 0:
        return []
    free = or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now)
    with db.session() as session:
        query = (
            select(OutboxRow.id)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now, free)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        claimed: list[int] = []
        for outbox_id in session.scalars(query).all():
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending", free)
                .values(claimed_by=worker_id, claimed_until=now + lease)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(outbox_id)
        if not claimed:
            return []
        out: list[ClaimedMessage] = []
        pairs = session.execute(
            select(OutboxRow, SubscriptionRow)
            .join(SubscriptionRow, SubscriptionRow.id == OutboxRow.subscription_id)
            .where(OutboxRow.id.in_(claimed))
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        ).all()
        for row, sub in pairs:
            if not _sendable(row.kind, sub.status):
                row.status = "cancelled"
                row.last_error = f"subscription is {sub.status}"
                row.claimed_by = row.claimed_until = None
                continue
            out.append(
                ClaimedMessage(
                    outbox_id=row.id,
                    message_id=row.message_id,
                    kind=row.kind,
                    event=row.event,
                    payload=row.payload,
                    attempts=row.attempts,
                    created_at=row.created_at,
                    subscription_id=sub.id,
                    channel=sub.channel,
                    target=sub.target,
                    format=sub.format,
                    signing_secret=sub.signing_secret,
                    subscription_name=sub.name,
                )
            )
        return out


def finish_attempt(
    db: Database,
    message: ClaimedMessage,
    worker_id: str,
    *,
    now: datetime,
    status: str,
    response_code: int | None,
    error: str | None,
    duration_ms: int | None,
    next_attempt_at: datetime | None = None,
    disable_reason: str | None = None,
) -> None:
    """Log one attempt and move the row on: ``delivered``, ``retry`` (pending again) or ``failed``.

    ``disable_reason`` also disables the subscription (a webhook answered 410 Gone).
    """
    error = error[:MAX_ERROR_TEXT] if error else None
    with db.session() as session:
        session.add(
            DeliveryAttemptRow(
                outbox_id=message.outbox_id,
                subscription_id=message.subscription_id,
                attempted_at=now,
                status=status,
                response_code=response_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        values: dict[str, Any] = {
            "attempts": OutboxRow.attempts + 1,
            "claimed_by": None,
            "claimed_until": None,
            "last_error": error,
        }
        if status == "delivered":
            values.update(status="delivered", delivered_at=now)
        elif status == "retry":
            values.update(status="pending", next_attempt_at=next_attempt_at or now)
        else:
            values.update(status="failed")
        # Only the current claim holder moves the row; a worker whose lease ran out just logs its attempt.
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message.outbox_id, OutboxRow.claimed_by == worker_id)
            .values(**values)
        )
        if disable_reason:
            sub = session.get(SubscriptionRow, message.subscription_id)
            if sub is not None and sub.status == "active":
                sub.status = "disabled"
                sub.status_reason = disable_reason[:MAX_ERROR_TEXT]
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.subscription_id == message.subscription_id)
                .where(OutboxRow.status.in_(("pending", "held")))
                .values(status="cancelled", last_error="subscription disabled")
            )


def release_claims(db: Database, worker_id: str) -> int:
    """Hand back rows this worker claimed but did not finish (clean shutdown); returns how many."""
    with db.session() as session:
        result = session.execute(
            update(OutboxRow)
            .where(OutboxRow.claimed_by == worker_id, OutboxRow.status == "pending")
            .values(claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def renew_claims(db: Database, worker_id: str, outbox_ids: Sequence[int], until: datetime) -> int:
    """Extend this worker's claims on ``outbox_ids`` (sends in flight) to ``until``; returns how many.

    Claims are short so that a dead daemon's alerts go out from another soon; the worker renews the rows
    it is still sending every third of a lease. A row whose claim passed to another worker is not touched.
    """
    if not outbox_ids:
        return 0
    held = select(OutboxRow.id).where(
        OutboxRow.id.in_(sorted(set(outbox_ids))), OutboxRow.claimed_by == worker_id, OutboxRow.status == "pending"
    )
    if not db.is_sqlite:
        # A row being written now is an attempt being recorded (which ends the claim): skip it, never wait.
        held = held.with_for_update(skip_locked=True)
    with db.session() as session:
        result = session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(held.scalar_subquery())).values(claimed_until=until)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
