"""SQLAlchemy 2 table models. Alembic migrations in ``migrations/versions`` create exactly these."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class FeedRow(Base):
    """A feed and its polling state (the schedule lives here, not in an APScheduler job store)."""

    __tablename__ = "feeds"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(16))
    fetch_articles: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(16), default="rss", server_default="rss")  # models.SOURCE_KINDS
    origin: Mapped[str] = mapped_column(String(8), default="file")  # "file" or "api"
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_poll_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_poll_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_http_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    bozo: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    polls: Mapped[int] = mapped_column(Integer, default=0)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_feeds_due", "enabled", "next_poll_at"),)


class SeenEntry(Base):
    """An entry key (GUID or canonical URL) already processed, so restarts re-process nothing."""

    __tablename__ = "seen_entries"

    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentRow(Base):
    """One attack, merged from every report of it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    event_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    country_code: Mapped[str | None] = mapped_column(String(2))
    country_name: Mapped[str | None] = mapped_column(String(100))
    location_name: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    killed: Mapped[int | None]
    injured: Mapped[int | None]
    kidnapped: Mapped[int | None]
    perpetrator: Mapped[str | None] = mapped_column(Text)
    organizations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow)

    # Merging looks up open incidents by country and attack date: this index keeps it off a table scan.
    __table_args__ = (
        Index("ix_incidents_country_date", "country_code", "occurred_on"),
        Index("ix_incidents_updated", "updated"),
    )


class IncidentVersionRow(Base):
    """One version of an incident as it was when created or updated: its record, for the incident's history."""

    __tablename__ = "incident_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(32))  # incident.created / incident.updated
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    record: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("incident_id", "version", name="uq_incident_versions_version"),)


class ArticleRow(Base):
    """A stored article: the feed entry, its extracted text and the classifier's verdict."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_id: Mapped[str | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the canonical URL
    entry_key: Mapped[str] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    text_source: Mapped[str] = mapped_column(String(16), default="page")
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    is_attack: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    verdict: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)

    __table_args__ = (Index("ix_articles_first_seen", "first_seen"),)


class SubscriptionRow(Base):
    """An alert subscription registered through the API."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # "email" or "webhook"
    target: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16), default="json")
    mode: Mapped[str] = mapped_column(String(16), default="instant")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(32))  # pending_confirmation, active, paused, disabled, unsubscribed
    status_reason: Mapped[str | None] = mapped_column(Text)
    manage_token_hash: Mapped[str] = mapped_column(String(128))
    signing_secret: Mapped[str] = mapped_column(String(128))
    # After a rotation the replaced secret still signs (next to the new one) until ``previous_secret_until``.
    previous_signing_secret: Mapped[str | None] = mapped_column(String(128))
    previous_secret_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    client_address: Mapped[str | None] = mapped_column(String(64))
    next_digest_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_subscriptions_status", "status"),)


class OutboxRow(Base):
    """One message to deliver: written in the same transaction as the incident version it announces."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "alert", "digest" or "confirmation"
    event: Mapped[str | None] = mapped_column(String(32))  # incident.created / incident.updated
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    incident_version: Mapped[int | None]
    # Unique: one row per incident version x subscription (or per digest period), so duplicates cannot exist.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)  # webhook-id, same on every retry
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, failed, cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)


class DeliveryAttemptRow(Base):
    """The delivery log: every attempt to send an outbox row."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16))  # delivered, retry, failed
    response_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]


class ConfirmationRequestRow(Base):
    """One confirmation email queued for an address, kept for an hour to limit confirmations per address.

    The address is stored only as the hash of its normalised form (``alerts.subscriptions.recipient_key``),
    and rows are counted whatever became of their subscription, so deleting one does not reset the count.
    """

    __tablename__ = "confirmation_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_key: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_confirmation_requests_key_time", "recipient_key", "requested_at"),
        Index("ix_confirmation_requests_time", "requested_at"),
    )


class FeedbackRow(Base):
    """One "wrong alert" answer about an incident, from a subscription's alert link or the public page.

    One row per (incident, subscription): answering again replaces the answer. Answers from the public page
    (no subscription) are each their own row. ``subscription_id`` is not a foreign key, so the labels
    survive the subscription's deletion.
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    incident_version: Mapped[int] = mapped_column(Integer)
    subscription_id: Mapped[str | None] = mapped_column(String(40))
    choice: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ux_feedback_incident_subscription", "incident_id", "subscription_id", unique=True),
        Index("ix_feedback_updated", "updated_at"),
    )


class RateLimitHitRow(Base):
    """One counted request of an API rate limit, shared by every daemon on the database.

    ``bucket`` names the limit (e.g. ``client``, ``subscription``); the limited key (a client address, a
    subscription id) is stored only as a hash. Rows older than the limit's window are deleted in passing.
    """

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64))
    hit_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_rate_limit_hits_key_time", "bucket", "key_hash", "hit_at"),
        Index("ix_rate_limit_hits_time", "hit_at"),
    )


class MetaRow(Base):
    """Small key/value facts about this installation (e.g. the secret that signs confirmation links)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ = [
    "ArticleRow",
    "Base",
    "ConfirmationRequestRow",
    "DeliveryAttemptRow",
    "FeedRow",
    "FeedbackRow",
    "IncidentRow",
    "MetaRow",
    "OutboxRow",
    "RateLimitHitRow",
    "SeenEntry",
    "SubscriptionRow",
    "utcnow",
]


class DaemonRow(Base):
    """A running daemon sharing this database: registered at start-up, seen at every heartbeat."""

    __tablename__ = "daemons"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the lease owner / claim holder name
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    polls: Mapped[int] = mapped_column(Integer, default=0)  # feed polls finished since it started
    deliveries: Mapped[int] = mapped_column(Integer, default=0)  # delivery attempts since it started

    __table_args__ = (Index("ix_daemons_seen_at", "seen_at"),)


class WebSubSubscriptionRow(Base):
    """A feed's WebSub subscription at a hub: its callback token, secret, state and lease.

    ``status``: ``pending`` (asked, the hub has not verified yet), ``active`` (verified, lease running),
    ``failed`` (the hub refused, failed or the lease lapsed: the feed is polled; retried at ``retry_at``),
    ``no_hub`` (the feed names no hub; discovery is tried again at ``retry_at``).
    """

    __tablename__ = "websub_subscriptions"

    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True)
    # The unguessable part of the callback URL: it names the subscription to the hub.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    hub_url: Mapped[str | None] = mapped_column(Text)
    topic_url: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    pending_mode: Mapped[str | None] = mapped_column(String(16))  # "subscribe" while a request awaits verification
    requested_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    pushes: Mapped[int] = mapped_column(Integer, default=0)
    last_push_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_websub_status_retry", "status", "retry_at"),)
