"""Tokens, authorization and the per-address rate limit on subscription creation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import Request

from alerts.api.errors import ApiError

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


class RateLimiter:
    """Sliding one-hour window per client address, in memory (bounded number of addresses).

    Every creation attempt counts, valid or not, so a client cannot use the API to mail-bomb an address
    with confirmation requests.
    """

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 10000) -> None:
        self.per_hour = per_hour
        self.clock = clock
        self.max_clients = max_clients
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()  # sync endpoints run in a thread pool

    def hit(self, key: str) -> float | None:
        """Count one request; None when allowed, else seconds until the next one would be."""
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - 3600:
                hits.popleft()
            self._hits[key] = hits
            if len(self._hits) > self.max_clients:
                self._hits.popitem(last=False)
            if len(hits) >= self.per_hour:
                return max(1.0, hits[0] + 3600 - now)
            hits.append(now)
            return None


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one a proxy in ``api.trusted_proxies`` forwarded.

    The server rewrites ``request.client`` from X-Forwarded-For only for peers in that list (see
    ``crawler.api_server``); behind a proxy that is not listed, every client shares the proxy's bucket.
    """
    return request.client.host if request.client else "unknown"


def wants_html(request: Request) -> bool:
    """True for a browser (Accept mentions text/html); JSON otherwise."""
    return "text/html" in request.headers.get("accept", "")
