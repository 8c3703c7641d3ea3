"""Tokens, authorization and the API's rate limits (counted in the database or in Redis)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import Request
from limits import RateLimitItemPerHour
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from alerts.api.errors import ApiError
from alerts.settings import ApiSettings
from alerts.store import rate_limits
from alerts.store.engine import Database

TOKEN_PREFIX = "awm_"


def new_manage_token() -> str:
    """A manage token (shown once to the subscriber; only its hash is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of the token: tokens carry 256 random bits, so a slow password hash adds nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_subscription_id() -> str:
    """A random, unguessable subscription id."""
    return "sub_" + secrets.token_hex(12)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})


def is_admin(token: str | None, admin_token: str) -> bool:
    """Constant-time check against the configured admin token (an empty one matches nothing)."""
    return bool(admin_token) and token is not None and hmac.compare_digest(token.encode(), admin_token.encode())


def require_admin(request: Request, admin_token: str) -> None:
    """Raise 401/403 unless the request carries the admin token."""
    if not admin_token:
        raise ApiError(403, "admin_disabled", "the admin API is disabled: set api.admin_token")
    token = bearer_token(request)
    if token is None:
        raise _unauthorized()
    if not is_admin(token, admin_token):
        raise ApiError(403, "forbidden", "invalid admin token")


def require_manage(request: Request, admin_token: str, token_hash: str) -> None:
    """Raise 401/403 unless the request carries this subscription's manage token or the admin token."""
    token = bearer_token(request)
    if token is None:
        raise _unauthorized()
    if is_admin(token, admin_token):
        return
    if not hmac.compare_digest(hash_token(token), token_hash):
        raise ApiError(403, "forbidden", "invalid token for this subscription")


#: The window every API rate limit counts over.
RATE_WINDOW = timedelta(hours=1)


class RateLimits(Protocol):
    """Where the API's rate limits are counted: shared by every daemon (database or Redis), never in memory."""

    def hit(self, bucket: str, key: str, limit: int) -> float | None:
        """Count one request of ``key`` against ``bucket``: None when allowed, else seconds until one would be."""
        ...


class DatabaseRateLimits:
    """Counts in the database (``alerts.store.rate_limits``): one limit for every daemon sharing it."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def hit(self, bucket: str, key: str, limit: int) -> float | None:
        """Count one request (sliding one-hour window); refused requests are not counted."""
        return rate_limits.hit(self.db, bucket, key, limit, RATE_WINDOW, self.clock())


class RedisRateLimits:
    """Counts in Redis with the ``limits`` library's moving window: one limit for every daemon using it."""

    def __init__(self, url: str, prefix: str = "aidwatch") -> None:
        self._limiter = MovingWindowRateLimiter(RedisStorage(url, key_prefix=prefix, wrap_exceptions=True))

    def hit(self, bucket: str, key: str, limit: int) -> float | None:
        """Count one request (moving one-hour window); refused requests are not counted."""
        item = RateLimitItemPerHour(limit)
        try:
            if self._limiter.hit(item, bucket, key):
                return None
            stats = self._limiter.get_window_stats(item, bucket, key)
        except StorageError as exc:
            raise ApiError(503, "unavailable", "the rate-limit store (Redis) cannot be reached; try again") from exc
        return max(1.0, stats.reset_time - time.time())


def make_rate_limits(settings: ApiSettings, db: Database, clock: Callable[[], datetime]) -> RateLimits:
    """The rate-limit store ``api.rate_limit_backend`` names."""
    if settings.rate_limit_backend == "redis":
        return RedisRateLimits(settings.redis_url)
    return DatabaseRateLimits(db, clock)


def enforce(limits: RateLimits, bucket: str, key: str, limit: int, what: str, field: str | None = None) -> None:
    """Count one request; over the limit, raise 429 ``rate_limited`` with Retry-After, naming ``what``."""
    wait = limits.hit(bucket, key, limit)
    if wait is not None:
        seconds = math.ceil(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"too many {what}; try again in {seconds} s",
            field,
            headers={"Retry-After": str(seconds)},
        )


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one a proxy in ``api.trusted_proxies`` forwarded.

    The server rewrites ``request.client`` from X-Forwarded-For only for peers in that list (see
    ``crawler.api_server``); behind a proxy that is not listed, every client shares the proxy's bucket.
    """
    return request.client.host if request.client else "unknown"


def wants_html(request: Request) -> bool:
    """True for a browser (Accept mentions text/html); JSON otherwise."""
    return "text/html" in request.headers.get("accept", "")
