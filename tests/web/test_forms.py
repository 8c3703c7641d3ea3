"""The web pages over ASGI: signed form tokens, Origin checks, the subscribe and manage forms, link pages
that change nothing on GET, pausing through the API, incident filters, private incidents and map tiles."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import lxml.html
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from alerts.links import link_secret, link_token
from alerts.store import Database
from alerts.store import subscriptions as store
from alerts.web import create_site
from alerts.web.forms import FORM_TOKEN_MAX_AGE, check_form_token, form_token
from tests.api.conftest import ADMIN, PUBLIC_HOOK, PUBLIC_URL, bearer, make_settings
from tests.support.alerting import add_subscription, make_incident, store_incident
from tests.support.databases import migrated_database

Client = Callable[..., Any]


@pytest.fixture
def db(tmp_path: Path) -> Any:
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
async def client(db: Database) -> AsyncIterator[Client]:
    """Returns an HTTP client for the app built with the given ``api``/``web`` settings."""
    clients: list[httpx2.AsyncClient] = []

    def make(**sections: dict[str, Any]) -> httpx2.AsyncClient:
        app = create_site(make_settings(**sections), db)
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL)
        clients.append(http)
        return http

    yield make
    for http in clients:
        await http.aclose()


def secret(db: Database) -> bytes:
    with db.session() as session:
        return link_secret(session)


def token_in(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the page has no signed form"
    return found.group(1)


def test_form_tokens_are_bound_to_action_and_subscription_and_expire() -> None:
    key = b"k" * 32
    token = form_token(key, "manage", "sub_a")
    assert check_form_token(key, token, "manage", "sub_a") is None
    assert check_form_token(key, token, "manage", "sub_b") == "invalid"
    assert check_form_token(key, token, "confirm", "sub_a") == "invalid"
    assert check_form_token(b"other" * 8, token, "manage", "sub_a") == "invalid"
    assert check_form_token(key, token[:-2] + "xx", "manage", "sub_a") == "invalid"

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - FORM_TOKEN_MAX_AGE - 60

    old = URLSafeTimedSerializer(key, salt="aidwatch.web.form", signer=Earlier).dumps(["manage", "sub_a"])
    assert check_form_token(key, old, "manage", "sub_a") == "expired"


@pytest.mark.parametrize(
    ("headers", "use_token", "status"),
    [
        pytest.param({}, True, 201, id="same-site-no-origin"),
        pytest.param({"Origin": PUBLIC_URL}, True, 201, id="our-origin"),
        pytest.param({"Origin": "https://evil.example"}, True, 403, id="other-origin"),
        pytest.param({"Origin": "null"}, True, 403, id="opaque-origin"),
        pytest.param({}, False, 403, id="no-form-token"),
    ],
)
async def test_subscribe_form_checks(
    client: Client, db: Database, headers: dict[str, str], use_token: bool, status: int
) -> None:
    http = client()
    body = {"channel": "email", "target": "desk@example.org", "mode": "instant"}
    if use_token:
        body["form_token"] = token_in((await http.get("/subscribe")).text)
    response = await http.post("/subscribe", data=body, headers=headers)
    assert response.status_code == status, response.text
    created = store.list_subscriptions(db)
    assert len(created) == (1 if status == 201 else 0)
    if status == 201:
        assert created[0].status == "pending_confirmation" and "Check your email" in response.text
        assert "/manage?token=" not in response.text  # only the address's owner gets it, in every alert


async def test_webhook_subscription_shows_its_secret_once_and_a_manage_link(client: Client, db: Database) -> None:
    http = client()
    form = {"channel": "webhook", "target": PUBLIC_HOOK, "format": "slack", "categories": ["health", "un"]}
    form["form_token"] = token_in((await http.get("/subscribe")).text)
    response = await http.post("/subscribe", data=form)
    assert response.status_code == 201
    (view,) = store.list_subscriptions(db)
    assert view.status == "active" and view.format == "slack"
    assert view.filters["categories"] == ["health", "un"]
    assert "whsec_" in response.text
    manage = re.search(r'href="(/subscriptions/[^"]+/manage\?token=[^"]+)"', response.text)
    assert manage and (await http.get(manage.group(1).replace("&amp;", "&"))).status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        pytest.param({"target": "not-an-address"}, "target", "not a valid email address", id="bad-email"),
        pytest.param({"countries": "SD, QQ"}, "countries", "'QQ' is not an ISO 3166-1", id="bad-country"),
        pytest.param({"min_score": "2"}, "min_score", "less than or equal to 1", id="score-range"),
        pytest.param({"mode": "digest", "digest_every": "1s"}, "digest_every", "", id="digest-too-often"),
        pytest.param({"mode": "digest", "digest_timezone": "Mars/Olympus"}, "digest_timezone", "IANA", id="zone"),
        pytest.param({"channel": "webhook", "target": "ftp://x"}, "target", "http:// or https://", id="bad-hook"),
    ],
)
async def test_subscribe_form_shows_the_api_models_errors_at_their_field(
    client: Client, db: Database, form: dict[str, str], field: str, message: str
) -> None:
    http = client()
    body = {"channel": "email", "target": "desk@example.org", **form}
    body["form_token"] = token_in((await http.get("/subscribe")).text)
    response = await http.post("/subscribe", data=body)
    assert response.status_code == 400
    error = re.search(rf'<span class="error" id="{field}-error">([^<]*)</span>', response.text)
    assert error and message in error.group(1).replace("&#39;", "'")
    control = lxml.html.fromstring(response.text).xpath(f"//*[@id='{field}']")[0]
    assert f"{field}-error" in control.get("aria-describedby", "").split()  # the one attribute a parser keeps
    assert store.list_subscriptions(db) == []
    assert 'value="desk@example.org"' in response.text or field == "target"  # what was typed is kept


async def test_a_get_of_either_link_changes_nothing(client: Client, db: Database) -> None:
    http = client()
    sub = add_subscription(db, channel="email", target="desk@example.org", status="pending_confirmation")
    key = secret(db)
    confirm = f"/api/v1/subscriptions/{sub.id}/confirm?token={link_token(key, 'confirm', sub.id)}"
    unsubscribe = f"/api/v1/subscriptions/{sub.id}/unsubscribe?token={link_token(key, 'unsubscribe', sub.id)}"
    for url in (confirm, unsubscribe):
        for accept in ("*/*", "text/html", "application/json"):
            response = await http.get(url, headers={"Accept": accept}, follow_redirects=True)
            assert response.status_code == 200
    assert store.get_subscription(db, sub.id).status == "pending_confirmation"  # type: ignore[union-attr]
    page = await http.get(confirm, headers={"Accept": "text/html"}, follow_redirects=True)
    assert "<form" in page.text and "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_confirm_button_confirms_and_a_stale_or_foreign_form_does_not(client: Client, db: Database) -> None:
    http = client()
    sub = add_subscription(db, channel="email", target="desk@example.org", status="pending_confirmation")
    other = add_subscription(db, channel="email", target="else@example.org", status="pending_confirmation")
    token = link_token(secret(db), "confirm", sub.id)
    page = await http.get(f"/subscriptions/{sub.id}/confirm", params={"token": token})
    form = {"token": token, "form_token": token_in(page.text)}
    foreign = {"token": token, "form_token": form_token(secret(db), "confirm", other.id)}
    assert (await http.post(f"/subscriptions/{sub.id}/confirm", data=foreign)).status_code == 403
    assert (await http.post(f"/subscriptions/{other.id}/confirm", data=form)).status_code == 403
    assert store.get_subscription(db, sub.id).status == "pending_confirmation"  # type: ignore[union-attr]
    done = await http.post(f"/subscriptions/{sub.id}/confirm", data=form)
    assert done.status_code == 200 and store.get_subscription(db, sub.id).status == "active"  # type: ignore[union-attr]


async def test_manage_page_unsubscribes_and_a_wrong_link_shows_nothing(client: Client, db: Database) -> None:
    http = client()
    sub = add_subscription(db, channel="email", target="desk@example.org")
    wrong = await http.get(
        f"/subscriptions/{sub.id}/manage", params={"token": link_token(secret(db), "confirm", sub.id)}
    )
    assert wrong.status_code == 403 and "desk@example.org" not in wrong.text
    token = link_token(secret(db), "manage", sub.id)
    page = await http.get(f"/subscriptions/{sub.id}/manage", params={"token": token})
    assert page.status_code == 200 and "desk@example.org" in page.text
    form = {"token": token, "form_token": token_in(page.text), "action": "unsubscribe"}
    done = await http.post(f"/subscriptions/{sub.id}/manage", data=form)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert store.get_subscription(db, sub.id).status == "unsubscribed"  # type: ignore[union-attr]
    resume = await http.post(f"/subscriptions/{sub.id}/manage", data={**form, "action": "resume"})
    assert resume.status_code == 409 and "cannot be re-activated" in resume.text


@pytest.mark.parametrize(
    ("start", "wanted", "status", "end"),
    [
        pytest.param("active", "paused", 200, "paused", id="pause"),
        pytest.param("paused", "active", 200, "active", id="resume"),
        pytest.param("pending_confirmation", "paused", 409, "pending_confirmation", id="pause-unconfirmed"),
        pytest.param("unsubscribed", "paused", 409, "unsubscribed", id="pause-unsubscribed"),
        pytest.param("pending_confirmation", "active", 409, "pending_confirmation", id="no-confirm-by-patch"),
        pytest.param("active", "unsubscribed", 400, "active", id="not-a-patchable-status"),
    ],
)
async def test_pause_and_resume_through_the_api(
    client: Client, db: Database, start: str, wanted: str, status: int, end: str
) -> None:
    http = client()
    sub = add_subscription(db, channel="email", target="desk@example.org", status=start)
    response = await http.patch(f"/api/v1/subscriptions/{sub.id}", json={"status": wanted}, headers=bearer(ADMIN))
    assert response.status_code == status, response.text
    assert store.get_subscription(db, sub.id).status == end  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "status", "shown"),
    [
        pytest.param("", 200, True, id="all"),
        pytest.param("?country=CD", 200, True, id="country"),
        pytest.param("?country=SD", 200, False, id="other-country"),
        pytest.param("?category=health&since=2026-11-01", 200, True, id="category-since"),
        pytest.param("?since=2026-12-01", 200, False, id="since-later"),
        pytest.param("?country=QQ", 400, False, id="unknown-country"),
        pytest.param("?category=bakery", 400, False, id="unknown-category"),
        pytest.param("?since=0001-01-01", 400, False, id="year-out-of-range"),
        pytest.param("?since=yesterday", 400, False, id="not-a-date"),
    ],
)
async def test_incident_filters(client: Client, db: Database, query: str, status: int, shown: bool) -> None:
    store_incident(db, make_incident(id=5, title="Clinic raided in Bunia"))
    response = await client().get("/" + query)
    assert response.status_code == status
    assert ("Clinic raided in Bunia" in response.text) is shown


async def test_private_incidents_are_not_shown(client: Client, db: Database) -> None:
    store_incident(db, make_incident(id=5, title="Clinic raided in Bunia"))
    http = client(api={"private_incidents": True})
    for path in ("/", "/incidents/5"):
        response = await http.get(path)
        assert response.status_code == 403 and "Clinic raided" not in response.text


async def test_tiles_are_drawn_and_allowed_when_configured(client: Client, db: Database) -> None:
    store_incident(db, make_incident(id=5))
    tiles = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = await client(web={"map_tile_url": tiles, "map_tile_attribution": "Tiles: Example"}).get("/")
    assert response.text.count('href="https://tiles.example.org/2/') == 16 and "Tiles: Example" in response.text
    assert "img-src 'self' data: https://tiles.example.org" in response.headers["content-security-policy"]
    plain = await client().get("/")
    assert 'href="/map/world.svg"' in plain.text and "tiles.example.org" not in plain.text


async def test_incident_pages_link_to_the_feedback_form_and_the_incident_feeds(client: Client, db: Database) -> None:
    store_incident(db, make_incident(id=5, title="Clinic raided in Bunia"))
    http = client()
    page = await http.get("/incidents/5")
    wrong = re.search(r'href="(/feedback/5\?token=[^"]+)"', page.text)
    assert wrong, "the incident page links to the signed wrong-alert form"
    form = await http.get(wrong.group(1).replace("&amp;", "&"))
    assert form.status_code == 200 and "Clinic raided in Bunia" in form.text
    assert (await http.get("/api/v1/incidents/5.cap")).status_code == 200
    listing = await http.get("/", params={"country": "CD", "since": "2026-11-01"})
    feeds = re.findall(r'href="(/api/v1/incidents\.(?:atom|geojson|csv)\?[^"]+)"', listing.text)
    assert len(feeds) == 4  # the <link rel="alternate"> and the three visible links, with the page's filters
    for url in feeds:
        answer = await http.get(url.replace("&amp;", "&"))
        assert answer.status_code == 200
        # GeoJSON lists located incidents only, and this one was stored without coordinates.
        assert "geojson" in url or "Clinic raided in Bunia" in answer.text
