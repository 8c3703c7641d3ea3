"""Request and response bodies of the HTTP API (contract: docs/api.md)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alerts.limits import DURATION_PATTERN, MAX_DURATION, MINUTE, check_instant, parse_duration
from alerts.models import CATEGORIES, EVENT_TYPES

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Language = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z]{2,3}$")]
MIN_DIGEST_EVERY = 5 * MINUTE
MAX_DIGEST_EVERY = MAX_DURATION
MAX_KILLED = 1_000_000
#: An instant given by a client: with a time zone, between 1900 and 9000, answered in UTC.
Timestamp = Annotated[datetime, AfterValidator(check_instant)]
_ALPHA2 = re.compile(r"^[A-Za-z]{2}$")


class _Strict(BaseModel):
    # Python's json module reads NaN and Infinity: refuse them, no range check can be made on them.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FiltersIn(_Strict):
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


class DigestIn(_Strict):
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


class SubscriptionIn(_Strict):
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


class SubscriptionPatch(_Strict):
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


class SubscriptionCreated(BaseModel):
    """201 answer: the manage token and signing secret are shown this once."""

    id: str
    status: str
    manage_token: str
    signing_secret: str


class SubscriptionOut(BaseModel):
    """A subscription as its owner (or the admin) sees it."""

    id: str
    channel: str
    target: str
    name: str | None
    format: str | None = Field(description="webhooks: json, slack, teams or text; null for email (text + HTML)")
    mode: str
    filters: dict[str, Any]
    digest: dict[str, Any] | None
    status: str
    status_reason: str | None
    created_at: datetime
    confirmed_at: datetime | None
    next_digest_at: datetime | None


class SubscriptionList(BaseModel):
    """GET /subscriptions (admin)."""

    subscriptions: list[SubscriptionOut]
    limit: int
    offset: int


class DeliveryOut(BaseModel):
    """One delivery attempt."""

    id: int
    time: datetime
    status: str
    response_code: int | None
    error: str | None
    duration_ms: int | None
    message_id: str
    kind: str
    event: str | None
    incident_id: int | None
    incident_version: int | None


class DeliveryList(BaseModel):
    """GET /subscriptions/{id}/deliveries."""

    deliveries: list[DeliveryOut]
    pending: int


class LinkResult(BaseModel):
    """JSON answer of the confirm and unsubscribe links."""

    id: str
    status: str
    message: str


class IncidentList(BaseModel):
    """GET /incidents."""

    incidents: list[dict[str, Any]]
    limit: int
    offset: int


class FeedOut(BaseModel):
    """A feed with its polling state."""

    id: str
    url: str
    interval_seconds: int
    language: str | None
    fetch_articles: bool
    origin: str
    enabled: bool
    last_poll_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    last_status: str | None
    last_http_status: int | None
    last_error: str | None
    error_count: int
    polls: int
    entries_seen: int


class FeedListOut(BaseModel):
    """GET /feeds."""

    feeds: list[FeedOut]
