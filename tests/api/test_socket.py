"""The API over a real socket: uvicorn.Server on the test's own event loop (as the daemon runs it)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx2
import pytest
import uvicorn

from alerts.api import create_app
from alerts.delivery.worker import DeliveryWorker
from alerts.settings import Settings
from alerts.store import Database
from alerts.subscriptions import queue_alerts
from tests.api.conftest import make_settings
from tests.support.alerting import make_incident, store_incident
from tests.support.webhook_receiver import verify_standard_webhook, webhook_receiver


@pytest.fixture
async def served(db: Database) -> AsyncIterator[tuple[str, Settings]]:
    """Serve the app on 127.0.0.1 on a pre-bound socket: connections queue until uvicorn accepts them."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    settings = make_settings(
        api={"public_url": f"http://127.0.0.1:{port}", "subscriptions_per_hour": 3},
        delivery={"allow_private_networks": True},
    )
    config = uvicorn.Config(create_app(settings, db), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}", settings
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


async def test_subscribe_receive_inspect_unsubscribe_over_a_socket(served: tuple[str, Settings], db: Database) -> None:
    base, settings = served
    with webhook_receiver() as receiver:
        async with httpx2.AsyncClient(base_url=base, timeout=10) as http:
            assert (await http.get("/healthz")).status_code == 200
            created = await http.post(
                "/api/v1/subscriptions",
                json={"channel": "webhook", "target": receiver.url + "/in", "filters": {"countries": ["CD"]}},
            )
            assert created.status_code == 201, created.text
            sub = created.json()
            incident = make_incident()
            store_incident(db, incident)
            with db.session() as session:
                assert queue_alerts(session, incident, "incident.created") == 1
            assert await DeliveryWorker(settings, db).run_once() == 1
            (request,) = await asyncio.to_thread(receiver.wait_for, 1)
            assert verify_standard_webhook(sub["signing_secret"], request.headers, request.body)
            auth = {"Authorization": f"Bearer {sub['manage_token']}"}
            log = (await http.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=auth)).json()
            assert [(d["status"], d["response_code"]) for d in log["deliveries"]] == [("delivered", 204)]
            assert log["deliveries"][0]["message_id"] == request.headers["webhook-id"]
            assert (await http.delete(f"/api/v1/subscriptions/{sub['id']}", headers=auth)).status_code == 204


async def test_rate_limit_uses_the_peer_address(served: tuple[str, Settings]) -> None:
    base, _settings = served
    body = {"channel": "webhook", "target": "https://93.184.216.34/h"}
    async with httpx2.AsyncClient(base_url=base, timeout=10) as http:
        codes = [(await http.post("/api/v1/subscriptions", json=body)).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
