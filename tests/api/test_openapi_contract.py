"""The OpenAPI document describes every answer the API gives, and every answer matches it.

Two walks over ``/openapi.json`` (every answer has a schema; no schema is an object of unknown
properties), then one scenario that calls every operation of the document, in the order a client would
(create, read, change, confirm, unsubscribe, delete), and checks each answer, success and error alike,
against the schema documented for its status code with schemathesis' response validation.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx2
import pytest
import schemathesis
from fastapi import FastAPI

from alerts.api import create_app
from alerts.delivery.worker import DeliveryWorker
from alerts.feedback import feedback_url
from alerts.ingest import Ingestor
from alerts.links import link_secret
from alerts.models import Article, Verdict
from alerts.settings import Settings
from alerts.store import Database
from alerts.web import create_site
from tests.api.conftest import ADMIN, PUBLIC_HOOK, PUBLIC_URL, bearer, make_settings
from tests.support.smtp_server import SmtpServer, smtp_server

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BODY_LIMIT = 4096
HTML = {"Accept": "text/html"}
ONE_CLICK = {"content": b"List-Unsubscribe=One-Click", "headers": {"content-type": "application/x-www-form-urlencoded"}}


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation object) for every operation of the document."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def is_unknown(schema: Any) -> str | None:
    """Why ``schema`` says nothing about what it holds, or None when it describes its content."""
    if schema == {}:
        return "an empty schema (anything)"
    if not isinstance(schema, dict) or schema.get("type") != "object" or "properties" in schema:
        return None
    extra = schema.get("additionalProperties", True)
    if extra is True or extra == {}:
        return "an object with unknown properties"
    return None


def schema_slots(node: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """Every place in the document that holds a schema, with its JSON pointer."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{key}"
            if key in ("schema", "items", "additionalProperties"):
                yield here, value
            elif (key == "schemas" and pointer == "#/components") or (key == "properties" and isinstance(value, dict)):
                yield from ((f"{here}/{name}", schema) for name, schema in value.items())
            elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
                yield from ((f"{here}/{i}", schema) for i, schema in enumerate(value))
            yield from schema_slots(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from schema_slots(value, f"{pointer}/{i}")


@pytest.fixture
def settings(smtp: SmtpServer) -> Settings:
    """A small body limit (to draw a 413) and a real mail server (for the confirmation links)."""
    return make_settings(
        api={"max_body_bytes": BODY_LIMIT},
        smtp={"host": smtp.host, "port": smtp.port, "sender": "aidwatch <alerts@aidwatch.test>"},
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    """The daemon's application: the API with the web pages, among them the documented feedback form."""
    return create_site(settings, db)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives."""
    with smtp_server() as server:
        yield server


@pytest.fixture
async def document(client: httpx2.AsyncClient) -> dict[str, Any]:
    """The served OpenAPI document."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_every_answer_is_documented_with_a_schema(document: dict[str, Any]) -> None:
    missing = []
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if not any(status.startswith("2") for status in responses):
            missing.append(f"{method} {path}: no success answer documented")
        for status, answer in responses.items():
            content = answer.get("content", {})
            if status == "204":
                if content:
                    missing.append(f"{method} {path} 204: documents a body it never has")
                continue
            if not content:
                missing.append(f"{method} {path} {status}: no content documented")
            missing += [
                f"{method} {path} {status} {media}: no schema" for media, c in content.items() if not c.get("schema")
            ]
    assert not missing, "\n".join(missing)
    assert "422" not in {s for _m, _p, op in operations(document) for s in op["responses"]}  # never answered


async def test_no_schema_is_an_object_of_unknown_properties(document: dict[str, Any]) -> None:
    vague = [f"{pointer}: {why}" for pointer, schema in schema_slots(document, "#") if (why := is_unknown(schema))]
    assert not vague, "\n".join(vague)


@pytest.mark.parametrize(
    ("schema", "vague"),
    [
        pytest.param({}, True, id="empty"),
        pytest.param({"type": "object"}, True, id="bare-object"),
        pytest.param({"type": "object", "additionalProperties": True}, True, id="open-object"),
        pytest.param({"type": "object", "properties": {"a": {"type": "integer"}}}, False, id="properties"),
        pytest.param({"type": "object", "additionalProperties": {"type": "boolean"}}, False, id="typed-map"),
        pytest.param({"$ref": "#/components/schemas/Incident"}, False, id="reference"),
        pytest.param({"type": "string"}, False, id="string"),
    ],
)
def test_the_vague_schema_check(schema: dict[str, Any], vague: bool) -> None:
    assert (is_unknown(schema) is not None) is vague


class Contract:
    """Calls the app and checks each answer against the document; remembers which operations succeeded."""

    def __init__(self, http: httpx2.AsyncClient, document: dict[str, Any]) -> None:
        self.http = http
        self.schema = schemathesis.openapi.from_dict(document)
        self.documented = {(m, p): op for m, p, op in operations(document)}
        self.succeeded: set[tuple[str, str]] = set()

    async def call(
        self, name: str, method: str, template: str, status: int, ids: dict[str, Any] | None = None, **kw: Any
    ) -> httpx2.Response:
        """``method`` on ``template`` filled with ``ids``; the answer must be ``status`` and match the document."""
        response = await self.http.request(method, template.format(**(ids or {})), **kw)
        assert response.status_code == status, f"{name}: {response.status_code} {response.text[:300]}"
        documented = self.documented[(method, template)]["responses"]
        assert str(status) in documented or f"{str(status)[0]}XX" in documented, f"{name}: {status} not documented"
        self.schema[template][method].validate_response(response)  # raises, naming the mismatch
        if response.is_success:
            self.succeeded.add((method, template))
        return response


def attack_report(feed_id: str) -> tuple[Article, Verdict]:
    """A report of an attack, written for this test, as the classifier would code it."""
    article = Article(
        feed_id=feed_id,
        url="https://news.example.org/contract/clinic-raid",
        entry_key="clinic-raid",
        title="Armed men raid a field clinic outside El Fasher",
        text="Armed men raided a field clinic outside El Fasher, killing three health workers, staff said.",
        published=datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
        language="en",
    )
    verdict = Verdict(
        is_attack=True,
        score=0.87654,
        categories=["health"],
        event_types=["armed_attack"],
        country="SD",
        location="El Fasher",
        lat=13.63,
        lon=25.35,
        killed=3,
        occurred_on=date(2026, 11, 19),
        evidence=["Armed men raided a field clinic outside El Fasher, killing three health workers."],
    )
    return article, verdict


def link_query(mail_text: str, action: str, subscription_id: str) -> dict[str, str]:
    """The query of the ``action`` link in an email, checked to point at this API and subscription."""
    found = re.search(rf"(http\S+/{action}\?token=\S+)", mail_text)
    assert found, mail_text
    url = urlsplit(found.group(1))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{PUBLIC_URL}/api/v1/subscriptions/{subscription_id}/{action}"
    return dict(parse_qsl(url.query))


@pytest.fixture
async def contract(app: FastAPI, document: dict[str, Any]) -> AsyncIterator[Contract]:
    """The checker over the app, with the API's public URL as base (links in emails point there)."""
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        yield Contract(http, document)


async def test_every_operation_answers_as_documented(
    contract: Contract, db: Database, settings: Settings, smtp: SmtpServer
) -> None:
    admin = {"headers": bearer(ADMIN)}
    call = contract.call
    await call("alive", "GET", "/healthz", 200)
    await call("ready", "GET", "/readyz", 200)
    await call("metrics", "GET", "/metrics", 200)

    # Feeds, and an incident reported on one of them (stored by ingest, as the crawler stores it).
    feed = {"id": "contract-feed", "url": "https://news.example.org/contract.xml", "interval": "15m"}
    await call("add a feed", "POST", "/api/v1/feeds", 201, json=feed, **admin)
    await call("add it twice", "POST", "/api/v1/feeds", 409, json=feed, **admin)
    await call("add a feed without the admin token", "POST", "/api/v1/feeds", 401, json=feed)
    await call("list feeds", "GET", "/api/v1/feeds", 200, **admin)
    await call("read a feed", "GET", "/api/v1/feeds/{feed_id}", 200, {"feed_id": "contract-feed"}, **admin)
    await call("read an unknown feed", "GET", "/api/v1/feeds/{feed_id}", 404, {"feed_id": "nowhere"}, **admin)
    report, verdict = attack_report("contract-feed")
    outcome = Ingestor(db, classifier=lambda *_: verdict).store(report, verdict)
    assert outcome.incident_event == "incident.created" and outcome.incident_id is not None
    incidents = await call("list incidents", "GET", "/api/v1/incidents", 200, params={"country": "SD"})
    assert [i["id"] for i in incidents.json()["incidents"]] == [outcome.incident_id]
    await call("list with a bad filter", "GET", "/api/v1/incidents", 400, params={"since": "yesterday"})
    one = await call(
        "read an incident", "GET", "/api/v1/incidents/{incident_id}", 200, {"incident_id": outcome.incident_id}
    )
    assert one.json()["articles"][0]["feed"] == "contract-feed"
    await call("read an unknown incident", "GET", "/api/v1/incidents/{incident_id}", 404, {"incident_id": 999})

    # The incident feeds: the GeoJSON feature carries the incident record the API answers.
    located = {"country": "SD"}
    await call("incidents as Atom", "GET", "/api/v1/incidents.atom", 200, params=located)
    collection = await call("incidents as GeoJSON", "GET", "/api/v1/incidents.geojson", 200, params=located)
    assert [f["properties"] for f in collection.json()["features"]] == [one.json()]
    await call("GeoJSON with a bad filter", "GET", "/api/v1/incidents.geojson", 400, params={"country": "Sudan"})
    await call("incidents as CSV", "GET", "/api/v1/incidents.csv", 200, params=located)
    await call("a feed with a bad filter", "GET", "/api/v1/incidents.csv", 400, params={"min_score": "2"})
    cap_path = "/api/v1/incidents/{incident_id}.cap"
    await call("an incident as CAP", "GET", cap_path, 200, {"incident_id": outcome.incident_id})
    await call("an unknown incident as CAP", "GET", cap_path, 404, {"incident_id": 999})

    # A webhook subscription: create, read, change, list (admin).
    hook = {"channel": "webhook", "target": PUBLIC_HOOK, "name": "desk", "filters": {"countries": ["SD"]}}
    created = (await call("subscribe a webhook", "POST", "/api/v1/subscriptions", 201, json=hook)).json()
    owner = {"headers": bearer(created["manage_token"])}
    ids = {"subscription_id": created["id"]}
    await call("refuse a bad channel", "POST", "/api/v1/subscriptions", 400, json={"channel": "fax", "target": "x"})
    too_big = {"channel": "webhook", "target": PUBLIC_HOOK, "name": "x" * BODY_LIMIT}
    await call("refuse a body over the limit", "POST", "/api/v1/subscriptions", 413, json=too_big)
    await call("read it", "GET", "/api/v1/subscriptions/{subscription_id}", 200, ids, **owner)
    await call("read it without a token", "GET", "/api/v1/subscriptions/{subscription_id}", 401, ids)
    digest = {"mode": "digest", "digest": {"every": "1d", "at": "08:00", "timezone": "Africa/Khartoum"}}
    await call("make it a digest", "PATCH", "/api/v1/subscriptions/{subscription_id}", 200, ids, json=digest, **owner)
    await call(
        "refuse a null mode", "PATCH", "/api/v1/subscriptions/{subscription_id}", 400, ids, json={"mode": None}, **owner
    )
    await call("its delivery log", "GET", "/api/v1/subscriptions/{subscription_id}/deliveries", 200, ids, **owner)
    rotate_secret = "/api/v1/subscriptions/{subscription_id}/rotate-secret"
    await call("rotate its signing secret", "POST", rotate_secret, 200, ids, **owner)
    await call("rotate the secret without a token", "POST", rotate_secret, 401, ids)
    rotated = await call(
        "rotate its manage token", "POST", "/api/v1/subscriptions/{subscription_id}/rotate-token", 200, ids, **owner
    )
    await call("read it with the old token", "GET", "/api/v1/subscriptions/{subscription_id}", 403, ids, **owner)
    owner = {"headers": bearer(rotated.json()["manage_token"])}
    await call("list subscriptions", "GET", "/api/v1/subscriptions", 200, **admin)
    await call("list them with a manage token", "GET", "/api/v1/subscriptions", 403, **owner)

    # The "wrong alert" link the webhook subscription's alerts about the incident carry: form, answer, admin views.
    with db.session() as session:
        link = urlsplit(feedback_url(PUBLIC_URL, link_secret(session), outcome.incident_id, created["id"]))
    form_path, on_incident = "/feedback/{incident_id}", {"incident_id": outcome.incident_id}
    assert link.path == form_path.format(**on_incident)
    signed = dict(parse_qsl(link.query))
    answer = {**signed, "choice": "wrong_place", "comment": "it was the next town"}
    await call("the feedback form", "GET", form_path, 200, on_incident, params=signed)
    await call("the feedback form, forged", "GET", form_path, 403, on_incident, params={**signed, "token": "x"})
    await call("the form with a bad id", "GET", form_path, 400, {"incident_id": "one"}, params={"token": "x"})
    await call("send no choice", "POST", form_path, 400, on_incident, data={**answer, "choice": ""})
    await call("send the feedback", "POST", form_path, 200, on_incident, data=answer)
    await call("feedback without the admin token", "GET", "/api/v1/feedback", 401)
    listed = await call("list feedback", "GET", "/api/v1/feedback", 200, **admin)
    assert [(f["subscription_id"], f["choice"]) for f in listed.json()["feedback"]] == [(created["id"], "wrong_place")]
    judged = await call("precision", "GET", "/api/v1/feedback/precision", 200, **admin)
    assert [row["id"] for row in judged.json()["subscriptions"]] == [created["id"]]

    # An email subscription: the confirmation goes out, its links confirm and unsubscribe.
    email = {"channel": "email", "target": "contract.desk@example.org"}
    pending = (await call("subscribe an email address", "POST", "/api/v1/subscriptions", 201, json=email)).json()
    mail_ids = {"subscription_id": pending["id"]}
    assert await DeliveryWorker(settings, db).run_once() == 1
    text = smtp.handler.wait_for(1)[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    confirm = link_query(text, "confirm", pending["id"])
    unsubscribe = link_query(text, "unsubscribe", pending["id"])
    log = await call(
        "the confirmation in the log",
        "GET",
        "/api/v1/subscriptions/{subscription_id}/deliveries",
        200,
        mail_ids,
        headers=bearer(pending["manage_token"]),
    )
    assert [d["kind"] for d in log.json()["deliveries"]] == ["confirmation"]
    resend = "/api/v1/subscriptions/{subscription_id}/resend-confirmation"
    await call("resend the confirmation", "POST", resend, 202, mail_ids)
    await call("resend for an unknown subscription", "POST", resend, 202, {"subscription_id": "sub_unknown"})
    await call(
        "rotate the secret of an email subscription",
        "POST",
        "/api/v1/subscriptions/{subscription_id}/rotate-secret",
        409,
        mail_ids,
        headers=bearer(pending["manage_token"]),
    )
    confirm_path = "/api/v1/subscriptions/{subscription_id}/confirm"
    forged = {"token": "forged"}
    await call("confirm link with a forged token", "GET", confirm_path, 403, mail_ids, params=forged)
    await call("confirm with a forged token", "POST", confirm_path, 403, mail_ids, params=forged)
    # A GET of the link changes nothing: browsers are sent on to the page with the Confirm button.
    await call("confirm link, browser", "GET", confirm_path, 303, mail_ids, params=confirm, headers=HTML)
    looked = await call("confirm link", "GET", confirm_path, 200, mail_ids, params=confirm)
    assert looked.json()["status"] == "pending_confirmation"
    await call("confirm", "POST", confirm_path, 200, mail_ids, params=confirm)
    unsubscribe_path = "/api/v1/subscriptions/{subscription_id}/unsubscribe"
    await call("unsubscribe page", "GET", unsubscribe_path, 200, mail_ids, params=unsubscribe)
    await call("unsubscribe without the body", "POST", unsubscribe_path, 400, mail_ids, params=unsubscribe)
    await call("unsubscribe", "POST", unsubscribe_path, 200, mail_ids, params=unsubscribe, **ONE_CLICK)
    await call("confirm after unsubscribing", "POST", confirm_path, 409, mail_ids, params=confirm)

    # Deletions.
    await call(
        "delete the webhook subscription", "DELETE", "/api/v1/subscriptions/{subscription_id}", 204, ids, **owner
    )
    await call("read it once deleted", "GET", "/api/v1/subscriptions/{subscription_id}", 404, ids, **admin)
    await call("delete the feed", "DELETE", "/api/v1/feeds/{feed_id}", 204, {"feed_id": "contract-feed"}, **admin)

    never = set(contract.documented) - contract.succeeded
    assert not never, f"operations never called with success here (add a call for each): {sorted(never)}"


async def test_the_not_ready_answer_is_documented(db: Database, document: dict[str, Any]) -> None:
    app = create_app(make_settings(), db, readiness=lambda: {"database": True, "scheduler": False})
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        answer = await Contract(http, document).call("not ready", "GET", "/readyz", 503)
    assert answer.json() == {"status": "unavailable", "checks": {"database": True, "scheduler": False}}
