"""From a delivered alert's "wrong alert" link to a stored answer, the admin's list and precision."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx2
import pytest
from sqlalchemy import func, select

from alerts.delivery.worker import DeliveryWorker
from alerts.feedback import feedback_url
from alerts.links import link_secret
from alerts.settings import Settings
from alerts.store import Database
from alerts.store.tables import FeedbackRow
from tests.api.conftest import ADMIN, PUBLIC_URL, bearer
from tests.feeds_out.stored import ingest_report
from tests.support.alerting import add_subscription
from tests.support.webhook_receiver import Receiver

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _secret(db: Database) -> bytes:
    with db.session() as session:
        return link_secret(session)


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(FeedbackRow.id))) or 0)


def _local(url: str) -> str:
    """The path and query of an absolute link (the test client talks to the app directly)."""
    assert url.startswith(PUBLIC_URL + "/feedback/"), url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _token_and_subscription(path: str) -> dict[str, str]:
    query = dict(pair.split("=", 1) for pair in urlsplit(path).query.split("&"))
    return {"token": query["token"], **({"s": query["s"]} if "s" in query else {})}


async def test_alert_link_to_stored_answer_admin_list_and_precision(
    db: Database, settings: Settings, client: httpx2.AsyncClient, receiver: Receiver
) -> None:
    first = add_subscription(db, target=receiver.url + "/first")
    second = add_subscription(db, target=receiver.url + "/second", format="text")
    outcome = ingest_report(db, NOW, "https://news1.example.org/bentiu", feed="wire")
    incident_id = outcome.incident_id
    assert outcome.alerts_queued == 2 and incident_id is not None
    # Outbox rows are stamped with the wall clock: the worker's clock runs a minute ahead so they are due.
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await DeliveryWorker(settings, db, clock=lambda: later).run_once() == 2
    requests = {r.path: r for r in receiver.wait_for(2)}
    record = json.loads(requests["/first"].body)
    assert set(record) == {"type", "incident", "feedback_url"}
    link = _local(record["feedback_url"])
    assert f"s={first.id}" in link and link.startswith(f"/feedback/{incident_id}?")
    text_link = next(line for line in requests["/second"].body.decode().splitlines() if "Wrong alert?" in line)
    assert f"/feedback/{incident_id}?s={second.id}&token=" in text_link

    page = await client.get(link)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for value in ("not_an_attack", "wrong_place", "wrong_casualties", "other"):
        assert f'value="{value}"' in page.text
    assert '<form method="post">' in page.text and "<script" not in page.text
    assert _count(db) == 0  # showing the form (or a mail scanner's prefetch) stores nothing

    fields = _token_and_subscription(link)
    # A browser posts the form back to the page's own address (the link, query included).
    sent = await client.post(link, data={**fields, "choice": "wrong_place"}, headers=FORM)
    assert sent.status_code == 200 and "Wrong place" in sent.text
    again = await client.post(
        f"/feedback/{incident_id}", data={**fields, "choice": "not_an_attack", "comment": "a road crash"}
    )
    assert again.status_code == 200
    assert _count(db) == 1  # the same subscription's second answer replaces its first

    assert (await client.get("/api/v1/feedback")).status_code == 401
    listed = (await client.get("/api/v1/feedback", headers=bearer(ADMIN))).json()
    assert listed["total"] == 1
    (answer,) = listed["feedback"]
    assert (answer["incident_id"], answer["subscription_id"], answer["choice"], answer["comment"]) == (
        incident_id,
        first.id,
        "not_an_attack",
        "a road crash",
    )
    assert answer["incident_version"] == 1
    filtered = await client.get(f"/api/v1/feedback?incident_id={incident_id + 1}", headers=bearer(ADMIN))
    assert filtered.json()["feedback"] == []

    report = (await client.get("/api/v1/feedback/precision", headers=bearer(ADMIN))).json()
    by_subscription = {row["id"]: row for row in report["subscriptions"]}
    assert by_subscription[first.id] == {
        "id": first.id,
        "alerts_sent": 1,
        "judged_wrong": 1,
        "wrong_by_choice": {"not_an_attack": 1},
        "precision": 0.0,
    }
    assert (by_subscription[second.id]["alerts_sent"], by_subscription[second.id]["precision"]) == (1, 1.0)
    assert report["feeds"] == [
        {"id": "wire", "alerts_sent": 2, "judged_wrong": 1, "wrong_by_choice": {"not_an_attack": 1}, "precision": 0.5}
    ]


async def test_precision_is_null_before_any_alert(db: Database, client: httpx2.AsyncClient) -> None:
    subscription = add_subscription(db)
    report = (await client.get("/api/v1/feedback/precision", headers=bearer(ADMIN))).json()
    assert report == {
        "subscriptions": [
            {"id": subscription.id, "alerts_sent": 0, "judged_wrong": 0, "wrong_by_choice": {}, "precision": None}
        ],
        "feeds": [],
    }


async def test_public_page_link_has_no_subscription_and_counts_in_no_precision(
    db: Database, client: httpx2.AsyncClient
) -> None:
    incident_id = ingest_report(db, NOW, "https://news1.example.org/a").incident_id
    assert incident_id is not None
    link = _local(feedback_url(PUBLIC_URL, _secret(db), incident_id))
    assert "s=" not in link and (await client.get(link)).status_code == 200
    fields = _token_and_subscription(link)
    for choice in ("other", "wrong_casualties"):
        response = await client.post(f"/feedback/{incident_id}", data={**fields, "choice": choice})
        assert response.status_code == 200
    assert _count(db) == 2  # page answers are not merged: there is no one to merge them by
    report = (await client.get("/api/v1/feedback/precision", headers=bearer(ADMIN))).json()
    assert report == {"subscriptions": [], "feeds": []}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda f, other: {**f, "incident": other}, id="other-incident"),
        pytest.param(lambda f, other: {**f, "s": "sub_someone_else"}, id="other-subscription"),
        pytest.param(lambda f, other: {k: v for k, v in f.items() if k != "s"}, id="subscription-dropped"),
        pytest.param(lambda f, other: {k: v for k, v in f.items() if k != "token"}, id="no-token"),
        pytest.param(lambda f, other: {**f, "token": f["token"][:-2] + "AA"}, id="forged-token"),
        pytest.param(lambda f, other: {**f, "token": "ñ" * 43}, id="non-ascii-token"),
        pytest.param(lambda f, other: {**f, "s": "<script>" + "x" * 60}, id="hostile-subscription"),
    ],
)
async def test_a_token_is_bound_to_its_incident_and_subscription(
    db: Database, client: httpx2.AsyncClient, tamper: object
) -> None:
    first = ingest_report(db, NOW, "https://news1.example.org/a").incident_id
    other = ingest_report(db, NOW, "https://news2.example.org/b", country="SD", location="Nyala").incident_id
    assert first is not None and other is not None and first != other
    subscription = add_subscription(db)
    fields = _token_and_subscription(_local(feedback_url(PUBLIC_URL, _secret(db), first, subscription.id)))
    changed = tamper({**fields, "incident": first}, other)  # type: ignore[operator]
    target = changed.pop("incident")
    shown = await client.get(f"/feedback/{target}", params=changed)
    assert shown.status_code == 403 and "not valid" in shown.text
    posted = await client.post(f"/feedback/{target}", data={**changed, "choice": "other"})
    assert posted.status_code == 403
    assert _count(db) == 0


async def test_unknown_incident(db: Database, client: httpx2.AsyncClient) -> None:
    link = _local(feedback_url(PUBLIC_URL, _secret(db), 404))
    assert (await client.get(link)).status_code == 404
    response = await client.post("/feedback/404", data={**_token_and_subscription(link), "choice": "other"})
    assert response.status_code == 404 and _count(db) == 0
