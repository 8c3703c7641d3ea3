"""Webhook channel: Standard Webhooks signatures, httpx2, one attempt per call.

Status handling: 2xx is success; 410 Gone disables the subscription; a target that fails the address
check fails at once; everything else, including 3xx (redirects are not followed: point the subscription
at the final URL) and other 4xx, is retried with backoff up to ``max_attempts``. We retry 4xx on purpose,
unlike SMTP 5xx: a receiver answering 404 or 401 is usually misconfigured for a while (a redeploy, a
rotated credential), whereas a mail server's 5xx is its final word on that recipient. Silently dropping
the alert (or, worse, counting it as delivered) is what this project exists to avoid; the worker logs
every failed attempt, so a misconfigured receiver shows up in the daemon's log at once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time
from urllib.parse import urlsplit, urlunsplit

import httpx2

from alerts.delivery.base import Message, SendResult
from alerts.netpolicy import UnsafeTarget, check_target_async
from alerts.retry_after import parse_retry_after
from alerts.settings import DeliverySettings

USER_AGENT = "aidwatch-webhooks/0.1"


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret: the decoded bytes."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def pin_to_address(url: str, address: str) -> tuple[str, str, str]:
    """``url`` rewritten to connect to the checked ``address``: (pinned URL, Host header, TLS server name).

    The Host header and the TLS server name (SNI and certificate check) stay the original host's.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + literal + (f":{parts.port}" if parts.port else "")
    host_header = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc)), host_header, host


class WebhookChannel:
    """POSTs the rendered body to the subscription's URL, signed per Standard Webhooks."""

    def __init__(self, settings: DeliverySettings, client: httpx2.AsyncClient | None = None) -> None:
        self.settings = settings
        # No keep-alive: connections are pinned to an address per request, and a pooled connection
        # verified for one host name must not carry a request for another name on the same address.
        self._client = client or httpx2.AsyncClient(
            timeout=httpx2.Timeout(settings.timeout),
            follow_redirects=False,
            trust_env=False,
            limits=httpx2.Limits(max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def send(self, message: Message) -> SendResult:
        """One signed POST; the outcome per the status handling in this module's docstring."""
        try:
            # Checked again at every attempt: the name may resolve elsewhere than at subscription time.
            addresses = await check_target_async(message.target, self.settings.allow_private_networks)
        except UnsafeTarget as exc:
            return SendResult("failed", error=f"target refused: {exc}")
        url, extensions, host_header = message.target, {}, None
        if addresses:
            # Connect to the address just checked, not whatever the name resolves to a moment later.
            url, host_header, server_name = pin_to_address(message.target, addresses[0])
            extensions = {"sni_hostname": server_name}
        body = message.rendered.body
        timestamp = int(time.time())
        headers = {
            "content-type": message.rendered.content_type,
            "user-agent": USER_AGENT,
            "webhook-id": message.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(message.signing_secret, message.message_id, timestamp, body),
        }
        if host_header:
            headers["host"] = host_header
        try:
            # Streamed and never read: a receiver's response body is of no interest and may be huge.
            request = self._client.build_request("POST", url, content=body, headers=headers, extensions=extensions)
            async with contextlib.aclosing(await self._client.send(request, stream=True)) as resp:
                code = resp.status_code
                retry_after = parse_retry_after(resp.headers.get("retry-after"))
        except httpx2.TimeoutException as exc:
            return SendResult("retry", error=f"timeout: {type(exc).__name__}")
        except httpx2.HTTPError as exc:
            return SendResult("retry", error=f"{type(exc).__name__}: {exc}")
        if 200 <= code < 300:
            return SendResult("delivered", response_code=code)
        if code == 410:
            return SendResult("gone", response_code=code, error="410 Gone: the receiver asked to stop")
        return SendResult("retry", response_code=code, error=f"HTTP {code}", retry_after=retry_after)
