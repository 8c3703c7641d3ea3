"""Subscription filters, matching and alert queueing, digest bundling, and the operators' table.

``queue_alerts`` is called by ingest inside the transaction that creates or updates an incident, so an
incident version and its outbox rows are committed together or not at all: no alert is lost, and none
announces an incident version that was rolled back. Storage is reached only through ``alerts.store``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from alerts.digest_schedule import DigestSpec
from alerts.models import Incident
from alerts.store.engine import Database, Transaction
from alerts.store.outbox import (
    KIND_ALERT,
    KIND_DIGEST,
    KIND_DIGEST_ITEM,
    STATUS_HELD,
    insert_outbox_rows,
    take_held_items,
)
from alerts.store.subscriptions import (
    active_subscriptions,
    due_digest_subscriptions,
    set_next_digest,
    subscription_activity,
)

__all__ = ["EVENTS", "DigestSpec", "Filters", "build_due_digests", "format_subscriptions_table", "queue_alerts"]

EVENTS = ("incident.created", "incident.updated")


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


def queue_alerts(tx: Transaction, incident: Incident, event: str) -> int:
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
    for sub in active_subscriptions(tx):
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
    return insert_outbox_rows(tx, rows)


def build_due_digests(tx: Transaction, now: datetime) -> int:
    """Bundle held items of every digest subscription that is due into one digest row; return rows written.

    An empty period writes nothing and only moves the schedule on. The dedupe key (subscription, period
    end) and the row locks taken on the due subscriptions keep two workers from sending one period twice.
    """
    written = 0
    for sub in due_digest_subscriptions(tx, now):
        spec = DigestSpec.from_dict(sub.digest)
        period_end = sub.next_digest_at
        assert period_end is not None  # only subscriptions with a due digest time are returned
        latest: dict[int, dict[str, Any]] = {}
        for record in take_held_items(tx, sub.id):
            if record["id"] not in latest or record["version"] >= latest[record["id"]]["version"]:
                latest[record["id"]] = record
        if latest:
            start = period_end - timedelta(seconds=spec.every)
            written += insert_outbox_rows(
                tx,
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
        set_next_digest(tx, sub.id, spec.next_after(max(now, period_end)))
    return written


def format_subscriptions_table(db: Database) -> str:
    """The ``aidwatch subscriptions`` table: one line per subscription with status and last delivery."""
    header = ("ID", "CHANNEL", "TARGET", "MODE", "FORMAT", "STATUS", "LAST DELIVERY")
    table = [header]
    for sub, last_at, last_status in subscription_activity(db):
        when = last_at.strftime("%Y-%m-%d %H:%M:%SZ") if last_at else "-"
        delivery = f"{when} {last_status}" if last_status is not None else "-"
        target = sub.target if len(sub.target) <= 48 else sub.target[:45] + "..."
        # Email is always text + HTML: the stored webhook format means nothing there (the API shows null).
        fmt = sub.format if sub.channel == "webhook" else "-"
        table.append((sub.id, sub.channel, target, sub.mode, fmt, sub.status, delivery))
    if len(table) == 1:
        return "no subscriptions"
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    lines = ("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)
    return "\n".join(lines)
