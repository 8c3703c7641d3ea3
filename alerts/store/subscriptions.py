"""Subscription queries for the API: create (with its confirmation email), read, change, unsubscribe, log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alerts.digest_schedule import DigestSpec
from alerts.store.confirmation_requests import reserve_confirmation
from alerts.store.engine import Database, Transaction, is_postgresql
from alerts.store.outbox import KIND_CONFIRMATION, insert_outbox_rows
from alerts.store.tables import DeliveryAttemptRow, OutboxRow, SubscriptionRow


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as its owner sees it (never the token hash)."""

    id: str
    channel: str
    target: str
    name: str | None
    format: str
    mode: str
    filters: dict[str, Any]
    digest: dict[str, Any] | None
    status: str
    status_reason: str | None
    created_at: datetime
    confirmed_at: datetime | None
    next_digest_at: datetime | None
    manage_token_hash: str


def _view(row: SubscriptionRow) -> SubscriptionView:
    return SubscriptionView(
        id=row.id,
        channel=row.channel,
        target=row.target,
        name=row.name,
        format=row.format,
        mode=row.mode,
        filters=dict(row.filters or {}),
        digest=dict(row.digest) if row.digest else None,
        status=row.status,
        status_reason=row.status_reason,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        next_digest_at=row.next_digest_at,
        manage_token_hash=row.manage_token_hash,
    )


def _next_digest(mode: str, digest: dict[str, Any] | None, now: datetime) -> datetime | None:
    return DigestSpec.from_dict(digest).next_after(now) if mode == "digest" else None


def create_subscription(
    db: Database,
    values: dict[str, Any],
    now: datetime,
    recipient_key: str | None = None,
    confirmations_per_hour: int | None = None,
) -> SubscriptionView:
    """Insert a subscription; an email one also gets its confirmation queued in the same transaction.

    With ``recipient_key`` and ``confirmations_per_hour``, the confirmation email counts against that
    address's hourly limit: over it, nothing is written and ``ConfirmationLimitReached`` is raised.
    """
    with db.session() as session:
        if values.get("status") == "pending_confirmation" and recipient_key and confirmations_per_hour:
            reserve_confirmation(session, recipient_key, now, confirmations_per_hour)
        row = SubscriptionRow(**values, created_at=now)
        row.next_digest_at = _next_digest(row.mode, row.digest, now)
        session.add(row)
        session.flush()
        if row.status == "pending_confirmation":
            insert_outbox_rows(
                session,
                [{"subscription_id": row.id, "kind": KIND_CONFIRMATION, "dedupe_key": f"confirmation:{row.id}"}],
            )
        return _view(row)


def resend_confirmation(
    db: Database, subscription_id: str, recipient_key: str, now: datetime, confirmations_per_hour: int
) -> bool:
    """Queue the confirmation email of a pending email subscription again; True when one was queued.

    Counts against the address's confirmation limit exactly like creation (``ConfirmationLimitReached``
    when over it, nothing written). False when the subscription is gone or no longer pending.
    """
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id)
        if row is None or row.channel != "email" or row.status != "pending_confirmation":
            return False
        reserve_confirmation(session, recipient_key, now, confirmations_per_hour)
        insert_outbox_rows(
            session,
            [
                {
                    "subscription_id": row.id,
                    "kind": KIND_CONFIRMATION,
                    # Each resend is its own message; the first one's key stays ``confirmation:<id>``.
                    "dedupe_key": f"confirmation:{row.id}:{secrets.token_hex(8)}",
                }
            ],
        )
        return True


def rotate_signing_secret(
    db: Database, subscription_id: str, new_secret: str, now: datetime, overlap: timedelta
) -> datetime | None:
    """Make ``new_secret`` the subscription's signing secret; the replaced one keeps signing until the
    returned time. None when the subscription does not exist.

    Only one secret is kept besides the current one: rotating again within the overlap drops the oldest.
    """
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id, with_for_update=True)
        if row is None:
            return None
        until = now + overlap
        row.previous_signing_secret, row.previous_secret_until = row.signing_secret, until
        row.signing_secret = new_secret
        return until


def replace_manage_token(db: Database, subscription_id: str, current_hash: str, new_hash: str) -> bool:
    """Swap the manage token's hash from ``current_hash`` to ``new_hash``: the old token stops working at once.

    False when the subscription is gone or its token changed meanwhile (a concurrent rotation won).
    """
    with db.session() as session:
        result = session.execute(
            update(SubscriptionRow)
            .where(SubscriptionRow.id == subscription_id, SubscriptionRow.manage_token_hash == current_hash)
            .values(manage_token_hash=new_hash)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def get_subscription(db: Database, subscription_id: str) -> SubscriptionView | None:
    """One subscription, or None."""
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id)
        return _view(row) if row is not None else None


def list_subscriptions(db: Database, limit: int = 100, offset: int = 0) -> list[SubscriptionView]:
    """Every subscription, oldest first (admin)."""
    with db.session() as session:
        rows = session.scalars(
            select(SubscriptionRow).order_by(SubscriptionRow.created_at, SubscriptionRow.id).limit(limit).offset(offset)
        )
        return [_view(row) for row in rows]


def active_subscriptions(tx: Transaction) -> list[SubscriptionView]:
    """Every subscription that accepts alerts now (confirmed, not unsubscribed or disabled)."""
    return [_view(row) for row in tx.scalars(select(SubscriptionRow).where(SubscriptionRow.status == "active"))]


def due_digest_subscriptions(tx: Transaction, now: datetime) -> list[SubscriptionView]:
    """Active digest subscriptions whose next digest time has come.

    On PostgreSQL their rows stay locked until ``tx`` ends and rows another worker holds are skipped,
    so two daemons never bundle one period twice.
    """
    query = (
        select(SubscriptionRow)
        .where(SubscriptionRow.mode == "digest")
        .where(SubscriptionRow.status == "active")
        .where(SubscriptionRow.next_digest_at <= now)
    )
    if is_postgresql(tx):
        query = query.with_for_update(skip_locked=True)
    return [_view(row) for row in tx.scalars(query).all()]


def set_next_digest(tx: Transaction, subscription_id: str, when: datetime) -> None:
    """Move a digest subscription's next digest time to ``when``."""
    tx.execute(update(SubscriptionRow).where(SubscriptionRow.id == subscription_id).values(next_digest_at=when))


class SubscriptionActivity(NamedTuple):
    """A subscription with its latest delivery attempt (time and status), for the operators' table."""

    subscription: SubscriptionView
    last_attempt_at: datetime | None
    last_status: str | None


def subscription_activity(db: Database) -> list[SubscriptionActivity]:
    """Every subscription, oldest first, with the time and status of its latest delivery attempt."""
    with db.session() as session:
        last = (
            select(
                DeliveryAttemptRow.subscription_id,
                func.max(DeliveryAttemptRow.attempted_at).label("last_at"),
            )
            .group_by(DeliveryAttemptRow.subscription_id)
            .subquery()
        )
        rows = session.execute(
            select(SubscriptionRow, last.c.last_at)
            .outerjoin(last, last.c.subscription_id == SubscriptionRow.id)
            .order_by(SubscriptionRow.created_at)
        ).all()
        activity: list[SubscriptionActivity] = []
        for sub, last_at in rows:
            status = None
            if last_at is not None:
                status = session.scalars(
                    select(DeliveryAttemptRow.status)
                    .where(DeliveryAttemptRow.subscription_id == sub.id)
                    .order_by(DeliveryAttemptRow.attempted_at.desc(), DeliveryAttemptRow.id.desc())
                    .limit(1)
                ).first()
            activity.append(SubscriptionActivity(_view(sub), last_at, status))
        return activity


def _drop_held(session: Session, subscription_id: str, reason: str) -> None:
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.subscription_id == subscription_id, OutboxRow.status.in_(("pending", "held")))
        .values(status="cancelled", last_error=reason)
    )


def update_subscription(
    db: Database, subscription_id: str, changes: dict[str, Any], now: datetime
) -> SubscriptionView | None:
    """Apply changes (filters, mode, digest, format, name); None when the subscription does not exist."""
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id)
        if row is None:
            return None
        for key, value in changes.items():
            setattr(row, key, value)
        if row.mode != "digest":
            row.digest = None
            row.next_digest_at = None
            # Items held for a digest that will never be sent again must not linger.
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.subscription_id == row.id, OutboxRow.status == "held")
                .values(status="cancelled", last_error="digest mode switched off")
            )
        elif "digest" in changes or "mode" in changes:
            row.next_digest_at = _next_digest(row.mode, row.digest, now)
        return _view(row)


def delete_subscription(db: Database, subscription_id: str) -> bool:
    """Delete a subscription with its outbox rows and delivery log; False when it does not exist."""
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id)
        if row is None:
            return False
        # Explicit, not only ON DELETE CASCADE: SQLite enforces it only with the foreign_keys pragma on.
        session.query(DeliveryAttemptRow).filter(DeliveryAttemptRow.subscription_id == row.id).delete()
        session.query(OutboxRow).filter(OutboxRow.subscription_id == row.id).delete()
        session.delete(row)
        return True


def confirm_subscription(db: Database, subscription_id: str, now: datetime) -> SubscriptionView | None:
    """Double opt-in: a pending email subscription becomes active. Idempotent; other states are kept."""
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id)
        if row is None:
            return None
        if row.status == "pending_confirmation":
            row.status = "active"
            row.confirmed_at = now
            row.next_digest_at = _next_digest(row.mode, row.digest, now)
        return _view(row)


def unsubscribe(db: Database, subscription_id: str, now: datetime) -> SubscriptionView | None:
    """Stop every delivery to this subscription (kept, marked unsubscribed). Idempotent."""
    with db.session() as session:
        row = session.get(SubscriptionRow, subscription_id)
        if row is None:
            return None
        if row.status != "unsubscribed":
            row.status = "unsubscribed"
            row.status_reason = f"unsubscribed at {now.isoformat()}"
            _drop_held(session, row.id, "unsubscribed")
        return _view(row)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One delivery attempt as the log shows it."""

    id: int
    time: datetime
    status: str
    response_code: int | None
    error: str | None
    duration_ms: int | None
    message_id: str
    kind: str
    event: str | None
    incident_id: int | None
    incident_version: int | None


def list_deliveries(db: Database, subscription_id: str, limit: int = 100, offset: int = 0) -> list[DeliveryView]:
    """The delivery log of one subscription, newest first."""
    with db.session() as session:
        pairs = session.execute(
            select(DeliveryAttemptRow, OutboxRow)
            .join(OutboxRow, OutboxRow.id == DeliveryAttemptRow.outbox_id)
            .where(DeliveryAttemptRow.subscription_id == subscription_id)
            .order_by(DeliveryAttemptRow.attempted_at.desc(), DeliveryAttemptRow.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return [
            DeliveryView(
                id=attempt.id,
                time=attempt.attempted_at,
                status=attempt.status,
                response_code=attempt.response_code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
                message_id=row.message_id,
                kind=row.kind,
                event=row.event,
                incident_id=row.incident_id,
                incident_version=row.incident_version,
            )
            for attempt, row in pairs
        ]


def count_pending(db: Database, subscription_id: str) -> int:
    """Messages still waiting to be delivered to this subscription."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count(OutboxRow.id)).where(
                    OutboxRow.subscription_id == subscription_id, OutboxRow.status == "pending"
                )
            )
            or 0
        )
