"""Hostile input for the HTTP API: schemathesis fuzzes every operation of the OpenAPI document, no 5xx.

The target is a real ``aidwatch serve`` process started on the shipped ``config/aidwatch.toml``; the
environment overrides only what a deployment must set anyway (database, listen address, public URL,
admin token, an empty feed list and an hour-long tick so nothing is fetched from the internet) and raises
``subscriptions_per_hour`` so generated subscriptions get past the rate limit into the handlers. Every
request goes over HTTP through the daemon's own uvicorn server and carries the admin token (so the
admin endpoints are reached); when its path names a subscription, feed or incident it is sent a
second time with the id of a real one (random ids would only ever reach the 404 branch).
Schema-conforming (positive) and schema-violating (negative) inputs are generated with a fixed seed,
a bounded number per operation. The bar: no 5xx, no dropped connection, and no traceback in the
daemon's log. Oversized bodies are checked over a real socket: declared, streamed and lied about.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode
from schemathesis.core.result import Ok

from alerts.api import (
    create_app,
    routes_admin,
    routes_feedback,
    routes_incident_feeds,
    routes_incidents,
    routes_links,
    routes_subscriptions,
)
from alerts.store import Database, make_database
from alerts.web import views_feedback
from config import DEFAULT_CONFIG_FILE
from tests.api.conftest import ADMIN, PUBLIC_HOOK, make_settings, serving
from tests.support.alerting import make_incident, store_incident
from tests.support.daemon import ADMIN_TOKEN, Daemon, free_port, write_feeds
from tests.support.databases import migrated_database

# Examples per operation and generation mode: 26 operations x 2 modes x this, each sent once or twice.
# About 60 s of fuzzing per mode on 2 cores. Deeper: FUZZ_EXAMPLES=300 pytest --timeout=0 tests/test_api_fuzz.py
# (300: 11,404 requests, about 2.5 min).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
DAEMON_AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
AUTH = {"Authorization": f"Bearer {ADMIN}"}
SEED_FEED_URL = "http://127.0.0.1:9/feed.xml"  # the discard port: never polled anyway
# What uvicorn and our error handler write when a request fails with an exception.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "Exception in ASGI application", "unhandled error")


@dataclass
class Seeds:
    """Real objects whose ids replace the generated ones in a second call."""

    subscription_id: str
    feed_id: str
    incident_id: int


@dataclass
class Tally:
    """What the fuzzer sent and what went wrong."""

    sent: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    no_invalid_input: set[str] = field(default_factory=set)  # operations nothing can be made invalid in


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """``aidwatch serve`` on a copy of the shipped config, with only deployment settings overridden."""
    folder = tmp_path_factory.mktemp("fuzzed-daemon")
    config = folder / "aidwatch.toml"
    config.write_text(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    write_feeds(folder, [])
    port = free_port()
    (folder / "state").mkdir()
    env = {
        "AIDWATCH_STORAGE__URL": f"sqlite:///{folder / 'state' / 'aidwatch.db'}",
        "AIDWATCH_API__LISTEN": f"127.0.0.1:{port}",
        "AIDWATCH_API__PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AIDWATCH_API__ADMIN_TOKEN": ADMIN_TOKEN,
        "AIDWATCH_API__SUBSCRIPTIONS_PER_HOUR": "1000000",
        "AIDWATCH_CRAWLER__FEEDS": str(folder / "feeds.yaml"),
        # The one tick at start-up finds no feeds; the next (an hour on) would poll the feeds the fuzzer
        # adds, whose URLs are anywhere: tests reach nothing beyond 127.0.0.1.
        "AIDWATCH_CRAWLER__TICK": "1h",
        # Webhook targets are checked by resolving their host name; generated names would send DNS queries
        # off the machine. With the address policy off nothing is resolved, and nothing is delivered
        # either: without feeds there are no incidents. The policy has its own tests.
        "AIDWATCH_DELIVERY__ALLOW_PRIVATE_NETWORKS": "true",
    }
    process = Daemon(config, env=env)
    process.base_url = f"http://127.0.0.1:{port}"
    with process:
        yield process


def seed(daemon: Daemon) -> Seeds:
    """One webhook subscription and one feed made through the API; one incident written to its database."""
    incident = make_incident(id=7)
    db = make_database(daemon.db_url)
    try:
        store_incident(db, incident)
    finally:
        db.dispose()
    with daemon.client() as http:
        sub = http.post("/api/v1/subscriptions", json={"channel": "webhook", "target": PUBLIC_HOOK})
        feed = http.post("/api/v1/feeds", json={"id": "seeded", "url": SEED_FEED_URL})
    assert sub.status_code == 201, sub.text
    assert feed.status_code in (201, 409), feed.text  # 409: seeded by the other mode's run
    return Seeds(str(sub.json()["id"]), "seeded", incident.id)


def with_seeded_ids(path_parameters: dict[str, Any], seeds: Seeds) -> dict[str, Any] | None:
    """The path parameters with real ids in place of generated ones; None when the path names none."""
    real = {"subscription_id": seeds.subscription_id, "feed_id": seeds.feed_id, "incident_id": seeds.incident_id}
    if not any(name in real for name in path_parameters):
        return None
    return {name: real.get(name, value) for name, value in path_parameters.items()}


def describe(case: schemathesis.Case, status: int | str, body: str) -> str:
    """One line per failure: the request that got a 5xx, and what came back."""
    return f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r} -> {status}: {body[:300]}"


def send(case: schemathesis.Case, session: requests.Session, tally: Tally) -> None:
    """Call the daemon with the admin token; record a 5xx or a connection the server dropped."""
    tally.sent[case.operation.label] = tally.sent.get(case.operation.label, 0) + 1
    try:
        response = case.call(session=session, headers=DAEMON_AUTH, timeout=30)
    except requests.RequestException as exc:
        tally.failures.append(describe(case, "no answer", f"{type(exc).__name__}: {exc}"))
        return
    if response.status_code >= 500:
        tally.failures.append(describe(case, response.status_code, response.text))


def fuzz(operation: APIOperation, mode: GenerationMode, seeds: Seeds, session: requests.Session, tally: Tally) -> None:
    """Send ``EXAMPLES`` generated requests to one operation; 5xx answers go to the tally."""
    # Deleting the seeded objects would leave the later operations nothing but 404s.
    use_seeds = operation.method.upper() != "DELETE"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same inputs on every run: a failure here is reproducible
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report names the input
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        send(case, session, tally)
        seeded = with_seeded_ids(case.path_parameters or {}, seeds)
        if seeded is not None and use_seeds:
            case.path_parameters = seeded
            send(case, session, tally)

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation can be made invalid (e.g. GET /healthz takes no input).
        assert mode is GenerationMode.NEGATIVE, operation.label
        tally.no_invalid_input.add(operation.label)


def every_route(app: FastAPI) -> set[str]:
    """``METHOD /path`` of every route the app serves, as schemathesis labels operations.

    Read from the routers themselves (FastAPI keeps included routers behind private wrappers).
    """
    routers = [
        routes_subscriptions.router,
        routes_links.router,
        routes_admin.router,
        routes_incident_feeds.router,
        routes_incidents.router,
        views_feedback.router,
        routes_feedback.admin_router,
    ]
    routes = [route for router in routers for route in router.routes] + list(app.routes)
    return {
        f"{method} {route.path}"
        for route in routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
        if method != "HEAD"
    }


# 26 operations take 60-100 s per mode on a busy 2-core machine, near the suite-wide 120 s.
@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_operation_answers_5xx(daemon: Daemon, mode: GenerationMode, tmp_path: Path) -> None:
    seeds = seed(daemon)
    schema = schemathesis.openapi.from_url(daemon.base_url + "/openapi.json")
    operations: list[APIOperation] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document does not load: {result.err()}"
        operations.append(result.ok())
    with migrated_database("sqlite", tmp_path) as db:
        served = every_route(create_app(make_settings(), db))
    assert {op.label for op in operations} == served  # every endpoint is in the document, so fuzzed

    tally = Tally()
    log_before = daemon.log.read_text(errors="replace")
    started = time.monotonic()
    with requests.Session() as session:
        for operation in operations:
            fuzz(operation, mode, seeds, session, tally)
    elapsed = time.monotonic() - started
    print(f"\nfuzz {mode}: {sum(tally.sent.values())} requests to {len(tally.sent)} operations in {elapsed:.1f} s")

    assert set(tally.sent) | tally.no_invalid_input == served, served - set(tally.sent)
    assert not tally.failures, f"{len(tally.failures)} request(s) answered 5xx:\n" + "\n".join(tally.failures[:20])
    logged = daemon.log.read_text(errors="replace")[len(log_before) :]
    assert not [m for m in TRACEBACK_MARKERS if m in logged], logged[-3000:]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database."""
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
def app(db: Database) -> FastAPI:
    """The API with a generous rate limit, called in-process for the regression cases."""
    return create_app(make_settings(api={"subscriptions_per_hour": 100_000}), db)


def seed_in_process(app: FastAPI, db: Database) -> Seeds:
    """One webhook subscription, one feed and one incident, made through the in-process API."""
    incident = make_incident(id=7)
    store_incident(db, incident)
    transport = httpx2.ASGITransport(app=app)

    async def create() -> tuple[str, str]:
        async with httpx2.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as http:
            sub = await http.post("/api/v1/subscriptions", json={"channel": "webhook", "target": PUBLIC_HOOK})
            feed = await http.post("/api/v1/feeds", json={"id": "seeded", "url": SEED_FEED_URL})
        assert sub.status_code == 201, sub.text
        assert feed.status_code == 201, feed.text
        return str(sub.json()["id"]), "seeded"

    subscription_id, feed_id = asyncio.run(create())
    return Seeds(subscription_id, feed_id, incident.id)


async def test_inputs_the_fuzzer_found_are_4xx(app: FastAPI, db: Database) -> None:
    """Regressions: a 30-digit offset overflowed SQLite's integers; a non-ASCII link token broke the HMAC check."""
    seeds = await asyncio.to_thread(seed_in_process, app, db)
    sub = seeds.subscription_id
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t", headers=AUTH) as http:
        for path in ("/api/v1/subscriptions", f"/api/v1/subscriptions/{sub}/deliveries", "/api/v1/incidents"):
            response = await http.get(path, params={"offset": 10**30})
            assert response.status_code == 400, (path, response.text)
        for action in ("confirm", "unsubscribe"):
            response = await http.get(f"/api/v1/subscriptions/{sub}/{action}", params={"token": "\u00e9t\u00e9"})
            assert response.status_code == 403, (action, response.text)
            assert response.json()["error"]["code"] == "invalid_token"
        response = await http.post(
            f"/api/v1/subscriptions/{sub}/unsubscribe",
            params={"token": "caf\u00e9"},
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 403, response.text


# --- oversized bodies over a real socket ------------------------------------------------------------
LIMIT = 4096


@pytest.fixture
async def served(db: Database) -> AsyncIterator[tuple[str, int]]:
    """The app on a real socket (uvicorn on this loop, as the daemon runs it) with a 4 KiB body limit."""
    async with serving(db, max_body_bytes=LIMIT, subscriptions_per_hour=1000) as address:
        yield address


async def raw_exchange(host: str, port: int, head: bytes, chunks: list[bytes]) -> tuple[int, bytes]:
    """Send a request head and body chunks as they are; return the status and body of the answer.

    The server may answer and close before the body is all sent: a reset while sending is expected.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        for chunk in chunks:
            try:
                writer.write(chunk)
                await writer.drain()
            except (ConnectionResetError, BrokenPipeError):
                break
        raw = await asyncio.wait_for(reader.read(1 << 20), timeout=10)
        while b"\r\n\r\n" not in raw:
            more = await asyncio.wait_for(reader.read(1 << 20), timeout=10)
            if not more:
                break
            raw += more
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    _headers, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), body


async def test_oversized_bodies_are_refused_with_413_over_a_socket(served: tuple[str, int]) -> None:
    host, port = served
    url = f"http://{host}:{port}/api/v1/subscriptions"
    big = {"channel": "webhook", "target": PUBLIC_HOOK, "name": "x" * (LIMIT * 4)}
    async with httpx2.AsyncClient(timeout=10) as http:
        declared = await http.post(url, json=big)
        fits = await http.post(url, json={"channel": "webhook", "target": PUBLIC_HOOK, "name": "x" * 100})
        patched = await http.patch(
            f"http://{host}:{port}/api/v1/subscriptions/sub_x", json={"name": "y" * LIMIT * 2}, headers=AUTH
        )
    assert declared.status_code == 413, declared.text
    assert declared.json()["error"]["code"] == "body_too_large"
    assert patched.status_code == 413, patched.text
    assert fits.status_code == 201, fits.text  # the limit refuses only what is over it

    path = b"POST /api/v1/subscriptions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    # Chunked, no Content-Length: the limit holds while the body streams in.
    chunk = b" " * 1024
    chunked = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (LIMIT // 1024 * 4) + [b"0\r\n\r\n"]
    status, body = await raw_exchange(host, port, path + b"Transfer-Encoding: chunked\r\n\r\n", chunked)
    assert status == 413, body
    assert b"body_too_large" in body
    # A huge declared length is refused before any of the body is read (nothing is sent at all).
    status, body = await raw_exchange(host, port, path + b"Content-Length: 1000000000\r\n\r\n", [])
    assert status == 413, body
    assert b"body_too_large" in body
