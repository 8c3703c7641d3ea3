"""The FastAPI application: routers, error shape, body-size limit, health, readiness and metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts import metrics
from alerts.api import routes_admin, routes_incidents, routes_links, routes_subscriptions
from alerts.api.context import ApiContext
from alerts.api.errors import ApiError, install_error_handlers
from alerts.api.security import RateLimiter
from alerts.settings import Settings
from alerts.store.engine import Database


class BodyLimit:
    """Answers 413 for bodies over ``max_bytes``: by Content-Length up front, or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            code = 413 if length.isdigit() else 400
            body = {
                "error": {
                    "code": "body_too_large" if code == 413 else "bad_request",
                    "message": f"the body must be at most {self.max_bytes} bytes" if code == 413 else "bad length",
                    "field": None,
                }
            }
            await JSONResponse(body, status_code=code)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # An HTTPException subclass: FastAPI re-raises it from body parsing untouched.
                    raise ApiError(413, "body_too_large", f"the body must be at most {self.max_bytes} bytes")
            return message

        await self.app(scope, limited, send)


def create_app(
    settings: Settings,
    db: Database,
    readiness: Callable[[], dict[str, bool]] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The aidwatch HTTP API (contract: docs/api.md), to be served by uvicorn on the daemon's loop.

    ``readiness`` returns named checks (e.g. ``{"database": True, "scheduler": True}``); /readyz is 200
    only when all are true. Without it, /readyz checks the database alone.
    """
    app = FastAPI(
        title="aidwatch",
        version="0.1.0",
        description="Alerts about attacks on humanitarian sites and personnel.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = ApiContext(
        settings=settings,
        db=db,
        limiter=RateLimiter(settings.api.subscriptions_per_hour),
        clock=clock or (lambda: datetime.now(UTC)),
        readiness=readiness,
    )
    install_error_handlers(app)
    app.include_router(routes_subscriptions.router)
    app.include_router(routes_links.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_incidents.router)
    # Imported here: the web pages are built on this package (its models and services), not the reverse.
    from alerts.web import install_web

    install_web(app)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    def healthz() -> dict[str, str]:
        """200 while the process serves requests."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Readiness", responses={503: {"description": "not ready"}})
    def readyz() -> Response:
        """200 when every check (database reachable, scheduler running) passes, else 503 with the checks."""
        try:
            checks = readiness() if readiness is not None else {"database": db.ping()}
        except Exception:
            checks = {"readiness": False}
        ok = bool(checks) and all(checks.values())
        body: dict[str, Any] = {"status": "ready" if ok else "unavailable", "checks": checks}
        return Response(json.dumps(body), status_code=200 if ok else 503, media_type="application/json")

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response)
    def metrics_endpoint() -> Response:
        """Prometheus text exposition of the daemon's registry."""
        return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    return app
