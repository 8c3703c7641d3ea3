"""The one protocol every delivery channel implements, and what goes in and out of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from alerts.render import Rendered

#: ``delivered``: done. ``retry``: transient, try again later. ``failed``: permanent for this message.
#: ``gone``: permanent for the subscription (webhook 410): the subscription is disabled.
Outcome = Literal["delivered", "retry", "failed", "gone"]


@dataclass(frozen=True, slots=True)
class Message:
    """One rendered message for one target; ``message_id`` is the same on every retry."""

    message_id: str
    subscription_id: str
    target: str
    kind: str
    rendered: Rendered
    signing_secret: str = ""
    unsubscribe_url: str | None = None
    previous_signing_secret: str | None = None  # also signs while a rotation's overlap lasts


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one attempt came to."""

    outcome: Outcome
    response_code: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the target asked us to wait (Retry-After)


class Channel(Protocol):
    """A way to deliver a message: webhook, email."""

    async def send(self, message: Message) -> SendResult:
        """Try once; never raise for a failure of the target (return ``retry`` or ``failed``)."""
        ...
