"""Secrets: webhook signing-secret rotation with an overlap, manage-token rotation, confirmation resend.

Deliveries are checked by a real receiver with the official ``standardwebhooks`` verifier: during the
overlap a receiver holding either the old or the new secret accepts; after it, only the new one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from alerts.api import create_app
from alerts.delivery.worker import DeliveryWorker
from alerts.settings import Settings
from alerts.store import Database
from alerts.store.subscriptions import count_pending
from alerts.subscriptions import queue_alerts
from tests.api.conftest import PUBLIC_URL, bearer, make_settings
from tests.delivery.conftest import FakeClock
from tests.support.alerting import make_incident, store_incident
from tests.support.databases import migrated_database
from tests.support.webhook_receiver import Receiver, verify_standard_webhook, webhook_receiver

HOUR = timedelta(hours=1)
OVERLAP = 24 * HOUR


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> Settings:
    return make_settings(
        api={"confirmations_per_hour": 2, "subscriptions_per_hour": 50},
        delivery={"allow_private_networks": True},
    )


@pytest.fixture
async def api(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(settings, db, clock=clock)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        yield http


async def subscribe(api: httpx2.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post("/api/v1/subscriptions", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def deliver_one_alert(db: Database, settings: Settings, clock: FakeClock, receiver: Receiver, n: int) -> Any:
    """Queue an alert for every subscription and let a worker deliver it; the ``n``-th request received."""
    incident = make_incident(id=n, version=1, title=f"Clinic attacked ({n})")
    store_incident(db, incident)
    with db.transaction() as tx:
        queue_alerts(tx, incident, "incident.created")
    assert await DeliveryWorker(settings, db, clock=clock).run_once() == 1
    return receiver.wait_for(n)[n - 1]


OVERLAP_CASES = [
    pytest.param(HOUR, True, id="an-hour-into-the-overlap"),
    pytest.param(OVERLAP - timedelta(seconds=1), True, id="a-second-before-the-overlap-ends"),
    pytest.param(OVERLAP + timedelta(seconds=1), False, id="a-second-after-the-overlap"),
]


@pytest.mark.parametrize(("later", "old_accepted"), OVERLAP_CASES)
async def test_old_and_new_secret_verify_during_the_overlap_only_the_new_after(
    api: httpx2.AsyncClient,
    db: Database,
    settings: Settings,
    clock: FakeClock,
    receiver: Receiver,
    later: timedelta,
    old_accepted: bool,
) -> None:
    created = await subscribe(api, {"channel": "webhook", "target": receiver.url + "/hook"})
    old = created["signing_secret"]
    ids = f"/api/v1/subscriptions/{created['id']}"
    rotated = await api.post(f"{ids}/rotate-secret", headers=bearer(created["manage_token"]))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["signing_secret"]
    assert new != old and new.startswith("whsec_")
    assert datetime.fromisoformat(rotated.json()["previous_secret_valid_until"]) == clock.now + OVERLAP
    clock.now += later
    request = await deliver_one_alert(db, settings, clock, receiver, 1)
    assert verify_standard_webhook(new, request.headers, request.body)
    assert verify_standard_webhook(old, request.headers, request.body) is old_accepted
    assert len(request.headers["webhook-signature"].split(" ")) == (2 if old_accepted else 1)


async def test_a_second_rotation_retires_the_first_secret_at_once(
    api: httpx2.AsyncClient, db: Database, settings: Settings, clock: FakeClock, receiver: Receiver
) -> None:
    created = await subscribe(api, {"channel": "webhook", "target": receiver.url + "/hook"})
    owner = bearer(created["manage_token"])
    path = f"/api/v1/subscriptions/{created['id']}/rotate-secret"
    second = (await api.post(path, headers=owner)).json()["signing_secret"]
    third = (await api.post(path, headers=owner)).json()["signing_secret"]
    request = await deliver_one_alert(db, settings, clock, receiver, 1)
    accepted = {
        name: verify_standard_webhook(secret, request.headers, request.body)
        for name, secret in (("first", created["signing_secret"]), ("second", second), ("third", third))
    }
    assert accepted == {"first": False, "second": True, "third": True}


async def test_rotating_the_manage_token_stops_the_old_one_at_once(api: httpx2.AsyncClient) -> None:
    created = await subscribe(api, {"channel": "webhook", "target": "https://93.184.216.34/hook"})
    path = f"/api/v1/subscriptions/{created['id']}"
    old = bearer(created["manage_token"])
    rotated = await api.post(f"{path}/rotate-token", headers=old)
    assert rotated.status_code == 200, rotated.text
    new = bearer(rotated.json()["manage_token"])
    answers = {
        "old token reads": (await api.get(path, headers=old)).status_code,
        "old token rotates": (await api.post(f"{path}/rotate-token", headers=old)).status_code,
        "new token reads": (await api.get(path, headers=new)).status_code,
    }
    assert answers == {"old token reads": 403, "old token rotates": 403, "new token reads": 200}


async def test_rotations_of_one_subscription_are_limited(db: Database, clock: FakeClock) -> None:
    limited = make_settings(api={"subscription_actions_per_hour": 2})
    app = create_app(limited, db, clock=clock)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        created = await subscribe(http, {"channel": "webhook", "target": "https://93.184.216.34/hook"})
        owner = bearer(created["manage_token"])
        path = f"/api/v1/subscriptions/{created['id']}/rotate-secret"
        codes = [(await http.post(path, headers=owner)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = await http.post(path, headers=owner)
        assert refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["retry-after"]) > 0
        # Someone without the token cannot use up the subscription's budget: they are refused first.
        assert (await http.post(path)).status_code == 401


async def test_resend_answers_alike_and_queues_only_for_a_pending_address(
    api: httpx2.AsyncClient, db: Database
) -> None:
    pending = await subscribe(api, {"channel": "email", "target": "resend.desk@example.org"})
    active = await subscribe(api, {"channel": "webhook", "target": "https://93.184.216.34/hook"})
    answers = {
        name: await api.post(f"/api/v1/subscriptions/{sub_id}/resend-confirmation")
        for name, sub_id in (("pending", pending["id"]), ("active", active["id"]), ("unknown", "sub_nobody"))
    }
    assert {name: (a.status_code, a.json()) for name, a in answers.items()} == {
        name: (202, answers["unknown"].json()) for name in answers
    }
    # confirmations_per_hour is 2: creation and this resend used them up; the next resend queues nothing
    # and still answers the same.
    again = await api.post(f"/api/v1/subscriptions/{pending['id']}/resend-confirmation")
    assert (again.status_code, again.json()) == (202, answers["unknown"].json())
    # The confirmation queued at creation and one resend wait for delivery; nothing for the others.
    waiting = {name: count_pending(db, sub["id"]) for name, sub in (("pending", pending), ("active", active))}
    assert waiting == {"pending": 2, "active": 0}


async def test_resend_counts_against_the_client_address(db: Database, clock: FakeClock) -> None:
    app = create_app(make_settings(api={"subscriptions_per_hour": 2}), db, clock=clock)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=PUBLIC_URL) as http:
        codes = [(await http.post("/api/v1/subscriptions/sub_x/resend-confirmation")).status_code for _ in range(3)]
    assert codes == [202, 202, 429]
