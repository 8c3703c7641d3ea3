"""Email headers as a mail client receives them: the raw bytes at a real SMTP sink (aiosmtpd).

``List-Unsubscribe`` must reach the client as plain ``<https://...>`` (RFC 2369 / RFC 8058): clients do not
decode RFC 2047 encoded-words there, which is what the stdlib made of any URL longer than a line.
"""

from __future__ import annotations

import re
from dataclasses import replace
from email import policy
from email.message import EmailMessage

import pytest

from alerts.delivery.base import Message
from alerts.delivery.email import MAIL_POLICY, EmailChannel
from alerts.delivery.worker import DeliveryWorker
from alerts.links import link_secret, link_url
from alerts.render import Rendered, subject_for
from alerts.settings import Settings, SmtpSettings
from alerts.store import Database
from alerts.store.subscriptions import confirm_subscription, create_subscription
from alerts.subscriptions import queue_alerts
from tests.delivery.conftest import FakeClock
from tests.support.alerting import make_incident, new_signing_secret, store_incident
from tests.support.smtp_server import CapturedMail, smtp_server

LONG_HOST = "https://alerts.humanitarian-security-coordination-office.example.org"
CASES = [
    pytest.param("http://aidwatch.test", None, "desk@example.org", "desk@example.org", False, id="short-url-no-name"),
    pytest.param(
        LONG_HOST,
        "Sudan desk",
        "Relief.Desk@example.org",
        "Relief.Desk@example.org",
        False,
        id="url-longer-than-a-line",
    ),
    pytest.param(
        LONG_HOST + "/aidwatch/public/" + "gateway/" * 12,
        "Équipe Soudan — حماية المدنيين",
        "desk@example.org",
        "desk@example.org",
        False,
        id="url-over-200-chars-arabic-french-name",
    ),
    pytest.param(
        LONG_HOST + "/aidwatch",
        "Ñandú 🚑 " * 12,
        "aid@exämple.org",
        "aid@xn--exmple-cua.org",
        False,
        id="long-emoji-name-idn-domain-sent-as-ascii",
    ),
    pytest.param(
        LONG_HOST + "/aidwatch",
        "Équipe Soudan",
        "équipe@exämple.org",
        "équipe@exämple.org",
        True,
        id="smtputf8-session-non-ascii-recipient",
    ),
]
SENDER = "aidwatch — alertes sécurité <alerts@aidwatch.test>"
TITLE = "Attaque contre un hôpital de MSF à Bunia — الهجوم على مستشفى 🚑"


def _unfold(raw: bytes) -> bytes:
    return re.sub(rb"\r\n[ \t]", b" ", raw).strip()


def _check_list_headers(mail: CapturedMail, expected_url: str) -> None:
    raw = mail.raw_header("List-Unsubscribe")
    assert b"=?" not in raw, raw  # never an encoded-word
    assert _unfold(raw) == f"<{expected_url}>".encode(), raw
    if len("List-Unsubscribe: <>") + len(expected_url) <= 78:
        assert b"\r\n" not in raw  # folded only when it has to be
    assert all(len(line) <= 998 for line in mail.raw.split(b"\r\n"))  # RFC 5322 line limit
    assert mail.raw_header("List-Unsubscribe-Post") == b" List-Unsubscribe=One-Click"
    assert mail.message["List-Unsubscribe"] == f"<{expected_url}>"


def _check_subject(mail: CapturedMail, subject: str, utf8: bool) -> None:
    raw = mail.raw_header("Subject")
    if utf8:  # an SMTPUTF8 session carries UTF-8 headers as they are
        assert _unfold(raw).decode() == subject
    elif not subject.isascii():
        assert raw.isascii() and b"=?utf-8?" in raw, raw  # RFC 2047, decodable by every client
    assert mail.message["Subject"] == subject


@pytest.mark.parametrize(("public_url", "name", "address", "envelope", "smtputf8"), CASES)
async def test_raw_headers_of_confirmation_and_alert(
    db: Database, clock: FakeClock, public_url: str, name: str | None, address: str, envelope: str, smtputf8: bool
) -> None:
    with smtp_server(smtputf8=smtputf8) as server:
        settings = Settings.model_validate(
            {
                "api": {"public_url": public_url},
                "smtp": {"host": server.host, "port": server.port, "sender": SENDER},
                "delivery": {"timeout": 5},
            }
        )
        values = {
            "id": "sub_headers0123456789abcd",
            "channel": "email",
            "target": address,
            "name": name,
            "status": "pending_confirmation",
            "manage_token_hash": "x",
            "signing_secret": new_signing_secret(),
        }
        sub = create_subscription(db, values, clock())
        worker = DeliveryWorker(settings, db, clock=clock)
        assert await worker.run_once() == 1
        confirmation = server.handler.wait_for(1)[0]

        confirm_subscription(db, sub.id, clock())
        incident = make_incident(id=1, title=TITLE)
        store_incident(db, incident)
        with db.session() as session:
            assert queue_alerts(session, incident, "incident.created") == 1
            secret = link_secret(session)
        assert await worker.run_once() == 1
        alert = server.handler.wait_for(2)[1]

    unsubscribe = link_url(public_url, secret, "unsubscribe", sub.id)
    for mail in (confirmation, alert):
        _check_list_headers(mail, unsubscribe)
        assert re.fullmatch(rb" <msg_[\w-]+@aidwatch>", mail.raw_header("Message-ID"))
        assert mail.raw_header("Auto-Submitted") == b" auto-generated"
        if smtputf8:  # UTF-8 as it is (RFC 6532)
            assert _unfold(mail.raw_header("From")).decode() == SENDER
        else:  # the phrase RFC 2047-encoded, the address as it is
            assert mail.raw_header("From").isascii() and b"<alerts@aidwatch.test>" in mail.raw_header("From")
            assert mail.message["From"].addresses[0].display_name == "aidwatch — alertes sécurité"
    _check_subject(confirmation, "[aidwatch] Confirm your alert subscription", smtputf8)
    _check_subject(alert, subject_for(incident), smtputf8)
    body = confirmation.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert name is None or " ".join(name.split()) in body
    # An IDN domain goes out in its ASCII form, so only a non-ASCII local part needs SMTPUTF8.
    assert confirmation.recipients == alert.recipients == [envelope]


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        pytest.param(
            ["mailto:u@aidwatch.test", "https://aidwatch.test/u?t=1"],
            b"List-Unsubscribe: <mailto:u@aidwatch.test>, <https://aidwatch.test/u?t=1>\r\n",
            id="two-short-items-one-line",
        ),
        pytest.param(
            [
                "mailto:unsubscribe@aidwatch.test",
                LONG_HOST + "/api/v1/subscriptions/sub_1/unsubscribe?token=" + "t" * 43,
            ],
            b"List-Unsubscribe: <mailto:unsubscribe@aidwatch.test>,\r\n <"
            + (LONG_HOST + "/api/v1/subscriptions/sub_1/unsubscribe?token=" + "t" * 43).encode()
            + b">\r\n",
            id="long-second-item-folds-at-the-comma",
        ),
    ],
)
def test_list_header_folds_only_between_items(urls: list[str], expected: bytes) -> None:
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["List-Unsubscribe"] = ", ".join(f"<{url}>" for url in urls)
    # policy.SMTP is what aiosmtplib flattens with: the header keeps its own folding through it.
    assert mail.as_bytes(policy=policy.SMTP) == expected + b"\r\n"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://aidwatch.test/u?t=1\r\nBcc: victim@example.org", id="crlf-injection"),
        pytest.param("https://aidwätch.test/u", id="non-ascii-url"),
        pytest.param("https://aidwatch.test/u t", id="space-in-url"),
    ],
)
async def test_a_message_with_a_bad_unsubscribe_url_fails_without_sending(url: str) -> None:
    message = Message(
        message_id="msg_bad_url",
        subscription_id="sub_1",
        target="desk@example.org",
        kind="alert",
        rendered=Rendered(subject="s", text="t", html="<p>t</p>"),
        unsubscribe_url="https://aidwatch.test/u",
    )
    with smtp_server() as server:
        channel = EmailChannel(SmtpSettings(host=server.host, port=server.port, timeout=5))
        assert (await channel.send(message)).outcome == "delivered"  # the good URL goes out
        result = await channel.send(replace(message, unsubscribe_url=url))
        assert result.outcome == "failed" and "cannot build the message" in (result.error or ""), result
        assert len(server.handler.wait_for(1)) == 1
