"""The FastAPI application: routers, error shape, body-size limit, health, readiness and metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts import metrics
from alerts.api import (
    routes_admin,
    routes_feedback,
    routes_incident_feeds,
    routes_incidents,
    routes_links,
    routes_subscriptions,
    routes_websub,
)
from alerts.api.context import ApiContext
from alerts.api.errors import ApiError, error_response, install_error_handlers
from alerts.api.schemas_operations import DaemonStatus, Health, Readiness
from alerts.api.security import make_rate_limits
from alerts.settings import Settings
from alerts.store import utcnow
from alerts.store.engine import Database


class BodyLimit:
    """Answers 413 for bodies over ``max_bytes``: by Content-Length up front, or while streaming.

    ``path_limits`` maps path prefixes to their own limit (WebSub pushes carry whole feeds).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, path_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = path_limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        max_bytes = next((v for k, v in self.path_limits.items() if path.startswith(k)), self.max_bytes)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > max_bytes):
            if length.isdigit():
                answer = error_response(413, "body_too_large", f"the body must be at most {max_bytes} bytes")
            else:
                answer = error_response(400, "bad_request", "bad length")
            await answer(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    # An HTTPException subclass: FastAPI re-raises it from body parsing untouched.
                    raise ApiError(413, "body_too_large", f"the body must be at most {max_bytes} bytes")
            return message

        await self.app(scope, limited, send)


def create_app(
    settings: Settings,
    db: Database,
    readiness: Callable[[], dict[str, bool]] | None = None,
    clock: Callable[[], datetime] | None = None,
    status: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """The aidwatch HTTP API (contract: docs/api.md), to be served by uvicorn on the daemon's loop.

    ``readiness`` returns named checks (e.g. ``{"database": True, "scheduler": True}``); /readyz is 200
    only when all are true. Without it, /readyz checks the database alone. ``status`` adds what the
    daemon reports of itself to the /readyz body under ``daemon`` (its id, leases, share of the work).
    """
    app = FastAPI(
        title="aidwatch",
        version="0.1.0",
        description="Alerts about attacks on humanitarian sites and personnel.",
        docs_url="/docs",
        redoc_url=None,
    )
    clock = clock or utcnow
    app.state.context = ApiContext(
        settings=settings,
        db=db,
        limits=make_rate_limits(settings.api, db, clock),
        clock=clock,
        readiness=readiness,
    )
    install_error_handlers(app)
    app.include_router(routes_subscriptions.router)
    app.include_router(routes_links.router)
    app.include_router(routes_admin.router)
    # Before the incidents router: /incidents/{id}.cap is not /incidents/{id}.
    app.include_router(routes_incident_feeds.router)
    app.include_router(routes_incidents.router)
    app.include_router(routes_feedback.admin_router)
    app.include_router(routes_websub.router)

    @app.get("/healthz", response_model=Health, tags=["ops"], summary="Liveness")
    def healthz() -> Health:
        """200 while the process serves requests."""
        return Health(status="ok")

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["ops"],
        summary="Readiness",
        responses={503: {"model": Readiness, "description": "not ready: the failing checks are false"}},
    )
    def readyz() -> Response:
        """200 when every check (database reachable, scheduler running) passes, else 503 with the checks.

        The body also names the daemon, the feed leases and outbox claims it holds and its share of the
        cluster's polls and deliveries (docs/operations.md).
        """
        try:
            checks = readiness() if readiness is not None else {"database": db.ping()}
        except Exception:
            checks = {"readiness": False}
        ok = bool(checks) and all(checks.values())
        daemon: DaemonStatus | None = None
        if status is not None:
            try:
                daemon = DaemonStatus.model_validate(status())
            except Exception:  # what the daemon says of itself must never break the probe
                daemon = None
        body = Readiness(status="ready" if ok else "unavailable", checks=checks, daemon=daemon)
        return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=200 if ok else 503)

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "metrics"}},
    )
    def metrics_endpoint() -> Response:
        """Prometheus text exposition of the daemon's registry."""
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(
        BodyLimit,
        max_bytes=settings.api.max_body_bytes,
        path_limits={"/websub/": max(settings.api.max_body_bytes, settings.crawler.max_body_bytes)},
    )
    return app
