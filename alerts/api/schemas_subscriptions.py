"""Request and response bodies of the subscription routes: create, change, rotate, resend, the delivery
log and the confirm/unsubscribe links (contract: docs/api.md)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from alerts.api.schemas_common import AnswerBody, Category, EventType, StrictBody
from alerts.limits import DURATION_PATTERN, MAX_DURATION, MINUTE, parse_duration
from alerts.models import CategoryName, EventTypeName

Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z]{2,3}$")]
MIN_DIGEST_EVERY = 5 * MINUTE
MAX_DIGEST_EVERY = MAX_DURATION
MAX_KILLED = 1_000_000
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")


class FiltersIn(StrictBody):
    """What to be alerted about; every filter left out matches everything."""

    countries: list[str] = Field(default_factory=list, max_length=250, description="ISO 3166-1 alpha-2 codes")
    categories: list[Category] = Field(default_factory=list)
    event_types: list[EventType] = Field(default_factory=list)
    min_score: float | None = Field(default=None, ge=0, le=1)
    min_killed: int | None = Field(default=None, ge=0, le=MAX_KILLED)
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)
    languages: list[Language] = Field(default_factory=list, max_length=50)

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            if not isinstance(value, str) or not _ALPHA2.match(value) or not pycountry.countries.get(alpha_2=value):
                raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
            out.append(value.upper())
        return out


class DigestIn(StrictBody):
    """Digest schedule: every ``every`` (e.g. "1d", "6h"), phased at local ``at`` ("08:00") in ``timezone``."""

    every: str = Field(
        default="1d",
        max_length=32,
        description="from '5m' to '366d'",
        # Documented, not enforced by pydantic: the validator's own message names the range.
        json_schema_extra={"pattern": DURATION_PATTERN},
    )
    at: str | None = Field(default=None, pattern=r"^\d{2}:\d{2}$")
    timezone: str = Field(default="UTC", max_length=64)

    @field_validator("every")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value, minimum=MIN_DIGEST_EVERY, maximum=MAX_DIGEST_EVERY)
        return value

    @field_validator("at")
    @classmethod
    def _clock_time(cls, value: str | None) -> str | None:
        if value is not None:
            time.fromisoformat(value)  # ValueError for "25:00"
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: names no file system accepts
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Paris'") from None
        return value


Channel = Literal["email", "webhook"]
Mode = Literal["instant", "digest"]
Format = Literal["json", "slack", "teams", "text"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
FORMAT_WEBHOOKS_ONLY = "format applies to webhook subscriptions only (email is always text + HTML)"


def _check_digest(mode: str | None, digest: DigestIn | None) -> None:
    if mode == "digest" and digest is None:
        raise ValueError("digest is required when mode is 'digest'")
    if mode == "instant" and digest is not None:
        raise ValueError("digest is only allowed when mode is 'digest'")


class SubscriptionIn(StrictBody):
    """POST /subscriptions. Only ``channel`` and ``target`` are required."""

    channel: Channel
    target: str = Field(min_length=1, max_length=2000, description="an email address or an http(s) URL")
    filters: FiltersIn = Field(default_factory=FiltersIn)
    mode: Mode = "instant"
    digest: DigestIn | None = None
    format: Format | None = Field(default=None, description="webhooks only (default 'json'); email is text + HTML")
    name: Name | None = None

    @field_validator("target")
    @classmethod
    def _target(cls, value: str, info: ValidationInfo) -> str:
        if any(c.isspace() or ord(c) < 32 for c in value):
            raise ValueError("must not contain spaces or control characters")
        if info.data.get("channel") == "email":
            try:
                # Syntax only: the daemon may run without DNS.
                return validate_email(value, check_deliverability=False).normalized
            except EmailNotValidError as exc:
                raise ValueError(f"not a valid email address: {exc}") from None
        if not value.lower().startswith(("http://", "https://")):
            raise ValueError("a webhook target must be an http:// or https:// URL")
        return value

    @field_validator("format")
    @classmethod
    def _webhooks_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("channel") == "email":
            raise ValueError(FORMAT_WEBHOOKS_ONLY)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SubscriptionIn:
        _check_digest(self.mode, self.digest)
        return self


class SubscriptionPatch(StrictBody):
    """PATCH /subscriptions/{id}: channel and target cannot change (create a new subscription).

    A key left out is left as it is; ``null`` clears a nullable one (``name``, ``digest``) and is refused
    for the others.

    ``status: "paused"`` stops alerts to an active subscription until ``status: "active"`` resumes it;
    ``status: "active"`` also re-enables a webhook subscription disabled by a 410 answer, once the receiver
    is fixed. Nothing else can change a status here: email addresses are activated only by their confirm
    link, and only their owner's unsubscribe link or DELETE ends them.
    """

    status: Literal["active", "paused"] | None = None
    filters: FiltersIn | None = None
    mode: Mode | None = None
    digest: DigestIn | None = None
    format: Format | None = None
    name: Name | None = None


# Stored values are documented by their vocabulary but not re-checked on the way out: an answer must not
# fail on a row written under an older vocabulary.
_Status = Annotated[
    str,
    WithJsonSchema({"type": "string", "enum": ["pending_confirmation", "active", "disabled", "unsubscribed"]}),
]


class SubscriptionCreated(AnswerBody):
    """201 answer: the manage token and signing secret are shown this once."""

    id: str = Field(description="subscription id")
    status: _Status = Field(description="pending_confirmation (email) or active (webhook)")
    manage_token: str = Field(description="Bearer token to read, change or delete it; shown only now")
    signing_secret: str = Field(description="webhook signing key (whsec_ + base64); shown only now")


class SecretRotated(AnswerBody):
    """200 answer of a signing-secret rotation: the new secret is shown this once."""

    id: str = Field(description="subscription id")
    signing_secret: str = Field(description="the new webhook signing key (whsec_ + base64); shown only now")
    previous_secret_valid_until: datetime = Field(
        description="until then deliveries are signed with the old secret as well as the new one"
    )


class TokenRotated(AnswerBody):
    """200 answer of a manage-token rotation: the new token is shown this once; the old one no longer works."""

    id: str = Field(description="subscription id")
    manage_token: str = Field(description="the new Bearer token to read, change or delete it; shown only now")


class ResendAccepted(AnswerBody):
    """202 answer of a confirmation resend: the same whether or not the subscription exists or waits."""

    status: Literal["accepted"] = "accepted"
    message: str = Field(description="what happens next")


class FiltersOut(AnswerBody):
    """What the subscription is alerted about; an empty list or null matches everything."""

    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    categories: list[CategoryName] = Field(default_factory=list)
    event_types: list[EventTypeName] = Field(default_factory=list)
    min_score: float | None = Field(default=None, description="lowest classifier score, 0 to 1")
    min_killed: int | None = Field(default=None, description="fewest people killed")
    keywords: list[str] = Field(default_factory=list, description="whole words, any case, in the incident's texts")
    languages: list[str] = Field(default_factory=list, description="ISO 639 codes of the first report's language")


class DigestOut(AnswerBody):
    """Digest schedule: every ``every``, phased at local time ``at`` in ``timezone``."""

    every: str = Field(default="1d", description="a duration such as '1d' or '6h'")
    at: str | None = Field(default=None, description="local clock time HH:MM, or null")
    timezone: str = Field(default="UTC", description="IANA time zone")


class SubscriptionOut(AnswerBody):
    """A subscription as its owner (or the admin) sees it."""

    id: str
    channel: Channel
    target: str = Field(description="email address or webhook URL")
    name: str | None
    format: Format | None = Field(description="webhooks: json, slack, teams or text; null for email (text + HTML)")
    mode: Mode
    filters: FiltersOut
    digest: DigestOut | None = Field(description="the schedule when mode is digest, else null")
    status: _Status
    status_reason: str | None = Field(description="why it was disabled, if it was")
    created_at: datetime
    confirmed_at: datetime | None = Field(description="when the email address was confirmed (webhooks: null)")
    next_digest_at: datetime | None = Field(description="when the next digest is due (digest mode)")


class SubscriptionList(AnswerBody):
    """GET /subscriptions (admin)."""

    subscriptions: list[SubscriptionOut]
    limit: int
    offset: int


class DeliveryOut(AnswerBody):
    """One delivery attempt."""

    id: int
    time: datetime
    status: Annotated[str, WithJsonSchema({"type": "string", "enum": ["delivered", "retry", "failed"]})]
    response_code: int | None = Field(description="HTTP status (webhook) or SMTP reply code (email)")
    error: str | None
    duration_ms: int | None
    message_id: str = Field(description="the webhook-id / Message-ID, the same on every retry")
    kind: str = Field(description="alert, digest or confirmation")
    event: str | None = Field(description="incident.created, incident.updated, digest; null for confirmations")
    incident_id: int | None
    incident_version: int | None


class DeliveryList(AnswerBody):
    """GET /subscriptions/{id}/deliveries."""

    deliveries: list[DeliveryOut] = Field(description="newest first")
    pending: int = Field(description="messages still waiting to be sent")


class LinkResult(AnswerBody):
    """JSON answer of the confirm and unsubscribe links."""

    id: str
    status: _Status
    message: str = Field(description="what happened, for a person")
