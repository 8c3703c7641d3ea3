"""Confirmation requests counted per email address: the hourly limit on confirmation emails.

Subscription creation and the confirmation resend (:mod:`alerts.store.subscriptions`) reserve one here, in
their own transaction, before they queue the email.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from alerts.store.engine import is_postgresql
from alerts.store.tables import ConfirmationRequestRow

#: The window confirmation emails per address are counted over.
CONFIRMATION_WINDOW = timedelta(hours=1)
# First key of the two-key PostgreSQL advisory lock taken per address ("aw" + "cf"), so the lock cannot
# collide with any other advisory lock in a shared database.
_CONFIRMATION_LOCK_SPACE = 0x6177_6366
_PURGE_BATCH = 1000


class ConfirmationLimitReached(Exception):
    """Too many confirmation emails went to this address within the window; nothing was created."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"confirmation limit reached; retry in {retry_after:.0f} s")
        self.retry_after = retry_after


def reserve_confirmation(session: Session, recipient_key: str, now: datetime, per_window: int) -> None:
    """Count one confirmation email for ``recipient_key``, or raise ``ConfirmationLimitReached``.

    Exact under concurrency, across daemons sharing one PostgreSQL: there an advisory lock per address
    serialises the check; on SQLite the insert comes first, so the count runs under the write lock.
    The caller's transaction rolls back on the exception, taking the insert with it.
    """
    if is_postgresql(session):
        lock_id = int.from_bytes(bytes.fromhex(recipient_key[:8]), "big", signed=True)
        session.execute(
            text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:id AS integer))"),
            {"space": _CONFIRMATION_LOCK_SPACE, "id": lock_id},
        )
    start = now - CONFIRMATION_WINDOW
    # Expired rows of any address go in passing. SKIP LOCKED: two daemons purging at once must neither
    # wait for nor deadlock on each other's rows (a row left over is only counted out by the time filter).
    expired = (
        select(ConfirmationRequestRow.id)
        .where(ConfirmationRequestRow.requested_at <= start)
        .limit(_PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(delete(ConfirmationRequestRow).where(ConfirmationRequestRow.id.in_(expired)))
    session.add(ConfirmationRequestRow(recipient_key=recipient_key, requested_at=now))
    session.flush()
    earlier = session.scalars(
        select(ConfirmationRequestRow.requested_at)
        .where(ConfirmationRequestRow.recipient_key == recipient_key, ConfirmationRequestRow.requested_at > start)
        .order_by(ConfirmationRequestRow.requested_at.desc())
        .offset(1)  # our own row, stamped ``now``, is the newest
        .limit(per_window)
    ).all()
    if len(earlier) >= per_window:
        # Free again once the oldest of the last ``per_window`` requests leaves the window.
        raise ConfirmationLimitReached(max(1.0, (earlier[-1] + CONFIRMATION_WINDOW - now).total_seconds()))
