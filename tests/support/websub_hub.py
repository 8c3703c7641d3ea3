"""A real WebSub hub on 127.0.0.1 for tests, written from the W3C Recommendation, not from aidwatch.

It takes subscription requests (202), verifies intent against the subscriber's callback with a random
challenge, grants a lease (``granted_lease``, else what was asked), and on :meth:`WebSubHub.publish`
POSTs the body to every verified callback of the topic, signed with the subscriber's secret
(``sign_with``: "sha256", "sha1", "none", or "wrong" for a signature made with another secret).
Everything it does is recorded; waiting uses a condition with a deadline, never sleeps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import httpx2


@dataclass
class HubSubscription:
    """One verified subscription: the callback, its secret and the lease granted."""

    topic: str
    callback: str
    secret: str | None
    lease_seconds: int


@dataclass
class Verification:
    """One verification of intent the hub made: what the callback answered."""

    topic: str
    callback: str
    status: int
    echoed: bool


@dataclass
class WebSubHub:
    """The hub's state; the HTTP server runs in a thread between :meth:`start` and :meth:`stop`."""

    granted_lease: int | None = None
    sign_with: str = "sha256"
    subscriptions: dict[tuple[str, str], HubSubscription] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (callback, status)
    condition: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> WebSubHub:
        """Serve on a free port of 127.0.0.1."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hub"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering: the hub is down (connections are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, what: Callable[[WebSubHub], bool], timeout: float = 30.0) -> bool:
        """Block until ``what(hub)`` holds or ``timeout`` passes; returns whether it held."""
        with self.condition:
            return self.condition.wait_for(lambda: what(self), timeout=timeout)

    def verified(self, topic: str) -> list[HubSubscription]:
        """The live subscriptions of ``topic``."""
        with self.condition:
            return [sub for (t, _), sub in self.subscriptions.items() if t == topic]

    def publish(self, topic: str, body: bytes, content_type: str = "application/rss+xml") -> list[int]:
        """Deliver ``body`` to every subscriber of ``topic`` now; returns the callbacks' status codes."""
        statuses = []
        for sub in self.verified(topic):
            headers = {"Content-Type": content_type, "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"'}
            signature = _signature(self.sign_with, sub.secret, body)
            if signature:
                headers["X-Hub-Signature"] = signature
            status = httpx2.post(sub.callback, content=body, headers=headers, timeout=10).status_code
            with self.condition:
                self.deliveries.append((sub.callback, status))
                self.condition.notify_all()
            statuses.append(status)
        return statuses

    def _subscribe(self, form: dict[str, str]) -> None:
        # Verification of intent runs after the 202 has gone out (section 5.1.2).
        topic, callback = form["hub.topic"], form["hub.callback"]
        lease = self.granted_lease or int(form.get("hub.lease_seconds") or 864000)
        challenge = secrets.token_urlsafe(16)
        query = urlencode(
            {"hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": challenge, "hub.lease_seconds": lease}
        )
        separator = "&" if "?" in callback else "?"
        try:
            answer = httpx2.get(callback + separator + query, timeout=10)
            status, echoed = answer.status_code, answer.text == challenge
        except httpx2.HTTPError:
            status, echoed = 0, False
        with self.condition:
            self.verifications.append(Verification(topic, callback, status, echoed))
            if 200 <= status < 300 and echoed:
                self.subscriptions[(topic, callback)] = HubSubscription(topic, callback, form.get("hub.secret"), lease)
            self.condition.notify_all()


def _signature(method: str, secret: str | None, body: bytes) -> str | None:
    if method == "none" or secret is None:
        return None
    if method == "wrong":
        return "sha256=" + hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


def _handler_for(hub: WebSubHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with hub.condition:
                hub.requests.append(form)
                hub.condition.notify_all()
            if form.get("hub.mode") != "subscribe" or not form.get("hub.topic") or not form.get("hub.callback"):
                self.send_response(400)
                self.end_headers()
                return
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            threading.Thread(target=hub._subscribe, args=(form,), daemon=True).start()

    return Handler


@contextmanager
def websub_hub(**options: object) -> Iterator[WebSubHub]:
    """A running hub for the block."""
    hub = WebSubHub(**options).start()  # type: ignore[arg-type]
    try:
        yield hub
    finally:
        hub.stop()
