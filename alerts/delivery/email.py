"""Email channel: multipart text + HTML over SMTP (aiosmtplib), with RFC 8058 one-click unsubscribe.

A 5xx answer to the recipient or the message (RCPT, DATA) is permanent: the message fails at once,
without retries (mailbox unknown, recipient refused, message rejected), and so does a non-ASCII address
the server cannot take (no SMTPUTF8). Transient answers (4xx), connection problems and what concerns our
side rather than this message (the server refusing us at connect or EHLO, our sender address, our
credentials, STARTTLS) are retried, so alerts survive until the server or the operator recovers.
"""

from __future__ import annotations

import re
import ssl
import sys
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import formatdate
from typing import Any, ClassVar, Literal

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from alerts.delivery.base import Message, SendResult
from alerts.settings import SmtpSettings

#: SMTP codes that mean "authenticate first / your credentials are wrong" (RFC 4954): our configuration.
AUTH_CODES = frozenset({530, 534, 535, 538})
_BRACKETED = re.compile(r"<([^<>\s]*)>")


class UrlListHeader(BaseHeader):
    """An RFC 2369 list header (``List-Unsubscribe``): ``<url>`` items separated by commas.

    Mail clients read these URLs only in their plain ``<...>`` form, so the header is folded between
    items (after a comma) and never turned into RFC 2047 encoded-words, which is what the stdlib does
    to an unstructured header with a word longer than a line. URLs must be ASCII (percent-encoded).
    """

    max_count: ClassVar[Literal[1] | None] = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        """Accept ``<url>, <url>`` (a bare single URL is bracketed); refuse anything else."""
        text = value.strip()
        if text and "<" not in text:
            text = f"<{text}>"
        urls = _BRACKETED.findall(text)
        rest = _BRACKETED.sub("", text).replace(",", "").strip()
        if not urls or rest or not all(url and url.isascii() for url in urls):
            raise ValueError(f"not a list of <URL> items with ASCII URLs: {value!r}")
        decoded = ", ".join(f"<{url}>" for url in urls)
        kwds["decoded"] = decoded
        kwds["parse_tree"] = UnstructuredHeader.value_parser(decoded)

    def fold(self, *, policy: Policy) -> str:
        """``Name: <a>, <b>`` on one line when it fits the policy's line length, else one item per line."""
        limit = policy.max_line_length or sys.maxsize
        items = [f"<{url}>" for url in _BRACKETED.findall(str(self))]
        lines = [f"{self.name}: {items[0]}"]
        for item in items[1:]:
            if len(lines[-1]) + 2 + len(item) <= limit:
                lines[-1] += f", {item}"
            else:
                lines[-1] += ","
                lines.append(f" {item}")
        return policy.linesep.join(lines) + policy.linesep


def _header_factory() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("List-Unsubscribe", UrlListHeader)
    return registry


#: The policy our messages are built with: the stdlib SMTP policy (CRLF, RFC 2047 for non-ASCII text
#: such as the Subject) plus RFC 2369 folding for list headers. aiosmtplib flattens with its own copy of
#: the SMTP policy; the header objects made here keep their own folding through that.
MAIL_POLICY = SMTP.clone(header_factory=_header_factory())


def envelope_address(address: str) -> str:
    """The address to send to: an internationalised domain in its ASCII (IDNA) form when the local
    part is ASCII, so the message needs no SMTPUTF8 server; otherwise the address unchanged."""
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address
    return info.ascii_email or info.normalized


def build_email(message: Message, sender: str) -> EmailMessage:
    """The MIME message: subject already one line (see ``alerts.render.subject_for``)."""
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["Subject"] = message.rendered.subject
    mail["From"] = sender
    mail["To"] = envelope_address(message.target)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = f"<{message.message_id}@aidwatch>"
    mail["Auto-Submitted"] = "auto-generated"
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.rendered.text)
    mail.add_alternative(message.rendered.html, subtype="html")
    return mail


def _classify(code: int, text: str) -> SendResult:
    error = f"SMTP {code}: {' '.join(text.split())}"[:500]
    if 500 <= code < 600 and code not in AUTH_CODES:
        return SendResult("failed", response_code=code, error=error)
    return SendResult("retry", response_code=code, error=error)


class EmailChannel:
    """Sends through the configured SMTP server: STARTTLS, implicit TLS and auth per ``[smtp]``."""

    def __init__(self, settings: SmtpSettings, tls_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        # None: the system trust store. Tests (and private CAs) pass their own context.
        self.tls_context = tls_context

    async def send(self, message: Message) -> SendResult:
        """One SMTP transaction for one recipient."""
        smtp = self.settings
        try:
            mail = build_email(message, smtp.sender)
        except ValueError as exc:  # e.g. a non-ASCII unsubscribe URL: it will not build on a retry either
            return SendResult("failed", error=f"cannot build the message: {exc}"[:500])
        try:
            await aiosmtplib.send(
                mail,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username or None,
                password=smtp.password or None,
                use_tls=smtp.security == "tls",
                # False, not None: with security "none" aiosmtplib must not upgrade opportunistically.
                start_tls=smtp.security == "starttls",
                timeout=smtp.timeout,
                tls_context=self.tls_context,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            # Our credentials, not the recipient: retried so alerts survive until the operator fixes them.
            return SendResult("retry", response_code=exc.code, error=f"SMTP authentication failed: {exc.message}"[:500])
        except (aiosmtplib.SMTPConnectResponseError, aiosmtplib.SMTPHeloError, aiosmtplib.SMTPSenderRefused) as exc:
            # Refused before any recipient was named: the server's view of us (our address, our sender),
            # the same for every message. Retried, so nothing is lost while the operator fixes it.
            return SendResult(
                "retry", response_code=exc.code, error=f"SMTP {exc.code}: {' '.join(exc.message.split())}"[:500]
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            if refused is None:
                return SendResult("retry", error="recipient refused")
            return _classify(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            return _classify(exc.code, exc.message)
        except aiosmtplib.SMTPNotSupported as exc:
            # aiosmtplib raises this only for a non-ASCII address on a server without SMTPUTF8.
            return SendResult("failed", error=f"SMTP: {exc}"[:500])
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult("retry", error=f"{type(exc).__name__}: {exc}"[:500])
        return SendResult("delivered", response_code=250)
