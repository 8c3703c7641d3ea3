"""Wrong-alert feedback: signed links, the answers people can give, and the cleaning of their comments.

Every alert carries a link ``/feedback/{incident_id}?s=<subscription>&token=<hmac>``. The token is an
HMAC, keyed with the installation's link secret (``alerts.links.link_secret``), over the incident id and
the subscription id (empty for the public web page): it is the form's CSRF defence (a POST without it
stores nothing) and it cannot be replayed into another incident or another subscription's answer.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from alerts.links import signed_token

#: The answers a person can give, with the label the form shows.
CHOICES: dict[str, str] = {
    "not_an_attack": "Not an attack on humanitarian people or places",
    "wrong_place": "Wrong place",
    "wrong_casualties": "Wrong casualty figures",
    "other": "Something else is wrong",
}
COMMENT_MAX = 2000  # characters, after cleaning
# C0/C1 controls except tab and newline, bidirectional overrides/isolates (they reorder displayed text),
# zero-width and BOM characters.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class FeedbackError(ValueError):
    """An answer that cannot be stored; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def feedback_token(secret: bytes, incident_id: int, subscription_id: str | None) -> str:
    """The token of one (incident, subscription) link; URL-safe, unpadded."""
    return signed_token(secret, f"feedback:{incident_id}:{subscription_id or ''}")


def check_feedback_token(secret: bytes, incident_id: int, subscription_id: str | None, token: str) -> bool:
    """Constant-time check of a feedback token (False for anything not ASCII)."""
    return token.isascii() and hmac.compare_digest(feedback_token(secret, incident_id, subscription_id), token)


def feedback_url(public_url: str, secret: bytes, incident_id: int, subscription_id: str | None = None) -> str:
    """The absolute "wrong alert" link for one incident, as one subscription (or the web page) shows it."""
    query = {"s": subscription_id} if subscription_id else {}
    query["token"] = feedback_token(secret, incident_id, subscription_id)
    return f"{public_url.rstrip('/')}/feedback/{incident_id}?{urlencode(query)}"


def feedback_urls_for(
    public_url: str, secret: bytes, subscription_id: str, payload: Mapping[str, Any]
) -> dict[int, str]:
    """The links for every incident of an outbox payload (one alert's incident, or a digest's)."""
    records = [payload["incident"]] if "incident" in payload else list(payload.get("incidents") or [])
    return {int(r["id"]): feedback_url(public_url, secret, int(r["id"]), subscription_id) for r in records}


def clean_choice(value: str | None) -> str:
    """The choice, checked against ``CHOICES``."""
    if not value:
        raise FeedbackError("choice", "choose what is wrong with the alert")
    if value not in CHOICES:
        raise FeedbackError("choice", f"must be one of {', '.join(CHOICES)}")
    return value


def clean_comment(value: str | None) -> str:
    """The comment as plain text: NFC, line ends as ``\\n``, no control or direction-override characters,
    trimmed, at most ``COMMENT_MAX`` characters (longer is refused, not cut: the writer should know).

    Markup is kept as the characters typed; it is escaped wherever the comment is shown.
    """
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _UNWANTED.sub("", text).strip()
    if len(text) > COMMENT_MAX:
        raise FeedbackError("comment", f"at most {COMMENT_MAX} characters (this one has {len(text)})")
    return text


__all__ = [
    "CHOICES",
    "COMMENT_MAX",
    "FeedbackError",
    "check_feedback_token",
    "clean_choice",
    "clean_comment",
    "feedback_token",
    "feedback_url",
    "feedback_urls_for",
]
