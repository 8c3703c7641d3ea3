"""What every route needs: settings, database, clock and the rate limits (kept on ``app.state``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from alerts.api.security import RateLimits
from alerts.settings import Settings
from alerts.store.engine import Database


@dataclass
class ApiContext:
    """Shared state of one API instance."""

    settings: Settings
    db: Database
    limits: RateLimits
    clock: Callable[[], datetime]
    readiness: Callable[[], dict[str, bool]] | None = None


def get_context(request: Request) -> ApiContext:
    """FastAPI dependency: the API's context."""
    context = request.app.state.context
    assert isinstance(context, ApiContext)
    return context
