"""Double opt-in and one-click unsubscribe end to end: API, outbox, worker, real SMTP (aiosmtpd)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi import FastAPI

from alerts.api import create_app
from alerts.delivery.worker import DeliveryWorker
from alerts.settings import Settings
from alerts.store import Database
from alerts.subscriptions import queue_alerts
from tests.api.conftest import PUBLIC_URL, bearer, make_settings
from tests.support.alerting import make_incident, store_incident
from tests.support.smtp_server import SmtpServer, smtp_server

Create = Callable[..., Any]


@pytest.fixture
def smtp() -> Any:
    with smtp_server() as server:
        yield server


@pytest.fixture
def settings(smtp: SmtpServer) -> Settings:
    return make_settings(smtp={"host": smtp.host, "port": smtp.port, "sender": "aidwatch <alerts@aidwatch.test>"})


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        yield http


def _queue(db: Database, incident_id: int) -> int:
    incident = make_incident(id=incident_id, title=f"Gunmen attack MSF clinic number {incident_id}")
    store_incident(db, incident)
    with db.session() as session:
        return queue_alerts(session, incident, "incident.created")


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL  # links are built from api.public_url
    return f"{parts.path}?{parts.query}"


async def test_double_opt_in_then_alert_then_one_click_unsubscribe(
    create: Create, client: httpx2.AsyncClient, db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    sub = await create(channel="email", target="Relief.Desk@Example.org", filters={"countries": ["CD"]})
    assert sub["status"] == "pending_confirmation"
    auth = bearer(sub["manage_token"])
    worker = DeliveryWorker(settings, db)

    # Nothing but the confirmation goes to an unconfirmed address.
    assert _queue(db, 1) == 0
    assert await worker.run_once() == 1
    (confirmation,) = smtp.handler.wait_for(1)
    mail = confirmation.message
    assert confirmation.recipients == ["Relief.Desk@example.org"]
    assert "Confirm" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm_url = re.search(r"(http\S+/confirm\?token=\S+)", text).group(1)  # type: ignore[union-attr]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A wrong token confirms nothing.
    forged = await client.get(f"/api/v1/subscriptions/{sub['id']}/confirm?token=forged")
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "invalid_token"
    assert (await client.get(f"/api/v1/subscriptions/{sub['id']}", headers=auth)).json()["status"] == (
        "pending_confirmation"
    )

    # A GET of the link (a mail scanner, a link preview, a browser) confirms nothing: browsers are sent on
    # to the page with the Confirm button, other clients are told to POST.
    page = await client.get(_path(confirm_url), headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 303 and page.headers["location"].startswith(f"/subscriptions/{sub['id']}/confirm?")
    looked = await client.get(_path(confirm_url))
    assert looked.status_code == 200 and looked.json()["status"] == "pending_confirmation"
    confirmed = await client.post(_path(confirm_url))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "active"
    again = await client.post(_path(confirm_url))
    assert again.status_code == 200 and again.json()["status"] == "active"  # idempotent

    # Now alerts flow, with the facts and the RFC 8058 headers.
    assert _queue(db, 2) == 1
    assert await worker.run_once() == 1
    alert_mail = smtp.handler.wait_for(2)[1]
    alert = alert_mail.message
    assert alert["Subject"] == (
        "[aidwatch] health care: Gunmen attack MSF clinic number 2 (Congo, The Democratic Republic of the)"
    )
    assert alert.get_body(("html",)) is not None
    assert "Bunia" in alert.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    unsubscribe_url = alert["List-Unsubscribe"].strip("<>")
    # As received: the plain <URL> a mail client's unsubscribe button reads (RFC 2369), no encoded-words.
    assert alert_mail.raw_header("List-Unsubscribe").strip() == f"<{unsubscribe_url}>".encode()
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A GET (a mail scanner's prefetch) changes nothing: browsers are sent on to the page with the button.
    button = await client.get(_path(unsubscribe_url), headers={"Accept": "text/html"})
    assert button.status_code == 303 and button.headers["location"].startswith(f"/subscriptions/{sub['id']}/")
    json_get = await client.get(_path(unsubscribe_url))
    assert json_get.json()["status"] == "active"

    # The one-click POST without its body is refused; with it, the subscriber is out.
    no_body = await client.post(_path(unsubscribe_url))
    assert no_body.status_code == 400
    done = await client.post(
        _path(unsubscribe_url),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and done.json()["status"] == "unsubscribed"
    assert (await client.get(f"/api/v1/subscriptions/{sub['id']}", headers=auth)).json()["status"] == "unsubscribed"
    assert _queue(db, 3) == 0
    assert await worker.run_once() == 0
    assert len(smtp.handler.messages) == 2

    # The delivery log shows both emails.
    log = (await client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=auth)).json()
    assert [(d["kind"], d["status"]) for d in log["deliveries"]] == [
        ("alert", "delivered"),
        ("confirmation", "delivered"),
    ]

    # Confirming after unsubscribing does not resubscribe.
    late = await client.post(_path(confirm_url))
    assert late.status_code == 409 and late.json()["status"] == "unsubscribed"


async def test_unsubscribing_before_confirming_cancels_the_confirmation(
    create: Create, client: httpx2.AsyncClient, db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    sub = await create(channel="email", target="someone@example.org")
    # The owner can find the unsubscribe link only in an email; the admin/API path is DELETE. Here the
    # link is built the same way the worker builds it.
    from alerts.links import link_secret, link_url

    with db.session() as session:
        url = link_url(PUBLIC_URL, link_secret(session), "unsubscribe", sub["id"])
    response = await client.post(
        _path(url), content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200
    assert await DeliveryWorker(settings, db).run_once() == 0
    assert smtp.handler.messages == []


async def test_links_with_a_token_for_another_subscription_fail(
    create: Create, client: httpx2.AsyncClient, db: Database
) -> None:
    first = await create(channel="email", target="a@example.org")
    second = await create(channel="email", target="b@example.org")
    from alerts.links import link_secret, link_url

    with db.session() as session:
        url = link_url(PUBLIC_URL, link_secret(session), "confirm", first["id"])
    stolen = _path(url).replace(first["id"], second["id"])
    json_answer = await client.get(stolen)
    assert json_answer.status_code == 403 and json_answer.json()["error"]["code"] == "invalid_token"
    unsub_with_confirm_token = _path(url).replace("/confirm", "/unsubscribe")
    assert (await client.get(unsub_with_confirm_token)).status_code == 403
    missing = await client.get(f"/api/v1/subscriptions/{first['id']}/confirm")
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "token"


async def test_links_for_an_unknown_subscription_are_404(client: httpx2.AsyncClient, db: Database) -> None:
    from alerts.links import link_secret, link_url

    with db.session() as session:
        secret = link_secret(session)
    confirm = _path(link_url(PUBLIC_URL, secret, "confirm", "sub_gone"))
    unsubscribe = _path(link_url(PUBLIC_URL, secret, "unsubscribe", "sub_gone"))
    assert (await client.get(confirm)).json()["error"]["code"] == "not_found"
    assert (await client.post(confirm)).status_code == 404
    assert (await client.get(unsubscribe)).status_code == 404
    one_click = {
        "content": b"List-Unsubscribe=One-Click",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    }
    assert (await client.post(unsubscribe, **one_click)).status_code == 404  # type: ignore[arg-type]


async def test_app_factory_signature(db: Database, settings: Settings) -> None:
    assert isinstance(create_app(settings, db, readiness=lambda: {"database": True}), FastAPI)


async def test_email_digest_is_one_message_after_confirmation(
    create: Create, client: httpx2.AsyncClient, db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    sub = await create(channel="email", target="digest@example.org", mode="digest", digest={"every": "1h"})
    worker = DeliveryWorker(settings, db)
    assert await worker.run_once() == 1  # the confirmation
    text = smtp.handler.wait_for(1)[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm_url = re.search(r"(http\S+/confirm\?token=\S+)", text).group(1)  # type: ignore[union-attr]
    assert (await client.post(_path(confirm_url))).json()["status"] == "active"
    assert _queue(db, 1) == 1 and _queue(db, 2) == 1
    assert await worker.run_once() == 0  # held until the period ends
    from datetime import UTC, datetime, timedelta

    later = DeliveryWorker(settings, db, clock=lambda: datetime.now(UTC) + timedelta(hours=1, minutes=1))
    assert await later.run_once() == 1
    digest = smtp.handler.wait_for(2)[1].message
    assert digest["Subject"].startswith("[aidwatch] digest: 2 incident(s)")
    body = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "clinic number 1" in body and "clinic number 2" in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sub["id"]
