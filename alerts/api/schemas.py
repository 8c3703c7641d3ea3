"""Request and response bodies of the HTTP API (contract: docs/api.md)."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Literal
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
    WithJsonSchema,
    field_validator,
    model_validator,
)

from alerts.feedback import CHOICES
from alerts.limits import DURATION_PATTERN, MAX_DURATION, MINUTE, check_instant, parse_duration
from alerts.models import CATEGORIES, EVENT_TYPES, CategoryName, EventTypeName, Incident, Instant, SourceKind

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


class _Out(BaseModel):
    # An answer always carries every field (null when there is no value): the OpenAPI document says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


# Stored values are documented by their vocabulary but not re-checked on the way out: an answer must not
# fail on a row written under an older vocabulary.
_Status = Annotated[
    str,
    WithJsonSchema({"type": "string", "enum": ["pending_confirmation", "active", "disabled", "unsubscribed"]}),
]


class SubscriptionCreated(_Out):
    """201 answer: the manage token and signing secret are shown this once."""

    id: str = Field(description="subscription id")
    status: _Status = Field(description="pending_confirmation (email) or active (webhook)")
    manage_token: str = Field(description="Bearer token to read, change or delete it; shown only now")
    signing_secret: str = Field(description="webhook signing key (whsec_ + base64); shown only now")


class SecretRotated(_Out):
    """200 answer of a signing-secret rotation: the new secret is shown this once."""

    id: str = Field(description="subscription id")
    signing_secret: str = Field(description="the new webhook signing key (whsec_ + base64); shown only now")
    previous_secret_valid_until: datetime = Field(
        description="until then deliveries are signed with the old secret as well as the new one"
    )


class TokenRotated(_Out):
    """200 answer of a manage-token rotation: the new token is shown this once; the old one no longer works."""

    id: str = Field(description="subscription id")
    manage_token: str = Field(description="the new Bearer token to read, change or delete it; shown only now")


class ResendAccepted(_Out):
    """202 answer of a confirmation resend: the same whether or not the subscription exists or waits."""

    status: Literal["accepted"] = "accepted"
    message: str = Field(description="what happens next")


class FiltersOut(_Out):
    """What the subscription is alerted about; an empty list or null matches everything."""

    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    categories: list[CategoryName] = Field(default_factory=list)
    event_types: list[EventTypeName] = Field(default_factory=list)
    min_score: float | None = Field(default=None, description="lowest classifier score, 0 to 1")
    min_killed: int | None = Field(default=None, description="fewest people killed")
    keywords: list[str] = Field(default_factory=list, description="whole words, any case, in the incident's texts")
    languages: list[str] = Field(default_factory=list, description="ISO 639 codes of the first report's language")


class DigestOut(_Out):
    """Digest schedule: every ``every``, phased at local time ``at`` in ``timezone``."""

    every: str = Field(default="1d", description="a duration such as '1d' or '6h'")
    at: str | None = Field(default=None, description="local clock time HH:MM, or null")
    timezone: str = Field(default="UTC", description="IANA time zone")


class SubscriptionOut(_Out):
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


class SubscriptionList(_Out):
    """GET /subscriptions (admin)."""

    subscriptions: list[SubscriptionOut]
    limit: int
    offset: int


class DeliveryOut(_Out):
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


class DeliveryList(_Out):
    """GET /subscriptions/{id}/deliveries."""

    deliveries: list[DeliveryOut] = Field(description="newest first")
    pending: int = Field(description="messages still waiting to be sent")


class LinkResult(_Out):
    """JSON answer of the confirm and unsubscribe links."""

    id: str
    status: _Status
    message: str = Field(description="what happened, for a person")


class IncidentList(_Out):
    """GET /incidents."""

    incidents: list[Incident] = Field(description="most recently updated first")
    limit: int
    offset: int


class FeedOut(_Out):
    """A feed with its polling state."""

    id: str
    url: str
    interval_seconds: int
    language: str | None
    fetch_articles: bool
    kind: SourceKind = Field(description="what the URL answers with: rss, gdelt or reliefweb")
    origin: str = Field(description="file (the feed list) or api")
    enabled: bool
    last_poll_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    last_status: str | None = Field(description="ok, not_modified or error; null before the first poll")
    last_http_status: int | None
    last_error: str | None
    error_count: int = Field(description="errors in a row (0 after a success)")
    polls: int
    entries_seen: int


class FeedListOut(_Out):
    """GET /feeds."""

    feeds: list[FeedOut]


class Health(_Out):
    """GET /healthz."""

    status: Literal["ok"]


class DaemonView(_Out):
    """One live daemon of the cluster, as the registry last saw it."""

    id: str
    seen_at: datetime
    feed_leases: int
    outbox_claims: int
    polls: int
    deliveries: int


class DaemonStatus(_Out):
    """This daemon in /readyz: its id, what it holds, its work and share of the cluster's (docs/operations.md)."""

    id: str = Field(description="host:pid:random, as written in leases, claims and the registry")
    feed_leases: int
    outbox_claims: int
    feeds_polling: int
    polls: int = Field(description="feed polls since this daemon started")
    deliveries: int = Field(description="delivery attempts since this daemon started")
    poll_share: float = Field(description="this daemon's share of the live daemons' polls (0-1)")
    delivery_share: float = Field(description="this daemon's share of the live daemons' deliveries (0-1)")
    cluster: list[DaemonView]


class Readiness(_Out):
    """GET /readyz: 200 when every check passes, 503 otherwise."""

    # ``daemon`` is left out, not null, where no daemon runs the API (an app built in tests or tools).
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    status: Literal["ready", "unavailable"]
    checks: dict[str, bool] = Field(description="each check by name (database, scheduler, ...) and whether it passed")
    daemon: DaemonStatus | None = Field(default=None, description="this daemon in the cluster (absent in tests)")


# A stored answer is documented by the form's choices but not re-checked on the way out (as ``_Status``).
_Choice = Annotated[str, WithJsonSchema({"type": "string", "enum": list(CHOICES)})]


class FeedbackOut(_Out):
    """One wrong-alert answer."""

    id: int
    incident_id: int
    incident_version: int = Field(description="the incident's version when the answer was given")
    incident_title: str
    subscription_id: str | None = Field(description="the subscription whose alert was answered; null: public page")
    choice: _Choice = Field(description="what is wrong with the alert")
    comment: str = Field(description="the person's comment, plain text (may be empty)")
    created_at: Instant
    updated_at: Instant = Field(description="when the answer was last given (a second answer replaces the first)")


class FeedbackList(_Out):
    """GET /feedback (admin)."""

    feedback: list[FeedbackOut] = Field(description="most recently given first")
    total: int = Field(description="answers matching the filter, in all")
    limit: int
    offset: int


class PrecisionOut(_Out):
    """Alerts sent to one subscription (or about one feed's reports) and how many were judged wrong."""

    id: str = Field(description="the subscription id or the feed id")
    alerts_sent: int = Field(description="delivered (subscription, incident) pairs; a digest counts each incident")
    judged_wrong: int = Field(description="of those, the ones the subscription answered as wrong")
    wrong_by_choice: dict[_Choice, int] = Field(description="judged_wrong split by the answer's choice")
    precision: float | None = Field(description="1 - judged_wrong / alerts_sent, 4 decimals; null before any alert")


class PrecisionReport(_Out):
    """GET /feedback/precision (admin)."""

    subscriptions: list[PrecisionOut] = Field(description="every subscription, by id")
    feeds: list[PrecisionOut] = Field(description="every feed with an alert sent about its reports, by id")
