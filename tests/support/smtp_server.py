"""A real SMTP server (aiosmtpd) on 127.0.0.1 that captures messages, for delivery tests."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class CapturedMail:
    """One message as the server received it, with how the session was secured and who logged in."""

    envelope_from: str
    recipients: list[str]
    raw: bytes
    tls: bool = False
    login: str | None = None

    def raw_header(self, name: str) -> bytes:
        """The field ``name`` exactly as received: the bytes after "Name:", folding (CRLF + space) kept.

        Tests of header syntax read this rather than the parsed message, because a parser decodes
        RFC 2047 encoded-words that mail clients reading ``List-Unsubscribe`` do not.
        """
        head = self.raw.split(b"\r\n\r\n", 1)[0]
        lines = iter(head.split(b"\r\n"))
        for line in lines:
            field_name, colon, value = line.partition(b":")
            if colon and field_name.decode("ascii", "replace").lower() == name.lower():
                found = [value]
                for more in lines:
                    if more[:1] not in (b" ", b"\t"):
                        break
                    found.append(more)
                return b"\r\n".join(found)
        raise AssertionError(f"no {name} header in the message as received")

    @property
    def message(self) -> EmailMessage:
        """The parsed message (modern policy)."""
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class CapturingHandler:
    """Stores every message; ``rcpt_reply`` (e.g. "451 4.3.0 try later") refuses recipients instead,
    ``data_reply`` (e.g. "554 5.6.0 message rejected") refuses the message after its data arrived, and
    ``mail_reply`` refuses the sender (MAIL FROM)."""

    messages: list[CapturedMail] = field(default_factory=list)
    rcpt_reply: str | None = None
    mail_reply: str | None = None
    data_reply: str | None = None
    condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """Accept or refuse the sender."""
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        """Accept or refuse one recipient."""
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Capture the message."""
        if self.data_reply:
            return self.data_reply
        login = session.auth_data.login.decode() if getattr(session, "auth_data", None) else None
        # STARTTLS sessions record it in session.ssl; implicit TLS shows only on the transport.
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        mail = CapturedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls, login)
        with self.condition:
            self.messages.append(mail)
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
    """A running capture server: ``host``, ``port``, its ``handler`` and a client context trusting it."""

    host: str
    port: int
    handler: CapturingHandler
    client_tls: ssl.SSLContext | None = None


def self_signed_tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


def _authenticator(credentials: tuple[str, str]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == credentials
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


@contextmanager
def smtp_server(
    security: str = "none",
    credentials: tuple[str, str] | None = None,
    port: int | None = None,
    smtputf8: bool = False,
) -> Iterator[SmtpServer]:
    """Run an aiosmtpd server in its own thread for the duration of the block.

    ``security`` is "none", "starttls" (STARTTLS required before MAIL) or "tls" (implicit TLS);
    ``credentials`` makes AUTH mandatory with that login and password; ``port`` (default: a free one)
    lets a test start the server where a daemon already tries to send; ``smtputf8`` advertises SMTPUTF8
    (non-ASCII addresses and raw UTF-8 headers).
    """
    handler = CapturingHandler()
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    client_tls = None
    if security != "none":
        server_tls, client_tls = self_signed_tls()
        if security == "starttls":
            kwargs.update(tls_context=server_tls, require_starttls=True)
        else:
            kwargs.update(ssl_context=server_tls)
    if credentials is not None:
        # aiosmtpd only knows STARTTLS sessions as TLS; an implicit-TLS session is encrypted all along.
        kwargs.update(
            authenticator=_authenticator(credentials), auth_required=True, auth_require_tls=security == "starttls"
        )
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(), **kwargs)
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler, client_tls)
    finally:
        controller.stop()
