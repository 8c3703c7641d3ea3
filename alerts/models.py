"""Plain data passed between the crawler, the classifier, storage, delivery and the API.

The crawler hands ``alerts`` only these types. ``Incident`` (with its parts) is a pydantic model because
its JSON form is a public contract: webhook bodies, outbox payloads and API answers are that model
serialised, and the OpenAPI document describes it. Nothing here knows about Scrapy, SQLAlchemy or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_serializer,
    model_validator,
)

CATEGORIES: tuple[str, ...] = (
    "un",
    "ngo",
    "red_cross",
    "health",
    "aid_convoy_or_warehouse",
    "camp",
    "other_humanitarian",
)

# What a feed's URL answers with, and so which spider polls it (docs/decisions/0017-source-kinds.md):
# "rss" an RSS/Atom/RDF feed, "gdelt" a GDELT DOC 2.0 ArtList JSON search, "reliefweb" a ReliefWeb API reports list.
SourceKind = Literal["rss", "gdelt", "reliefweb"]
SOURCE_KINDS: tuple[str, ...] = get_args(SourceKind)

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
    kind: str = "rss"  # one of SOURCE_KINDS


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
    # "page" when trafilatura extracted it, "summary" when the page failed, "api" when a source's API answer
    # held the text (ReliefWeb reports).
    text_source: str = "page"


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


def _iso(moment: datetime) -> str:
    # Python's own ISO form ("+00:00", not pydantic's "Z"): records already sent and stored use it.
    return moment.isoformat()


#: An instant in a record: ISO 8601 with its UTC offset, as ``datetime.isoformat`` writes it.
Instant = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
#: A category or event type in a record or an answer: documented as the enum, not enforced on output, so a
#: record stored under an older vocabulary still reads (input is checked by the API's own types).
CategoryName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(CATEGORIES)})]
EventTypeName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)})]


class _Record(BaseModel):
    # Every field of a record is always present (null when unknown), and the OpenAPI document says so.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class ArticleRef(_Record):
    """An article (report) as listed inside an incident record."""

    url: str = Field(description="the article's link")
    title: str = Field(description="the article's headline")
    feed: str = Field(description="id of the feed it came from")
    published: Instant | None = Field(description="publication time given by the feed, if any")
    first_seen: Instant = Field(description="when aidwatch first stored it")


class Country(_Record):
    """Where the attack happened: the country."""

    code: str | None = Field(description="ISO 3166-1 alpha-2 code; null when not known")
    name: str | None = Field(description="English short name of that code")


class Location(_Record):
    """Where the attack happened: the place inside the country."""

    name: str | None = Field(description="place name as the reports give it")
    lat: float | None = Field(description="latitude (WGS 84), when the place is known to the gazetteer")
    lon: float | None = Field(description="longitude (WGS 84)")


class Casualties(_Record):
    """Casualty figures: the highest any report gave; null when no report gave one."""

    killed: int | None = Field(description="people killed")
    injured: int | None = Field(description="people injured")
    kidnapped: int | None = Field(description="people kidnapped or abducted")


# The stored columns (alerts/store/tables.py) that a record groups: column name -> (group, key in the group).
_COLUMN_GROUPS: dict[str, tuple[str, str]] = {
    "country_code": ("country", "code"),
    "country_name": ("country", "name"),
    "location_name": ("location", "name"),
    "lat": ("location", "lat"),
    "lon": ("location", "lon"),
    "killed": ("casualties", "killed"),
    "injured": ("casualties", "injured"),
    "kidnapped": ("casualties", "kidnapped"),
}


# The one incident type. Its JSON form (``as_record``) is the contract in docs/api.md, and
# ``Incident.model_validate(record)`` reads that form back (outbox payloads). It is built from stored rows in
# one place, ``alerts.store.incidents.to_incident``. Code that thinks in stored columns reads the grouped
# facts under their column names (``country_code``, ``location_name``, ``killed``...), and may build one
# from column names too: each group named by any of its columns takes all of them (missing ones are null).
class Incident(_Record):
    """One attack, merged from every report of it: the record in alerts (webhook ``incident``) and API answers."""

    id: int = Field(description="incident id")
    version: int = Field(description="rises by one each time a report changes the facts")
    title: str = Field(description="headline of the first report")
    summary: str = Field(description="what the reports add to the title (may be empty)")
    score: float = Field(description="classifier confidence, 0 to 1 (the highest of its reports)")
    categories: list[CategoryName] = Field(description="kinds of humanitarian target")
    event_types: list[EventTypeName] = Field(description="kinds of violence")
    country: Country
    location: Location
    occurred_on: date | None = Field(description="date of the attack (ISO 8601), when known")
    casualties: Casualties
    perpetrator: str | None = Field(description="who the reports say did it")
    organizations: list[str] = Field(description="humanitarian organisations the reports name")
    evidence: list[str] = Field(description="sentences of the reports that show the attack")
    articles: list[ArticleRef] = Field(description="every report of this incident, oldest first")
    first_seen: Instant = Field(description="when the first report was stored")
    updated: Instant = Field(description="when the facts last changed (the version rose)")
    # Used by filters and alert queueing; not part of the record.
    language: str | None = Field(default=None, exclude=True)
    historical: bool = Field(default=False, exclude=True)

    @field_serializer("score", when_used="json")
    def _rounded(self, score: float) -> float:
        return round(score, 4)

    @model_validator(mode="before")
    @classmethod
    def _group_columns(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not _COLUMN_GROUPS.keys() & data.keys():
            return data
        data = dict(data)
        for group in {group for column, (group, _key) in _COLUMN_GROUPS.items() if column in data}:
            if group in data:
                raise ValueError(f"{group} given both as a group and by column names")
            data[group] = {key: data.pop(col, None) for col, (grp, key) in _COLUMN_GROUPS.items() if grp == group}
        return data

    def as_record(self) -> dict[str, Any]:
        """The JSON-ready incident record (webhook ``incident`` object, outbox payload, API body)."""
        return self.model_dump(mode="json")

    @property
    def country_code(self) -> str | None:
        """``country.code``."""
        return self.country.code

    @property
    def country_name(self) -> str | None:
        """``country.name``."""
        return self.country.name

    @property
    def location_name(self) -> str | None:
        """``location.name``."""
        return self.location.name

    @property
    def lat(self) -> float | None:
        """``location.lat``."""
        return self.location.lat

    @property
    def lon(self) -> float | None:
        """``location.lon``."""
        return self.location.lon

    @property
    def killed(self) -> int | None:
        """``casualties.killed``."""
        return self.casualties.killed

    @property
    def injured(self) -> int | None:
        """``casualties.injured``."""
        return self.casualties.injured

    @property
    def kidnapped(self) -> int | None:
        """``casualties.kidnapped``."""
        return self.casualties.kidnapped


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
    kind: str = "rss"  # one of SOURCE_KINDS: which spider polls it


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
