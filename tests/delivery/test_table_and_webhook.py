"""The operators' subscriptions table, and webhook signing and address pinning."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery.webhook import pin_to_address, sign
from alerts.store import Database
from alerts.store.outbox import ClaimedMessage, claim_due, finish_attempt
from alerts.subscriptions import format_subscriptions_table, queue_alerts
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.webhook_receiver import verify_standard_webhook


def test_table_lists_status_and_last_delivery(db: Database) -> None:
    assert format_subscriptions_table(db) == "no subscriptions"
    hook = add_subscription(db, target="https://hooks.example.org/aidwatch")
    add_subscription(db, channel="email", target="desk@example.org", status="pending_confirmation")
    incident = make_incident()
    store_incident(db, incident)
    with db.session() as session:
        queue_alerts(session, incident, "incident.created")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)  # rows are stamped with real time
    (claimed,) = claim_due(db, "w", when, 10, timedelta(seconds=60))
    assert isinstance(claimed, ClaimedMessage)
    finish_attempt(db, claimed, "w", now=when, status="delivered", response_code=200, error=None, duration_ms=12)
    lines = format_subscriptions_table(db).splitlines()
    assert lines[0].split() == ["ID", "CHANNEL", "TARGET", "MODE", "FORMAT", "STATUS", "LAST", "DELIVERY"]
    hook_line = next(line for line in lines if hook.id in line)
    assert "active" in hook_line and f"{when:%Y-%m-%d %H:%M:%S}Z delivered" in hook_line
    email_line = next(line for line in lines if "desk@example.org" in line)
    assert "pending_confirmation" in email_line and email_line.rstrip().endswith("-")
    # Email has no webhook format: the FORMAT column says so instead of the stored default "json".
    assert email_line.split()[:5] == [email_line.split()[0], "email", "desk@example.org", "instant", "-"]
    assert hook_line.split()[4] == "json"


def test_signature_matches_the_standard_webhooks_example() -> None:
    # The example from the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, timestamp = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
    body = b'{"test": 2432232314}'
    assert sign(secret, msg_id, timestamp, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_verifies_independently() -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = b'{"type":"incident.created"}'
    now = int(datetime.now(UTC).timestamp())
    header = sign(secret, "msg_1", now, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now), "webhook-signature": header}
    assert verify_standard_webhook(secret, headers, body)
    assert not verify_standard_webhook(secret, headers, body + b" ")
    assert not verify_standard_webhook(secret, {**headers, "webhook-id": "msg_2"}, body)
    expected = base64.b64encode(hmac.new(b"k" * 32, f"msg_1.{now}.".encode() + body, hashlib.sha256).digest())
    assert header == "v1," + expected.decode()


@pytest.mark.parametrize(
    ("url", "address", "expected"),
    [
        (
            "https://hooks.example.org/in?x=1",
            "93.184.216.34",
            ("https://93.184.216.34/in?x=1", "hooks.example.org", "hooks.example.org"),
        ),
        (
            "http://user:pw@hooks.example.org:8080/in",
            "93.184.216.34",
            ("http://user:pw@93.184.216.34:8080/in", "hooks.example.org:8080", "hooks.example.org"),
        ),
        (
            "https://hooks.example.org/in",
            "2606:2800:220:1::1",
            ("https://[2606:2800:220:1::1]/in", "hooks.example.org", "hooks.example.org"),
        ),
    ],
    ids=["https", "userinfo-and-port", "ipv6"],
)
def test_pin_to_checked_address(url: str, address: str, expected: tuple[str, str, str]) -> None:
    assert pin_to_address(url, address) == expected
