"""One contract, run over every channel against a real server: aiosmtpd and an HTTP receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

import pytest

from alerts.delivery.base import Channel, Message
from alerts.delivery.email import EmailChannel
from alerts.delivery.webhook import WebhookChannel
from alerts.render import render_alert
from alerts.settings import DeliverySettings, SmtpSettings
from tests.support.alerting import HOSTILE_TITLE, make_incident, new_signing_secret
from tests.support.smtp_server import free_port, smtp_server
from tests.support.webhook_receiver import verify_standard_webhook, webhook_receiver


@dataclass
class Harness:
    """A channel wired to a real server, with knobs to make the server fail."""

    name: str
    channel: Channel
    target: str
    received: Callable[[int], list[str]]  # wait for n deliveries, return their texts
    fail_transiently: Callable[[], None]
    fail_permanently: Callable[[], None]
    secret: str = ""


def _message(harness: Harness, title: str = "Gunmen attack MSF clinic in Bunia") -> Message:
    payload = {"type": "incident.created", "incident": make_incident(title=title).as_record()}
    email = harness.name == "email"
    return Message(
        message_id="msg_contract_1",
        subscription_id="sub_1",
        target=harness.target,
        kind="alert",
        rendered=render_alert(payload, "json", "http://aidwatch.test/unsub" if email else None),
        signing_secret=harness.secret,
        unsubscribe_url="http://aidwatch.test/unsub" if email else None,
    )


@pytest.fixture(params=["webhook", "email"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    if request.param == "webhook":
        with webhook_receiver() as receiver:
            channel = WebhookChannel(DeliverySettings(allow_private_networks=True, timeout=5))
            secret = new_signing_secret()

            def received(n: int) -> list[str]:
                requests = receiver.wait_for(n)
                for req in requests:
                    assert verify_standard_webhook(secret, req.headers, req.body)
                return [req.body.decode() for req in requests]

            def transient() -> None:
                receiver.default = (503, {})

            def permanent() -> None:
                receiver.default = (410, {})

            yield Harness("webhook", channel, receiver.url + "/hook", received, transient, permanent, secret)
            await channel.aclose()
    else:
        with smtp_server() as server:
            smtp = SmtpSettings(host=server.host, port=server.port, sender="aidwatch <a@aidwatch.test>", timeout=5)
            handler = server.handler

            def received_mail(n: int) -> list[str]:
                return [m.message.get_body(("plain",)).get_content() for m in handler.wait_for(n)]  # type: ignore[union-attr]

            def transient_mail() -> None:
                handler.rcpt_reply = "451 4.3.0 try again later"

            def permanent_mail() -> None:
                handler.rcpt_reply = "550 5.1.1 no such user"

            yield Harness("email", EmailChannel(smtp), "aid@example.org", received_mail, transient_mail, permanent_mail)


async def test_delivers_once_with_the_facts(harness: Harness) -> None:
    result = await harness.channel.send(_message(harness))
    assert result.outcome == "delivered", result
    (text,) = harness.received(1)
    assert "Bunia" in text
    assert "CODECO" in text


async def test_hostile_text_arrives_intact_and_harmless(harness: Harness) -> None:
    result = await harness.channel.send(_message(harness, HOSTILE_TITLE))
    assert result.outcome == "delivered", result
    (text,) = harness.received(1)
    if harness.name == "webhook":
        assert json.loads(text)["incident"]["title"] == HOSTILE_TITLE
    else:
        assert "Ñandú 🚑" in text


async def test_transient_refusal_is_retried(harness: Harness) -> None:
    harness.fail_transiently()
    result = await harness.channel.send(_message(harness))
    assert result.outcome == "retry", result
    assert result.error


async def test_permanent_refusal_is_not_retried(harness: Harness) -> None:
    harness.fail_permanently()
    result = await harness.channel.send(_message(harness))
    assert result.outcome in ("failed", "gone"), result
    assert result.error


async def test_unreachable_server_is_retried(harness: Harness) -> None:
    dead = free_port()
    channel: Channel
    if harness.name == "webhook":
        channel = WebhookChannel(DeliverySettings(allow_private_networks=True, timeout=5))
        message = replace(_message(harness), target=f"http://127.0.0.1:{dead}/hook")
    else:
        channel = EmailChannel(SmtpSettings(host="127.0.0.1", port=dead, timeout=5))
        message = _message(harness)
    result = await channel.send(message)
    assert result.outcome == "retry", result
