"""Plain data passed between the crawler, the classifier, storage and delivery.

These dataclasses are the only thing the crawler hands to ``alerts``; nothing here knows about
Scrapy, SQLAlchemy or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

CATEGORIES: tuple[str, ...] = (
    "un",
    "ngo",
    "red_cross",
    "health",
    "aid_convoy_or_warehouse",
    "camp",
    "other_humanitarian",
)

EVENT_TYPES: tuple[str, ...] = (
    "armed_attack",
    "shelling_or_airstrike",
    "explosive",
    "kidnapping",
    "looting_or_robbery",
    "arson",
    "raid_or_occupation",
    "detention",
    "sexual_violence",
    "other",
)


@dataclass(frozen=True, slots=True)
class FeedSource:
    """One feed as configured: in the feed list file or through the API."""

    id: str
    url: str
    interval_seconds: int
    language: str | None = None
    fetch_articles: bool = True


@dataclass(slots=True)
class Article:
    """One news item as the crawler found it: feed entry plus the extracted page text."""

    feed_id: str
    url: str
    entry_key: str
    title: str
    text: str
    published: datetime | None = None
    language: str | None = None
    summary: str = ""
    text_source: str = "page"  # "page" when trafilatura extracted it, "summary" when the page failed


@dataclass(slots=True)
class Verdict:
    """What the classifier decided about one document, with the coded incident fields."""

    is_attack: bool
    score: float
    categories: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    country: str | None = None
    location: str | None = None
    lat: float | None = None
    lon: float | None = None
    killed: int | None = None
    injured: int | None = None
    kidnapped: int | None = None
    perpetrator: str | None = None
    organizations: list[str] = field(default_factory=list)
    occurred_on: date | None = None
    historical: bool = False
    evidence: list[str] = field(default_factory=list)
    # "attack", or the event-level test that rejected the document (alerts/classify/event.py).
    reason: str = "attack"
    # (test, passed, what it saw) for every event-level test applied, in order.
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    lang: str | None = None  # ISO 639-1 code the document was read as (given or detected)
    support: str = "none"  # how well that language is read: "full", "partial" or "none"

    def as_json(self, doc_id: object = None) -> dict[str, object]:
        """The `aidwatch classify` output line."""
        out: dict[str, object] = {} if doc_id is None else {"id": doc_id}
        out.update(
            is_attack=self.is_attack,
            score=round(self.score, 4),
            categories=list(self.categories),
            event_types=list(self.event_types),
            country=self.country,
            location=self.location,
            killed=self.killed,
            injured=self.injured,
            kidnapped=self.kidnapped,
            perpetrator=self.perpetrator,
            organizations=list(self.organizations),
            occurred_on=self.occurred_on.isoformat() if self.occurred_on else None,
            evidence=list(self.evidence),
            reason=self.reason,
            lang=self.lang,
            support=self.support,
        )
        return out


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An article as listed inside an incident record."""

    url: str
    title: str
    feed: str
    published: datetime | None
    first_seen: datetime


@dataclass(slots=True)
class Incident:
    """The incident record, as delivered in alerts and served by the API."""

    id: int
    version: int
    title: str
    summary: str
    score: float
    categories: list[str]
    event_types: list[str]
    country_code: str | None
    country_name: str | None
    location_name: str | None
    lat: float | None
    lon: float | None
    occurred_on: date | None
    killed: int | None
    injured: int | None
    kidnapped: int | None
    perpetrator: str | None
    organizations: list[str]
    evidence: list[str]
    articles: list[ArticleRef]
    first_seen: datetime
    updated: datetime
    language: str | None = None
    historical: bool = False

    def as_record(self) -> dict[str, object]:
        """The JSON-ready incident record (webhook ``incident`` object, API body)."""
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "summary": self.summary,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "event_types": list(self.event_types),
            "country": {"code": self.country_code, "name": self.country_name},
            "location": {"name": self.location_name, "lat": self.lat, "lon": self.lon},
            "occurred_on": self.occurred_on.isoformat() if self.occurred_on else None,
            "casualties": {"killed": self.killed, "injured": self.injured, "kidnapped": self.kidnapped},
            "perpetrator": self.perpetrator,
            "organizations": list(self.organizations),
            "evidence": list(self.evidence),
            "articles": [
                {
                    "url": a.url,
                    "title": a.title,
                    "feed": a.feed,
                    "published": a.published.isoformat() if a.published else None,
                    "first_seen": a.first_seen.isoformat(),
                }
                for a in self.articles
            ],
            "first_seen": self.first_seen.isoformat(),
            "updated": self.updated.isoformat(),
        }


@dataclass(slots=True)
class FeedState:
    """A feed with its polling state, as the scheduler leases it to the crawler."""

    id: str
    url: str
    interval_seconds: int
    language: str | None
    fetch_articles: bool
    etag: str | None = None
    last_modified: str | None = None
    error_count: int = 0


@dataclass(slots=True)
class PollResult:
    """What one poll of one feed came to; storage turns it into the feed's next state."""

    feed_id: str
    status: str  # "ok", "not_modified" or "error"
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after_seconds: float | None = None
    bozo: str | None = None  # feedparser's complaint about a feed it could still parse
    entries_total: int = 0
    entries_new: int = 0
