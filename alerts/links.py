"""Signed confirm, unsubscribe and manage links, built from ``api.public_url``.

The signing key is a random secret stored in the ``meta`` table on first use, so links survive restarts
and work on every daemon that shares the database. A token is an HMAC over (action, subscription id):
it can only confirm, unsubscribe or manage the one subscription it was made for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from urllib.parse import quote

from alerts.store.engine import Transaction
from alerts.store.meta import get_or_create_value

LINK_SECRET_KEY = "link_signing_secret"
ACTIONS = ("confirm", "unsubscribe", "manage")


def link_secret(tx: Transaction) -> bytes:
    """The installation's link-signing key, created on first use (the same on every daemon)."""
    return get_or_create_value(tx, LINK_SECRET_KEY, lambda: secrets.token_urlsafe(32)).encode()


def signed_token(secret: bytes, message: str) -> str:
    """HMAC-SHA256 of ``message`` under the link secret, URL-safe base64 without padding (every emailed link)."""
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_token(secret: bytes, action: str, subscription_id: str) -> str:
    """The token for ``action`` on one subscription (URL-safe, unpadded)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown link action {action!r}")
    return signed_token(secret, f"{action}:{subscription_id}")


def check_link_token(secret: bytes, action: str, subscription_id: str, token: str) -> bool:
    """Constant-time check of a link token."""
    return hmac.compare_digest(link_token(secret, action, subscription_id), token)


def link_url(public_url: str, secret: bytes, action: str, subscription_id: str) -> str:
    """Absolute confirm/unsubscribe URL (the API's link endpoints) for a subscription."""
    token = link_token(secret, action, subscription_id)
    return f"{public_url.rstrip('/')}/api/v1/subscriptions/{quote(subscription_id)}/{action}?token={token}"


def manage_url(public_url: str, secret: bytes, subscription_id: str) -> str:
    """Absolute URL of a subscription's manage page (web pages, ``alerts.web``), as put in every email."""
    token = link_token(secret, "manage", subscription_id)
    return f"{public_url.rstrip('/')}/subscriptions/{quote(subscription_id)}/manage?token={token}"


def incident_page_url(public_url: str, incident_id: int) -> str:
    """Absolute URL of an incident's web page (``alerts.web``), as put in alerts when incidents are public."""
    return f"{public_url.rstrip('/')}/incidents/{int(incident_id)}"


def incident_page_urls(public_url: str, incident_ids: Iterable[int]) -> dict[int, str]:
    """The web page of each of ``incident_ids`` (the incidents of one alert or digest)."""
    return {int(i): incident_page_url(public_url, i) for i in incident_ids}
