"""WebSub (W3C Recommendation) rules as plain functions: signatures, challenges, hub discovery in links.

The subscriber's side of the protocol without any I/O, shared by the callback route (alerts/api) and the
subscription manager (crawler/websub.py). Decisions and their reasons: docs/decisions/0019-websub.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The algorithm names the Recommendation registers for ``X-Hub-Signature`` (section 7.1.1).
ALGORITHMS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
# hub.challenge may only use these characters (section 5.3); the length bound is ours (section 8.2 asks
# subscribers to restrict what they echo).
_CHALLENGE = re.compile(r"[+\-./0-9=A-Z_a-z]{1,255}")
#: hub.secret must be under 200 bytes (section 5.1); 32 random bytes in URL-safe base64 are 43.
SECRET_BYTES = 32
TOKEN_BYTES = 24


class SignatureRefused(ValueError):
    """A push whose ``X-Hub-Signature`` is missing, malformed, wrong or made with a refused algorithm."""

    def __init__(self, reason: str, *, weak_algorithm: bool = False) -> None:
        super().__init__(reason)
        self.weak_algorithm = weak_algorithm


def new_secret() -> str:
    """A fresh ``hub.secret``: cryptographically random, unique per subscription request."""
    return secrets.token_urlsafe(SECRET_BYTES)


def new_token() -> str:
    """A fresh unguessable callback path segment (a capability URL, section 5.1)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def callback_url(public_url: str, token: str) -> str:
    """The callback the hub calls for the subscription named by ``token``."""
    return f"{public_url.rstrip('/')}/websub/{token}"


def sha1_allowed(callback: str) -> bool:
    """Whether HMAC-SHA1 signatures are taken for pushes to ``callback``.

    Section 8.3: SHA-1 is broken, so without HTTPS on the callback "a minimum of SHA-256 should be
    used". Over HTTPS the transport already protects the body, and many hubs still sign with SHA-1.
    """
    return callback.lower().startswith("https://")


def check_signature(secret: str, body: bytes, header: str | None, *, allow_sha1: bool) -> str:
    """The algorithm of a valid ``X-Hub-Signature`` for ``body``; raises :class:`SignatureRefused`.

    We always subscribe with a secret, so an unsigned push is refused as well (section 7.1: the hub
    MUST sign when a secret was given).
    """
    if not header:
        raise SignatureRefused("no X-Hub-Signature header")
    method, sep, signature = header.strip().partition("=")
    method = method.strip().lower()
    if not sep or not signature:
        raise SignatureRefused("X-Hub-Signature is not method=signature")
    digest = ALGORITHMS.get(method)
    if digest is None:
        raise SignatureRefused(f"unknown signature method {method[:20]!r}")
    if method == "sha1" and not allow_sha1:
        raise SignatureRefused("sha1 signatures are refused on a plain-http callback", weak_algorithm=True)
    expected = hmac.new(secret.encode("utf-8"), body, digest).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureRefused(f"{method} signature does not match the body")
    return method


def valid_challenge(challenge: str | None) -> bool:
    """True for a ``hub.challenge`` that is safe to echo (allowed characters, at most 255 of them)."""
    return bool(challenge) and _CHALLENGE.fullmatch(challenge or "") is not None


@dataclass(frozen=True, slots=True)
class Discovery:
    """What discovery found for a feed: its hub (None: the feed names none) and its topic (self) URL."""

    hub: str | None
    topic: str


def discover(
    url: str, header_links: Mapping[str, Mapping[str, str]], feed_links: Iterable[Mapping[str, Any]]
) -> Discovery:
    """Hub and self URLs, from the Link header first and else from the feed's own link elements (section 4).

    ``header_links`` is keyed by ``rel`` (as httpx parses a Link header); ``feed_links`` are feedparser's
    ``feed.links``. Without a self link the fetched ``url`` stands for the topic.
    """
    hub = (header_links.get("hub") or {}).get("url")
    topic = (header_links.get("self") or {}).get("url")
    if not hub:
        links = list(feed_links)
        hub = next((str(link["href"]) for link in links if link.get("rel") == "hub" and link.get("href")), None)
        topic = next((str(link["href"]) for link in links if link.get("rel") == "self" and link.get("href")), None)
    return Discovery(hub=hub.strip() if hub else None, topic=(topic or url).strip())
