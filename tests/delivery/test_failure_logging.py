"""Failed deliveries are visible in the daemon's log, and permanent refusals are not retried.

Real servers only: a dead port (bound, closed, nobody listening), aiosmtpd answering what the test says,
and the HTTP webhook receiver. Every failed attempt logs one warning line; the final one an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from alerts.delivery.worker import DeliveryWorker
from alerts.settings import Settings
from alerts.store import Database
from alerts.store.tables import DeliveryAttemptRow, OutboxRow
from alerts.subscriptions import queue_alerts
from tests.delivery.conftest import FakeClock
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.smtp_server import free_port, smtp_server
from tests.support.webhook_receiver import Receiver

WORKER_LOG = "alerts.delivery.worker"


def _settings(smtp_port: int = 25, max_attempts: int = 3) -> Settings:
    return Settings.model_validate(
        {
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "timeout": 5},
            "delivery": {"allow_private_networks": True, "timeout": 5, "max_attempts": max_attempts},
        }
    )


def _queue(db: Database) -> None:
    incident = make_incident(id=1, title="Gunmen attack MSF clinic in Bunia")
    store_incident(db, incident)
    with db.session() as session:
        assert queue_alerts(session, incident, "incident.created") == 1


def _attempts(db: Database) -> list[DeliveryAttemptRow]:
    with db.session() as session:
        return list(session.scalars(select(DeliveryAttemptRow).order_by(DeliveryAttemptRow.id)))


def _outbox(db: Database) -> OutboxRow:
    with db.session() as session:
        (row,) = session.scalars(select(OutboxRow))
        return row


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(level, message) of every warning or worse the delivery logged, checked to be single lines."""
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    for record in records:
        assert record.name == WORKER_LOG, record.getMessage()
        assert record.exc_info is None and "\n" not in record.getMessage()  # one line, no traceback
    return [(r.levelname, r.getMessage()) for r in records]


async def test_dead_smtp_port_logs_each_attempt_once_then_an_error(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    sub = add_subscription(db, channel="email", target="desk@example.org")
    _queue(db)
    worker = DeliveryWorker(_settings(smtp_port=free_port(), max_attempts=3), db, clock=clock)
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(7200)
    assert await worker.run_once() == 0  # given up: nothing left to try

    lines = _lines(caplog)
    assert [level for level, _ in lines] == ["WARNING", "WARNING", "ERROR"]
    for _, message in lines:
        assert sub.id in message and "channel email" in message
        assert "Connection refused" in message or "Errno 111" in message, message
    assert "attempt 1/3" in lines[0][1] and "attempt 2/3" in lines[1][1]
    assert "after 3 attempt(s)" in lines[2][1]
    assert [a.status for a in _attempts(db)] == ["retry", "retry", "failed"]
    assert (_attempts(db)[-1].error or "").startswith("gave up after 3 attempts:")


@dataclass(frozen=True)
class SmtpCase:
    """How the sink answers, and what the delivery must come to."""

    rcpt_reply: str | None = None
    data_reply: str | None = None
    mail_reply: str | None = None
    target: str = "desk@example.org"
    outcome: str = "failed"  # the delivery log status after the first attempt
    code: int | None = None
    level: str = "ERROR"


SMTP_CASES = [
    pytest.param(SmtpCase(rcpt_reply="550 5.1.1 no such user", code=550), id="rcpt-550-no-such-user"),
    pytest.param(SmtpCase(rcpt_reply="553 5.1.3 mailbox name not allowed", code=553), id="rcpt-553-bad-mailbox"),
    pytest.param(SmtpCase(data_reply="554 5.6.0 message content rejected", code=554), id="data-554-rejected"),
    pytest.param(SmtpCase(target="équipe@example.org"), id="non-ascii-address-without-smtputf8"),
    pytest.param(
        SmtpCase(rcpt_reply="451 4.3.0 try again later", outcome="retry", code=451, level="WARNING"),
        id="rcpt-451-transient",
    ),
    pytest.param(
        SmtpCase(data_reply="452 4.3.1 insufficient storage", outcome="retry", code=452, level="WARNING"),
        id="data-452-transient",
    ),
    pytest.param(
        SmtpCase(rcpt_reply="530 5.7.0 authentication required", outcome="retry", code=530, level="WARNING"),
        id="530-auth-required-is-our-config-retried",
    ),
    pytest.param(
        SmtpCase(mail_reply="550 5.7.1 sender not allowed", outcome="retry", code=550, level="WARNING"),
        id="mail-from-550-our-sender-is-our-config-retried",
    ),
]


@pytest.mark.parametrize("case", SMTP_CASES)
async def test_smtp_answers_permanent_fail_at_once_transient_retry(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture, case: SmtpCase
) -> None:
    caplog.set_level(logging.WARNING)
    with smtp_server() as server:
        server.handler.rcpt_reply = case.rcpt_reply
        server.handler.data_reply = case.data_reply
        server.handler.mail_reply = case.mail_reply
        sub = add_subscription(db, channel="email", target=case.target)
        _queue(db)
        worker = DeliveryWorker(_settings(smtp_port=server.port, max_attempts=5), db, clock=clock)
        assert await worker.run_once() == 1
        clock.advance(7200)
        second = await worker.run_once()
        assert server.handler.messages == []

    (level, message), *later = _lines(caplog)
    assert level == case.level and sub.id in message and "channel email" in message
    attempts = _attempts(db)
    first = attempts[0]
    assert (first.status, first.response_code) == (case.outcome, case.code)
    if case.outcome == "failed":
        assert second == 0 and len(attempts) == 1 and later == []  # never retried
        assert _outbox(db).status == "failed"
        assert (first.error or "").startswith("permanent, not retried:"), first.error
        assert "permanently" not in message and "for good after 1 attempt(s)" in message
    else:
        assert second == 1 and len(attempts) == 2  # tried again after the backoff
        assert first.error and str(case.code) in first.error


WEBHOOK_CASES = [
    pytest.param(503, "retry", "WARNING", id="503-retried"),
    pytest.param(404, "retry", "WARNING", id="404-retried-receiver-misconfigured-for-a-while"),
    pytest.param(429, "retry", "WARNING", id="429-retried"),
    pytest.param(410, "failed", "ERROR", id="410-gone-disables"),
]


@pytest.mark.parametrize(("status", "outcome", "level"), WEBHOOK_CASES)
async def test_webhook_failures_are_logged_the_same_way(
    db: Database,
    clock: FakeClock,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    status: int,
    outcome: str,
    level: str,
) -> None:
    caplog.set_level(logging.WARNING)
    receiver.default = (status, {})
    sub = add_subscription(db, target=receiver.url + "/hook")
    _queue(db)
    assert await DeliveryWorker(_settings(max_attempts=5), db, clock=clock).run_once() == 1
    ((logged_level, message),) = _lines(caplog)
    assert logged_level == level and sub.id in message and "channel webhook" in message
    assert f"HTTP {status}" in message or f"{status} Gone" in message
    (attempt,) = _attempts(db)
    assert (attempt.status, attempt.response_code) == (outcome, status)


async def test_webhook_to_a_refused_address_fails_at_once_with_an_error(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    sub = add_subscription(db, target=f"http://127.0.0.1:{free_port()}/hook")
    _queue(db)
    settings = Settings.model_validate({"delivery": {"allow_private_networks": False, "timeout": 5}})
    assert await DeliveryWorker(settings, db, clock=clock).run_once() == 1
    ((level, message),) = _lines(caplog)
    assert level == "ERROR" and sub.id in message and "target refused" in message
