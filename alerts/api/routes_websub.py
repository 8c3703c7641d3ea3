"""The WebSub callback: hubs verify our subscription requests here and push feed updates here.

``GET /websub/{token}`` answers verification of intent (echo ``hub.challenge`` only for a subscription
we asked for) and denials; ``POST /websub/{token}`` takes a content distribution request whose
``X-Hub-Signature`` is valid and hands the body to the daemon's push sink, which runs it through the
same crawl path as a polled feed body. Nothing of a refused push is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from prometheus_client import Counter
from starlette.concurrency import run_in_threadpool

from alerts import metrics
from alerts.api.context import ApiContext, get_context
from alerts.limits import MAX_FEED_INTERVAL
from alerts.store import websub as store
from alerts.websub import SignatureRefused, callback_url, check_signature, sha1_allowed, valid_challenge

log = logging.getLogger(__name__)

#: Hands one verified push (feed id, body, Content-Type) to the crawler; False when it cannot take it now.
PushSink = Callable[[str, bytes, str | None], bool]

Ctx = Annotated[ApiContext, Depends(get_context)]
router = APIRouter(tags=["websub"], include_in_schema=False)
# A lease longer than this is cut to it: hubs must not grant perpetual leases (section 5.3.1), and the
# lease's end must stay a date we can store.
MAX_LEASE_SECONDS = MAX_FEED_INTERVAL
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
PUSHES = Counter(
    "aidwatch_websub_pushes",
    "WebSub content distribution requests by outcome",
    ["result"],
    registry=metrics.REGISTRY,
)


def install_push_sink(app: FastAPI, sink: PushSink) -> None:
    """Let the callback route hand verified pushes to ``sink`` (the daemon's push queue)."""
    app.state.websub_sink = sink


def _plain(status: int, text: str = "") -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8", headers=SAFE_HEADERS)


@router.get("/websub/{token}")
async def verify_intent(token: str, request: Request, ctx: Ctx) -> Response:
    """Verification of intent (echo the challenge) or a denial (section 5.2, 5.3)."""
    params = request.query_params
    mode, topic = params.get("hub.mode", ""), params.get("hub.topic", "")
    now = ctx.clock()
    if mode == "denied":
        retry_at = now + timedelta(seconds=ctx.settings.websub.retry_interval)
        reason = (params.get("hub.reason") or "no reason given")[:300]
        known = await run_in_threadpool(store.record_denial, ctx.db, token, topic, reason, now, retry_at)
        if known:
            log.warning("websub: the hub denied the subscription to %s: %s", topic[:200], reason)
        return _plain(200 if known else 404)
    challenge = params.get("hub.challenge")
    lease_text = params.get("hub.lease_seconds", "")
    lease_ok = lease_text.isascii() and lease_text.isdigit() and int(lease_text) >= 1
    if mode != "subscribe" or not valid_challenge(challenge) or not lease_ok:
        return _plain(404)
    lease = min(int(lease_text), MAX_LEASE_SECONDS)
    safety = ctx.settings.websub.safety_poll_interval
    if not await run_in_threadpool(store.confirm_intent, ctx.db, token, mode, topic, lease, now, safety):
        return _plain(404)
    log.info("websub: subscription to %s verified, lease %d s", topic[:200], lease)
    # A safe media type and nosniff: the echoed challenge must not be taken for a page (section 8.2).
    return Response(challenge, status_code=200, media_type="application/octet-stream", headers=SAFE_HEADERS)


@router.post("/websub/{token}")
async def receive_push(token: str, request: Request, ctx: Ctx) -> Response:
    """A content distribution request (section 7): 202 once verified and queued, 403 when badly signed."""
    subscription = await run_in_threadpool(store.subscription_by_token, ctx.db, token)
    if subscription is None:
        PUSHES.labels("unknown").inc()
        return _plain(410, "no such subscription")  # section 7: 410 tells the hub to drop it
    body = await request.body()
    allow_sha1 = sha1_allowed(callback_url(ctx.settings.api.public_url, token))
    try:
        check_signature(subscription.secret, body, request.headers.get("x-hub-signature"), allow_sha1=allow_sha1)
    except SignatureRefused as exc:
        PUSHES.labels("refused").inc()
        log.warning("websub: push for feed %s refused: %s", subscription.feed_id, exc)
        if exc.weak_algorithm:
            # Every push of this hub would be refused: poll the feed rather than wait for pushes.
            now = ctx.clock()
            retry_at = now + timedelta(seconds=ctx.settings.websub.retry_interval)
            await run_in_threadpool(
                store.subscription_failed, ctx.db, subscription.feed_id, now, f"push refused: {exc}", retry_at
            )
        return _plain(403, f"push refused: {exc}")
    sink: PushSink | None = getattr(request.app.state, "websub_sink", None)
    if sink is None or not sink(subscription.feed_id, body, request.headers.get("content-type")):
        PUSHES.labels("busy").inc()
        return _plain(503, "cannot take pushes now")  # the hub retries (section 7)
    PUSHES.labels("accepted").inc()
    await run_in_threadpool(store.record_push, ctx.db, subscription.feed_id, ctx.clock())
    return _plain(202)
