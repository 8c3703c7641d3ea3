"""The web pages served by the daemon at ``/``: incidents with a map, subscribe, confirm, manage, wrong-alert form.

Server-rendered Jinja2 over the API's own models and services, with no front-end build step
(docs/decisions/0015-web-pages-without-a-build-step.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from alerts.api import create_app
from alerts.settings import Settings
from alerts.store import Database
from alerts.web import views_feedback, views_incidents, views_subscriptions
from alerts.web.not_found import install_not_found_page


def create_site(
    settings: Settings,
    db: Database,
    readiness: Callable[[], dict[str, bool]] | None = None,
    clock: Callable[[], datetime] | None = None,
    status: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """The daemon's HTTP application: the API (``alerts.api.create_app``) with the web pages at ``/``."""
    app = create_app(settings, db, readiness, clock, status)
    install_web(app)
    return app


def install_web(app: FastAPI) -> None:
    """Add the pages and their static files (CSS, the map's script) to the API's application."""
    app.include_router(views_incidents.router)
    app.include_router(views_subscriptions.router)
    app.include_router(views_feedback.router)
    app.mount("/static", StaticFiles(packages=[("alerts.web", "static")]), name="static")
    install_not_found_page(app)
