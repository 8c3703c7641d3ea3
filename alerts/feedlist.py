"""The feed list file (``config/feeds.yaml``): read and validated into plain ``FeedSource`` values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from alerts.models import FeedSource, SourceKind
from alerts.settings import FeedInterval, SettingsError

FEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class FeedSpec(BaseModel):
    """One feed entry as written in the list or posted to the API."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: SourceKind = Field(
        default="rss",
        description="what the URL answers with: an RSS/Atom feed, a GDELT DOC 2.0 ArtList JSON search "
        "or a ReliefWeb API reports list",
    )
    url: str = Field(description="the feed, or for gdelt and reliefweb the full API request (endpoint and query)")
    interval: FeedInterval | None = Field(
        default=None, description="'1s' to '30d' (default: [crawler] default_interval)"
    )
    language: str | None = Field(default=None, min_length=2, max_length=16)
    fetch_articles: bool | None = None

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not FEED_ID.match(value):
            raise ValueError("ids are 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
            raise ValueError("expected an http:// or https:// URL without spaces")
        check_api_request(info.data.get("kind", "rss"), value)
        return value

    def to_source(self, default_interval: float, default_fetch_articles: bool) -> FeedSource:
        """Fill in the defaults from the crawler settings."""
        return FeedSource(
            id=self.id,
            url=self.url,
            interval_seconds=max(1, round(self.interval or default_interval)),
            language=self.language,
            fetch_articles=default_fetch_articles if self.fetch_articles is None else self.fetch_articles,
            kind=self.kind,
        )


GDELT_MAX_RECORDS = 250  # the most a GDELT DOC 2.0 ArtList request may ask for
RELIEFWEB_MAX_LIMIT = 1000  # the most reports a ReliefWeb API list request may ask for


def check_api_request(kind: str, url: str) -> None:
    """Refuse (ValueError naming the parameter) an API request its source kind could not poll.

    A gdelt URL must ask for ``mode=ArtList`` and ``format=json`` with a ``query`` (GDELT otherwise answers
    HTML or an error text), ``maxrecords`` 1 to 250; a reliefweb URL must be a ``/reports`` list with
    ``limit`` 1 to 1000. The host is not checked, so tests and mirrors can serve the same API.
    """
    if kind == "rss":
        return
    parts = urlsplit(url)
    params = {name.lower(): value.strip() for name, value in parse_qsl(parts.query, keep_blank_values=True)}
    if kind == "gdelt":
        if not params.get("query"):
            raise ValueError("a gdelt URL needs a query=... parameter (see: aidwatch sources gdelt-queries)")
        if params.get("mode", "").lower() != "artlist":
            raise ValueError("a gdelt URL needs mode=ArtList (the article list)")
        if params.get("format", "").lower() != "json":
            raise ValueError("a gdelt URL needs format=json")
        _check_count(params.get("maxrecords"), "maxrecords", GDELT_MAX_RECORDS)
    elif kind == "reliefweb":
        if not parts.path.rstrip("/").endswith("/reports"):
            raise ValueError("a reliefweb URL must be the reports list, e.g. https://api.reliefweb.int/v2/reports?...")
        _check_count(params.get("limit"), "limit", RELIEFWEB_MAX_LIMIT)


def _check_count(value: str | None, name: str, most: int) -> None:
    if value is not None and not (value.isdigit() and 1 <= int(value) <= most):
        raise ValueError(f"{name} must be a whole number from 1 to {most}, not {value[:20]!r}")


def _named(entry: object) -> str:
    """`` (id 'reliefweb')`` when the entry has a readable id, so an error names the feed itself."""
    if isinstance(entry, dict) and isinstance(entry.get("id"), str | int) and str(entry["id"]).strip():
        return f" (id {str(entry['id'])[:100]!r})"
    return ""


def load_feed_list(path: Path, default_interval: float, default_fetch_articles: bool) -> list[FeedSource]:
    """Read the YAML feed list; any problem raises SettingsError naming the file, the entry and the key."""
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: feed list not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SettingsError(f"{path}: cannot read feed list: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("feeds"), list):
        raise SettingsError(f"{path}: expected a mapping with a 'feeds' list")
    sources: list[FeedSource] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["feeds"]):
        try:
            spec = FeedSpec.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "entry"
            reason = first["msg"].removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                reason = "unknown key"
            raise SettingsError(f"{path}: feeds[{index}]{_named(entry)} {key}: {reason}") from None
        if spec.id in seen:
            raise SettingsError(f"{path}: feeds[{index}] id: duplicate feed id {spec.id!r}")
        seen.add(spec.id)
        sources.append(spec.to_source(default_interval, default_fetch_articles))
    return sources
