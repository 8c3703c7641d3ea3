"""A real SMTP server (aiosmtpd) on 127.0.0.1 that captures messages, for delivery tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class CapturedMail:
    """One message as the server received it."""

    envelope_from: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The parsed message (modern policy)."""
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class CapturingHandler:
    """Stores every message; ``rcpt_reply`` (e.g. "451 4.3.0 try later") refuses recipients instead."""

    messages: list[CapturedMail] = field(default_factory=list)
    rcpt_reply: str | None = None
    condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """Accept or refuse one recipient."""
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Capture the message."""
        with self.condition:
            self.messages.append(CapturedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.condition.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CapturedMail]:
        """Block until at least ``count`` messages arrived (or fail after ``timeout`` seconds)."""
        with self.condition:
            if not self.condition.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} message(s), got {len(self.messages)}")
            return list(self.messages)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    """A running capture server: ``host``, ``port`` and its ``handler``."""

    host: str
    port: int
    handler: CapturingHandler


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """Run an aiosmtpd server in its own thread for the duration of the block."""
    handler = CapturingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler)
    finally:
        controller.stop()
