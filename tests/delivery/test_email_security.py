"""The email channel honours [smtp] security and auth against a real aiosmtpd server."""

from __future__ import annotations

from typing import Literal

import pytest

from alerts.delivery.base import Message
from alerts.delivery.email import EmailChannel
from alerts.render import render_alert
from alerts.settings import SmtpSettings
from tests.support.alerting import HOSTILE_TITLE, make_incident
from tests.support.smtp_server import smtp_server


def _message() -> Message:
    payload = {"type": "incident.created", "incident": make_incident().as_record()}
    return Message(
        message_id="msg_sec_1",
        subscription_id="sub_1",
        target="desk@example.org",
        kind="alert",
        rendered=render_alert(payload, "json", "http://aidwatch.test/u"),
        unsubscribe_url="http://aidwatch.test/u",
    )


# aiosmtpd warns about AUTH without STARTTLS; with implicit TLS the whole session is encrypted.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_tls_and_auth(security: Literal["starttls", "tls"]) -> None:
    with smtp_server(security, credentials=("aidwatch", "s3cret")) as server:
        settings = SmtpSettings(
            host=server.host, port=server.port, security=security, username="aidwatch", password="s3cret", timeout=5
        )
        result = await EmailChannel(settings, tls_context=server.client_tls).send(_message())
        assert result.outcome == "delivered", result
        (mail,) = server.handler.wait_for(1)
        assert mail.tls and mail.login == "aidwatch"
        assert mail.message["Message-ID"] == "<msg_sec_1@aidwatch>"


async def test_wrong_password_is_retried() -> None:
    with smtp_server("starttls", credentials=("aidwatch", "s3cret")) as server:
        settings = SmtpSettings(
            host=server.host, port=server.port, security="starttls", username="aidwatch", password="nope", timeout=5
        )
        result = await EmailChannel(settings, tls_context=server.client_tls).send(_message())
    # A configuration fault on our side: keep the alert until the operator fixes the password.
    assert result.outcome == "retry" and result.response_code == 535, result
    assert server.handler.messages == []


async def test_plain_client_against_a_starttls_only_server_is_refused() -> None:
    with smtp_server("starttls") as server:
        settings = SmtpSettings(host=server.host, port=server.port, security="none", timeout=5)
        result = await EmailChannel(settings).send(_message())
    assert result.outcome in ("failed", "retry") and result.error
    assert server.handler.messages == []


async def test_untrusted_certificate_is_not_accepted() -> None:
    with smtp_server("tls") as server:
        settings = SmtpSettings(host=server.host, port=server.port, security="tls", timeout=5)
        result = await EmailChannel(settings).send(_message())  # system trust store: self-signed is refused
    assert result.outcome == "retry" and result.error
    assert server.handler.messages == []


async def test_hostile_incident_cannot_inject_headers_or_markup() -> None:
    incident = make_incident(title=HOSTILE_TITLE, location_name="Bunia\r\nX-Injected: yes")
    payload = {"type": "incident.created", "incident": incident.as_record()}
    message = Message(
        message_id="msg_hostile",
        subscription_id="sub_1",
        target="desk@example.org",
        kind="alert",
        rendered=render_alert(payload, "json", "http://aidwatch.test/u"),
        unsubscribe_url="http://aidwatch.test/u",
    )
    with smtp_server() as server:
        settings = SmtpSettings(host=server.host, port=server.port, timeout=5)
        assert (await EmailChannel(settings).send(message)).outcome == "delivered"
        (mail,) = server.handler.wait_for(1)
    parsed = mail.message
    assert mail.recipients == ["desk@example.org"]  # no smuggled Bcc recipient
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert "Ñandú 🚑" in parsed["Subject"] and "\n" not in parsed["Subject"]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html
