"""Email channel: multipart text + HTML over SMTP (aiosmtplib), with RFC 8058 one-click unsubscribe.

Transient SMTP answers (4xx) and connection problems are retried; permanent ones (5xx) fail the message,
except authentication failures, which are our configuration's fault and are retried.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from alerts.delivery.base import Message, SendResult
from alerts.settings import SmtpSettings


def build_email(message: Message, sender: str) -> EmailMessage:
    """The MIME message: subject already one line (see ``alerts.render.subject_for``)."""
    mail = EmailMessage()
    mail["Subject"] = message.rendered.subject
    mail["From"] = sender
    mail["To"] = message.target
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
    error = f"SMTP {code}: {text}"[:500]
    if 500 <= code < 600:
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
            await aiosmtplib.send(
                build_email(message, smtp.sender),
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
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            if refused is None:
                return SendResult("retry", error="recipient refused")
            return _classify(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            return _classify(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult("retry", error=f"{type(exc).__name__}: {exc}"[:500])
        return SendResult("delivered", response_code=250)
