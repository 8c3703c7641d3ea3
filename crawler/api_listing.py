"""Listings from search APIs (GDELT DOC 2.0, ReliefWeb): JSON answers turned into feed entries. Pure functions.

Each answer is read the way its API documents it; anything else (an HTML or text message instead of JSON,
JSON without the expected list) raises :class:`FeedParseError` with a one-line reason that names the
source and quotes what it said, so ``aidwatch feeds`` shows why the poll failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.feed_parser import (
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
    FeedEntry,
    FeedParseError,
    canonical_url,
    clean_text,
    entry_key,
)

QUOTED_CHARS = 200  # how much of an unexpected answer an error message quotes

# GDELT names languages in English ("Arabic"); its ``sourcelang:`` operator takes the same names in lower case.
# Only the languages aidwatch has a lexicon for: any other is left to the classifier's language detection.
GDELT_LANGUAGES: dict[str, str] = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "ar": "arabic",
    "pt": "portuguese",
    "tl": "tagalog",
    "sw": "swahili",
    "ha": "hausa",
    "so": "somali",
    "ps": "pashto",
    "fa": "persian",
    "ru": "russian",
    "uk": "ukrainian",
    "tr": "turkish",
    "id": "indonesian",
}
_GDELT_CODES = {name: code for code, name in GDELT_LANGUAGES.items()}


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of an API answer: its entries (in answer order, duplicates dropped), and what else it said."""

    entries: list[FeedEntry]
    received: int = 0  # items in the answer, duplicates and unusable ones included
    skipped: int = 0  # items without a usable http(s) link or title
    next_url: str | None = None  # the next page, when the API pages its answers
    total: int | None = None  # how many items match the query in all, when the API says


def quote(body: bytes) -> str:
    """The start of an answer as one line, for error messages (an API's own complaint is usually there)."""
    text = " ".join(body[:2000].decode("utf-8", "replace").split())
    return repr(text[:QUOTED_CHARS] + ("..." if len(text) > QUOTED_CHARS else ""))


def _json_object(body: bytes, source: str) -> dict[str, Any]:
    if not body.strip():
        raise FeedParseError(f"{source}: empty response body")
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FeedParseError(f"{source}: the answer is not JSON: {quote(body)}") from None
    if not isinstance(document, dict):
        raise FeedParseError(f"{source}: expected a JSON object, got {type(document).__name__}: {quote(body)}")
    return document


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or any(c.isspace() for c in url):
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def parse_gdelt_artlist(body: bytes) -> Listing:
    """A GDELT DOC 2.0 answer in ArtList mode, JSON format: ``{"articles": [{"url", "title", "seendate", ...}]}``.

    GDELT answers ``{}`` when nothing matched, and a plain-text message (not JSON) when it refuses the query
    or the request rate; the latter is an error quoting the message.
    """
    document = _json_object(body, "GDELT")
    articles = document.get("articles", [])
    if not isinstance(articles, list):
        raise FeedParseError(f"GDELT: 'articles' is not a list: {quote(body)}")
    entries: list[FeedEntry] = []
    keys: set[str] = set()
    skipped = 0
    for article in articles:
        link = _http_url(article.get("url")) if isinstance(article, dict) else None
        if link is None or not isinstance(article, dict):
            skipped += 1
            continue
        url = canonical_url(link)
        key = entry_key(None, url)
        if key in keys:
            continue
        keys.add(key)
        language = article.get("language")
        entries.append(
            FeedEntry(
                key=key,
                guid=None,
                link=link,
                url=url,
                title=clean_text(article.get("title"), MAX_TITLE_CHARS) or url,
                summary="",
                published=_gdelt_time(article.get("seendate")),
                language=_GDELT_CODES.get(language.strip().lower()) if isinstance(language, str) else None,
            )
        )
    return Listing(entries, len(articles), skipped)


def _gdelt_time(value: object) -> datetime | None:
    """``20261120T091500Z`` (when GDELT saw the article, UTC) as a datetime."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_reliefweb_reports(body: bytes, page_url: str) -> Listing:
    """A ReliefWeb API list answer: ``{"totalCount", "count", "data": [{"id", "fields": {...}}], "links"}``.

    Each report becomes an entry keyed by its ReliefWeb id; its link is the report's page (``url_alias``,
    else ``url``), its summary the report's ``body`` text when the request asked for it (``profile=full`` or
    ``fields[include][]=body``), its date ``date.original`` (else ``date.created``). ``links.next.href`` is the
    next page, resolved against ``page_url``.
    """
    document = _json_object(body, "ReliefWeb")
    data = document.get("data")
    if not isinstance(data, list):
        raise FeedParseError(f"ReliefWeb: the answer has no 'data' list: {quote(body)}")
    entries: list[FeedEntry] = []
    keys: set[str] = set()
    skipped = 0
    for item in data:
        entry = _report(item) if isinstance(item, dict) else None
        if entry is None:
            skipped += 1
        elif entry.key not in keys:
            keys.add(entry.key)
            entries.append(entry)
    total = document.get("totalCount")
    return Listing(
        entries,
        len(data),
        skipped,
        next_url=_next_href(document.get("links"), page_url),
        total=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )


def _report(item: dict[str, Any]) -> FeedEntry | None:
    fields = item.get("fields")
    report_id = item.get("id")
    if not isinstance(fields, dict) or not isinstance(report_id, str | int) or isinstance(report_id, bool):
        return None
    link = _http_url(fields.get("url_alias")) or _http_url(fields.get("url"))
    title = clean_text(fields.get("title"), MAX_TITLE_CHARS)
    if link is None or not title:
        return None
    dates = fields.get("date")
    if not isinstance(dates, dict):
        dates = {}
    return FeedEntry(
        key=entry_key(f"reliefweb:{report_id}", None),
        guid=str(report_id),
        link=link,
        url=canonical_url(link),
        title=title,
        summary=clean_text(fields.get("body"), MAX_SUMMARY_CHARS),
        published=_iso_time(dates.get("original")) or _iso_time(dates.get("created")),
        language=None,
    )


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _next_href(links: object, page_url: str) -> str | None:
    following = links.get("next") if isinstance(links, dict) else None
    href = following.get("href") if isinstance(following, dict) else None
    return _http_url(urljoin(page_url, href)) if isinstance(href, str) and href.strip() else None
