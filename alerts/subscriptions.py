"""Subscription filters, matching and alert queueing, digest scheduling, and the operators' table.

``queue_alerts`` is called by ingest inside the transaction that creates or updates an incident, so an
incident version and its outbox rows are committed together or not at all: no alert is lost, and none
announces an incident version that was rolled back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.models import Incident
from alerts.settings import parse_duration
from alerts.store.engine import Database
from alerts.store.outbox import insert_outbox_rows
from alerts.store.tables import DeliveryAttemptRow, OutboxRow, SubscriptionRow

EVENTS = ("incident.created", "incident.updated")
#: Outbox kinds. ``digest_item`` rows are held (never sent) until a digest bundles them.
KIND_ALERT = "alert"
KIND_DIGEST = "digest"
KIND_DIGEST_ITEM = "digest_item"
KIND_CONFIRMATION = "confirmation"
STATUS_HELD = "held"


@dataclass(frozen=True, slots=True)
class Filters:
    """What a subscriber wants; an empty list or None means "any"."""

    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    min_score: float | None = None
    min_killed: int | None = None
    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    _keyword_patterns: tuple[re.Pattern[str], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Whole-word, case-insensitive: "UN" must not match "under".
        patterns = tuple(re.compile(r"(?<!\w)" + re.escape(k) + r"(?!\w)", re.IGNORECASE) for k in self.keywords)
        object.__setattr__(self, "_keyword_patterns", patterns)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """Build from the stored / API JSON form (unknown keys are ignored, missing ones mean any)."""
        data = data or {}
        keywords = tuple(k.strip() for k in data.get("keywords") or () if k and k.strip())
        return cls(
            countries=tuple(c.upper() for c in data.get("countries") or ()),
            categories=tuple(data.get("categories") or ()),
            event_types=tuple(data.get("event_types") or ()),
            min_score=data.get("min_score"),
            min_killed=data.get("min_killed"),
            keywords=keywords,
            languages=tuple(lang.lower() for lang in data.get("languages") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``subscriptions.filters`` and returned by the API."""
        return {
            "countries": list(self.countries),
            "categories": list(self.categories),
            "event_types": list(self.event_types),
            "min_score": self.min_score,
            "min_killed": self.min_killed,
            "keywords": list(self.keywords),
            "languages": list(self.languages),
        }

    def matches(self, incident: Incident) -> bool:
        """True when ``incident`` passes every filter that is set."""
        if self.countries and (incident.country_code or "").upper() not in self.countries:
            return False
        if self.categories and not set(self.categories) & set(incident.categories):
            return False
        if self.event_types and not set(self.event_types) & set(incident.event_types):
            return False
        if self.min_score is not None and incident.score < self.min_score:
            return False
        if self.min_killed is not None and (incident.killed or 0) < self.min_killed:
            return False
        if self.languages and (incident.language or "").lower() not in self.languages:
            return False
        if self._keyword_patterns:
            haystack = "\n".join(_searchable_text(incident))
            if not any(p.search(haystack) for p in self._keyword_patterns):
                return False
        return True


def _searchable_text(incident: Incident) -> list[str]:
    parts = [incident.title, incident.summary, incident.location_name or "", incident.perpetrator or ""]
    parts += incident.organizations + incident.evidence + [a.title for a in incident.articles]
    return parts


@dataclass(frozen=True, slots=True)
class DigestSpec:
    """When a digest subscription gets its message: every ``every`` seconds, phased at local ``at``."""

    every: float = 86400.0
    at: time | None = None
    timezone: str = "UTC"

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DigestSpec:
        """Build from the stored / API form ``{every: "1d", at: "08:00", timezone: "Europe/Paris"}``."""
        data = data or {}
        at = data.get("at")
        return cls(
            every=parse_duration(data.get("every") or "1d"),
            at=time.fromisoformat(at) if at else None,
            timezone=data.get("timezone") or "UTC",
        )

    def next_after(self, after: datetime) -> datetime:
        """The first digest time strictly after ``after`` (aware), in UTC."""
        tz = ZoneInfo(self.timezone)
        local = after.astimezone(tz)
        at = self.at or time(0, 0)
        anchor = datetime.combine(local.date(), at, tzinfo=tz)
        if self.every % 86400 == 0:
            # Whole days step on the local calendar so "08:00 Europe/Paris" stays 08:00 across DST changes.
            days = int(self.every // 86400)
            candidate = anchor
            while candidate <= local:
                candidate = datetime.combine(candidate.date() + timedelta(days=days), at, tzinfo=tz)
            return candidate.astimezone(UTC)
        step = timedelta(seconds=self.every)
        anchor_utc = anchor.astimezone(UTC)
        steps = (after.astimezone(UTC) - anchor_utc) // step + 1
        return anchor_utc + steps * step


def recipient_key(address: str) -> str:
    """The key confirmation emails are counted under: one per mailbox, however the address is spelled.

    Case is ignored in both parts (RFC 5321 leaves the local part's case to the server; in practice no
    mail system tells "Desk" from "desk"), the domain is compared in its ASCII (IDNA) form, Unicode in
    the local part is NFKC-folded, and a subaddress ("desk+tag@") counts as its mailbox, because nearly
    every provider delivers those to the same inbox. Returned as a SHA-256 hex digest: the limit table
    stores no addresses.
    """
    text = address.strip()
    try:
        info = validate_email(text, check_deliverability=False)
        local, domain = info.local_part, info.ascii_domain
    except EmailNotValidError:  # the API validates first; never fail the count on an odd address
        local, _, domain = text.rpartition("@")
    local = unicodedata.normalize("NFKC", local).casefold().split("+", 1)[0]
    normalised = f"{local}@{domain.lower().rstrip('.')}"
    return hashlib.sha256(normalised.encode()).hexdigest()


def _dedupe_alert(subscription_id: str, incident: Incident) -> str:
    return f"alert:{subscription_id}:{incident.id}:{incident.version}"


def queue_alerts(session: Session, incident: Incident, event: str) -> int:
    """Write one outbox row per active subscription matching this incident version; return rows written.

    Runs inside the caller's transaction. Historical incidents never alert. The unique ``dedupe_key``
    (incident id, version, subscription) makes a second call for the same version write nothing.
    Digest subscriptions get a held ``digest_item`` row that the next digest bundles.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    if incident.historical:
        return 0
    record = incident.as_record()
    rows: list[dict[str, Any]] = []
    subscriptions = session.scalars(select(SubscriptionRow).where(SubscriptionRow.status == "active"))
    for sub in subscriptions:
        if not Filters.from_dict(sub.filters).matches(incident):
            continue
        digest = sub.mode == "digest"
        rows.append(
            {
                "subscription_id": sub.id,
                "kind": KIND_DIGEST_ITEM if digest else KIND_ALERT,
                "status": STATUS_HELD if digest else "pending",
                "event": event,
                "incident_id": incident.id,
                "incident_version": incident.version,
                "dedupe_key": _dedupe_alert(sub.id, incident),
                "payload": {"type": event, "incident": record},
            }
        )
    return insert_outbox_rows(session, rows)


def build_due_digests(session: Session, now: datetime) -> int:
    """Bundle held items of every digest subscription that is due into one digest row; return rows written.

    An empty period writes nothing and only moves the schedule on. The dedupe key (subscription, period
    end) and the compare-and-set on ``next_digest_at`` keep two workers from sending one period twice.
    """
    written = 0
    query = (
        select(SubscriptionRow)
        .where(SubscriptionRow.mode == "digest")
        .where(SubscriptionRow.status == "active")
        .where(SubscriptionRow.next_digest_at <= now)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for sub in session.scalars(query).all():
        spec = DigestSpec.from_dict(sub.digest)
        period_end = sub.next_digest_at
        assert period_end is not None  # the query filtered on it
        items = session.scalars(
            select(OutboxRow)
            .where(OutboxRow.subscription_id == sub.id)
            .where(OutboxRow.kind == KIND_DIGEST_ITEM)
            .where(OutboxRow.status == STATUS_HELD)
            .order_by(OutboxRow.id)
        ).all()
        latest: dict[int, dict[str, Any]] = {}
        for item in items:
            record = item.payload["incident"]
            if record["id"] not in latest or record["version"] >= latest[record["id"]]["version"]:
                latest[record["id"]] = record
            item.status = "bundled"
        if latest:
            start = period_end - timedelta(seconds=spec.every)
            written += insert_outbox_rows(
                session,
                [
                    {
                        "subscription_id": sub.id,
                        "kind": KIND_DIGEST,
                        "status": "pending",
                        "event": "digest",
                        "next_attempt_at": now,
                        "dedupe_key": f"digest:{sub.id}:{period_end.isoformat()}",
                        "payload": {
                            "type": "digest",
                            "period": {"start": start.isoformat(), "end": period_end.isoformat()},
                            "incidents": sorted(latest.values(), key=lambda r: r["first_seen"]),
                        },
                    }
                ],
            )
        sub.next_digest_at = spec.next_after(max(now, period_end))
    return written


def format_subscriptions_table(db: Database) -> str:
    """The ``aidwatch subscriptions`` table: one line per subscription with status and last delivery."""
    with db.session() as session:
        last = (
            select(
                DeliveryAttemptRow.subscription_id,
                func.max(DeliveryAttemptRow.attempted_at).label("last_at"),
            )
            .group_by(DeliveryAttemptRow.subscription_id)
            .subquery()
        )
        rows = session.execute(
            select(SubscriptionRow, last.c.last_at)
            .outerjoin(last, last.c.subscription_id == SubscriptionRow.id)
            .order_by(SubscriptionRow.created_at)
        ).all()
        last_status: dict[str, str] = {}
        for sub, last_at in rows:
            if last_at is not None:
                attempt = session.scalars(
                    select(DeliveryAttemptRow)
                    .where(DeliveryAttemptRow.subscription_id == sub.id)
                    .order_by(DeliveryAttemptRow.attempted_at.desc(), DeliveryAttemptRow.id.desc())
                    .limit(1)
                ).first()
                if attempt is not None:
                    last_status[sub.id] = attempt.status
        header = ("ID", "CHANNEL", "TARGET", "MODE", "FORMAT", "STATUS", "LAST DELIVERY")
        table = [header]
        for sub, last_at in rows:
            when = last_at.strftime("%Y-%m-%d %H:%M:%SZ") if last_at else "-"
            delivery = f"{when} {last_status[sub.id]}" if sub.id in last_status else "-"
            target = sub.target if len(sub.target) <= 48 else sub.target[:45] + "..."
            table.append((sub.id, sub.channel, target, sub.mode, sub.format, sub.status, delivery))
    if len(table) == 1:
        return "no subscriptions"
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    lines = ("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
    return "\n".join(lines)
