"""A real HTTP webhook receiver on 127.0.0.1, and an independent Standard Webhooks verifier.

The verifier is the specification's official Python package (``standardwebhooks``), not aidwatch's code,
so a bug in aidwatch's signing cannot hide behind the same bug in the check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """True when the official ``standardwebhooks`` verifier accepts the request (signature and timestamp)."""
    try:
        Webhook(secret).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return True


@dataclass
class ReceivedRequest:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Recorded requests, plus the answers to give: ``replies`` are used first, then ``default``."""

    url: str = ""
    requests: list[ReceivedRequest] = field(default_factory=list)
    replies: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, dict[str, str]] = (204, {})
    delay: dict[str, threading.Event] = field(default_factory=dict)  # path -> event to wait for
    arrivals: list[str] = field(default_factory=list)  # paths, recorded before any delay
    condition: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_arrivals(self, count: int, timeout: float = 10.0) -> list[str]:
        """Block until ``count`` requests have arrived (even if their answers are still held back)."""
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.arrivals) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} arrival(s), got {len(self.arrivals)}")
            return list(self.arrivals)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Block until ``count`` requests arrived (or fail after ``timeout`` seconds)."""
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.requests) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} request(s), got {len(self.requests)}")
            return list(self.requests)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            with receiver.condition:
                receiver.arrivals.append(self.path)
                receiver.condition.notify_all()
            gate = receiver.delay.get(self.path)
            if gate is not None:
                gate.wait(timeout=30)
            with receiver.condition:
                receiver.requests.append(
                    ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers = receiver.replies.pop(0) if receiver.replies else receiver.default
                receiver.condition.notify_all()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@contextmanager
def webhook_receiver(port: int = 0) -> Iterator[Receiver]:
    """Serve a receiver on 127.0.0.1 in a thread for the duration of the block.

    ``port`` 0 picks a free one; a fixed port lets a test start the receiver where a daemon already sends.
    """
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the serve loop's next poll: 50 ms instead of the default 0.5 s per receiver.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        for gate in receiver.delay.values():
            gate.set()
        server.shutdown()
        server.server_close()
