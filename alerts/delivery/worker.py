"""The delivery worker: claims due outbox rows, renders, sends concurrently, logs every attempt.

Database calls are synchronous SQLAlchemy and run in threads (``asyncio.to_thread``) so the event loop
that also serves the API and the crawler never blocks on them. Each send runs in its own task under a
semaphore and a hard timeout, so one slow or failing target never delays the others. Claims are short
(``[cluster] lease``) and renewed every third of a lease while their send runs, so the alerts a dead
daemon had claimed go out from another daemon about one lease later, with the same webhook-id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from alerts import metrics
from alerts.delivery.base import Channel, Message, SendResult
from alerts.delivery.email import EmailChannel
from alerts.delivery.webhook import WebhookChannel
from alerts.feedback import feedback_urls_for
from alerts.links import incident_page_urls, link_secret, link_url, manage_url
from alerts.render import Rendered, render_alert, render_confirmation, render_digest
from alerts.settings import Settings
from alerts.store import utcnow
from alerts.store.engine import Database
from alerts.store.outage import OutageLog, is_outage
from alerts.store.outbox import ClaimedMessage, claim_due, finish_attempt, release_claims, renew_claims
from alerts.subscriptions import build_due_digests

log = logging.getLogger(__name__)
#: However long a target asks us to wait, we try again within a day (a bad header must not park a row).
RETRY_AFTER_MAX = 86400.0


class DeliveryWorker:
    """Delivers outbox rows until stopped; several workers (daemons) may share one PostgreSQL outbox."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        channels: Mapping[str, Channel] | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        shutdown_grace: float = 3.0,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        # How long a stop waits for sends in flight before cancelling them (the daemon allows ~4 s).
        self.shutdown_grace = shutdown_grace
        self.db = db
        self.channels: Mapping[str, Channel] = channels or {
            "webhook": WebhookChannel(settings.delivery),
            "email": EmailChannel(settings.smtp),
        }
        self.clock = clock or utcnow
        self.rng = rng or random.Random()
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        delivery = settings.delivery
        # Renewed every third of itself while a send runs, so it may be shorter than the slowest send.
        self.lease = timedelta(seconds=settings.cluster.lease)
        self._semaphore = asyncio.Semaphore(delivery.concurrency)
        self._secret: bytes | None = None
        self.outage = OutageLog("delivery", log)
        #: Outbox rows being sent now (their claims are renewed), and attempts finished since start.
        self.sending: set[int] = set()
        self.attempts_done = 0
        self._renewed_at = time.monotonic()

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after ``attempts`` failed attempts: exponential, jittered, honouring Retry-After."""
        delivery = self.settings.delivery
        delay = min(delivery.backoff_max, delivery.backoff_base * 2 ** max(0, attempts - 1))
        # "Equal jitter": at least half the delay, so retries spread out but never collapse to zero.
        delay = delay / 2 + self.rng.random() * delay / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, RETRY_AFTER_MAX))
        return delay

    async def run_once(self) -> int:
        """Bundle due digests, claim what is due now, deliver it all; returns rows attempted."""
        await asyncio.to_thread(self._build_digests)
        claimed = await self._claim(self.settings.delivery.concurrency)
        await asyncio.gather(*(self._deliver(item) for item in claimed))
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; on stop, let in-flight sends finish for up to ``shutdown_grace``
        seconds, cancel the rest and hand their rows back (sent again after a restart, same webhook-id)."""
        delivery = self.settings.delivery
        inflight: set[asyncio.Task[None]] = set()
        stopper = asyncio.ensure_future(stop.wait())
        # Wake at least every third of a lease, so claims of sends in flight are renewed in time.
        wait = min(delivery.poll_interval, self.lease.total_seconds() / 3)
        try:
            while not stop.is_set():
                try:
                    await self._renew_claims()
                    await asyncio.to_thread(self._build_digests)
                    free = delivery.concurrency - len(inflight)
                    for item in await self._claim(free):
                        task = asyncio.create_task(self._deliver(item))
                        inflight.add(task)
                        task.add_done_callback(inflight.discard)
                    self.outage.succeeded()
                except Exception as exc:  # the database may be briefly unreachable: keep the loop alive
                    if not is_outage(exc):
                        log.exception("delivery loop iteration failed")
                    elif self.outage.failed(exc):  # one line per outage, not a traceback per second
                        metrics.DATABASE_OUTAGES.labels("delivery").inc()
                # Wake on stop, on a finished send (a slot is free) or after the poll interval.
                await asyncio.wait([stopper, *inflight], timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            cancelled = False
            try:
                if inflight:
                    _done, pending = await asyncio.wait(inflight, timeout=self.shutdown_grace)
                    for task in pending:
                        task.cancel()
                    await asyncio.gather(*pending, return_exceptions=True)
            except asyncio.CancelledError:  # the daemon gave up waiting: still hand the rows back
                cancelled = True
                for task in inflight:
                    task.cancel()
            # Synchronous on purpose: it must run even while this task is being cancelled. Unfinished
            # rows are due again at once, with the same webhook-id.
            with contextlib.suppress(Exception):
                release_claims(self.db, self.worker_id)
            with contextlib.suppress(Exception):
                await self.aclose()
            if cancelled:
                raise asyncio.CancelledError

    async def aclose(self) -> None:
        """Close the channels' connection pools (``run`` does this when it stops)."""
        for channel in self.channels.values():
            close = getattr(channel, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    def _build_digests(self) -> int:
        with self.db.transaction() as tx:
            return build_due_digests(tx, self.clock())

    async def _renew_claims(self) -> None:
        """Extend the claims of the rows being sent, at most every third of a lease."""
        if time.monotonic() - self._renewed_at < self.lease.total_seconds() / 3:
            return
        if self.sending:
            sending = sorted(self.sending)
            # The clock is read in the thread: a claim dated from before a wait for a thread could lapse.
            await asyncio.to_thread(lambda: renew_claims(self.db, self.worker_id, sending, self.clock() + self.lease))
        self._renewed_at = time.monotonic()

    async def _claim(self, limit: int) -> list[ClaimedMessage]:
        if limit <= 0:
            return []
        # The clock is read in the thread, so a wait for a free thread cannot shorten the claim.
        return await asyncio.to_thread(lambda: claim_due(self.db, self.worker_id, self.clock(), limit, self.lease))

    def _link_secret(self) -> bytes:
        if self._secret is None:
            with self.db.transaction() as tx:
                self._secret = link_secret(tx)
        return self._secret

    def compose(self, item: ClaimedMessage) -> Message:
        """Render one claimed row into the message its channel sends (blocking: run in a thread)."""
        secret = self._link_secret()
        public = self.settings.api.public_url
        unsubscribe = link_url(public, secret, "unsubscribe", item.subscription_id)
        email = item.channel == "email"
        footer_link = unsubscribe if email else None
        manage = manage_url(public, secret, item.subscription_id) if email else None
        rendered: Rendered
        if item.kind == "confirmation":
            confirm = link_url(public, secret, "confirm", item.subscription_id)
            rendered = render_confirmation(confirm, unsubscribe, item.subscription_name)
        else:
            # Every incident in an alert or digest gets its own signed "wrong alert" link.
            feedback = feedback_urls_for(public, secret, item.subscription_id, item.payload)
            # Private incidents' pages answer 403 without the admin token: no link to them then.
            pages = {} if self.settings.api.private_incidents else incident_page_urls(public, feedback.keys())
            render = render_digest if item.kind == "digest" else render_alert
            rendered = render(item.payload, item.format, footer_link, feedback, manage, pages)
        return Message(
            message_id=item.message_id,
            subscription_id=item.subscription_id,
            target=item.target,
            kind=item.kind,
            rendered=rendered,
            signing_secret=item.signing_secret,
            unsubscribe_url=footer_link,
            previous_signing_secret=item.previous_signing_secret,
        )

    async def _send(self, item: ClaimedMessage) -> SendResult:
        channel = self.channels.get(item.channel)
        if channel is None:
            return SendResult("failed", error=f"no channel for {item.channel!r}")
        try:
            message = await asyncio.to_thread(self.compose, item)
        except Exception as exc:  # a payload that cannot be rendered will not render on retry either
            log.exception("cannot render outbox row %s", item.outbox_id)
            return SendResult("failed", error=f"render error: {type(exc).__name__}: {exc}")
        try:
            async with asyncio.timeout(self.settings.delivery.timeout * 2):
                return await channel.send(message)
        except TimeoutError:
            return SendResult("retry", error="timed out")
        except Exception as exc:  # a channel bug must cost one attempt, not the worker
            log.exception("channel %s raised", item.channel)
            return SendResult("retry", error=f"{type(exc).__name__}: {exc}")

    async def _deliver(self, item: ClaimedMessage) -> None:
        self.sending.add(item.outbox_id)
        try:
            await self._deliver_claimed(item)
        finally:
            self.sending.discard(item.outbox_id)
            self.attempts_done += 1

    async def _deliver_claimed(self, item: ClaimedMessage) -> None:
        async with self._semaphore:
            started = time.monotonic()
            result = await self._send(item)
            duration_ms = int((time.monotonic() - started) * 1000)
        now = self.clock()
        attempts = item.attempts + 1
        max_attempts = self.settings.delivery.max_attempts
        status, next_at, disable, error = result.outcome, None, None, result.error
        if status == "gone":
            status, disable = "failed", result.error or "410 Gone"
            error = f"permanent, subscription disabled: {result.error or '410 Gone'}"
        elif status == "failed":
            error = f"permanent, not retried: {result.error or 'refused'}"
        elif status == "retry":
            if attempts >= max_attempts:
                status = "failed"
                error = f"gave up after {attempts} attempts: {result.error or 'no answer'}"
            else:
                next_at = now + timedelta(seconds=self.backoff(attempts, result.retry_after))
        self._log_outcome(item, status, attempts, error, next_at, now)
        try:
            await asyncio.to_thread(
                finish_attempt,
                self.db,
                item,
                self.worker_id,
                now=now,
                status=status,
                response_code=result.response_code,
                error=error,
                duration_ms=duration_ms,
                next_attempt_at=next_at,
                disable_reason=disable,
            )
        except Exception as exc:  # unrecorded: the claim expires and the row is tried again (same webhook-id)
            if not is_outage(exc):
                log.exception("cannot record delivery of outbox row %s", item.outbox_id)
            elif self.outage.failed(exc):
                metrics.DATABASE_OUTAGES.labels("delivery").inc()
        metrics.DELIVERIES.labels(item.channel, status).inc()

    def _log_outcome(
        self,
        item: ClaimedMessage,
        status: str,
        attempts: int,
        error: str | None,
        next_at: datetime | None,
        now: datetime,
    ) -> None:
        """One line per failed attempt: a warning while it will be retried, an error when it is final.

        Without these the only trace of an unreachable mail server or receiver was the delivery log.
        One line, no traceback: the error text is all an operator needs, and it repeats per attempt.
        """
        if status == "delivered":
            return
        # Servers answer with multi-line texts; a log line must stay one line.
        reason = " ".join((error or "unknown error").split())
        where = f"subscription {item.subscription_id} channel {item.channel} message {item.message_id}"
        if status == "retry" and next_at is not None:
            wait = (next_at - now).total_seconds()
            log.warning(
                "delivery attempt %d/%d failed, %s, retry in %.0f s: %s",
                attempts,
                self.settings.delivery.max_attempts,
                where,
                wait,
                reason,
            )
        else:
            log.error("delivery failed for good after %d attempt(s), %s: %s", attempts, where, reason)
