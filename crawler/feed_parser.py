"""Feed parsing: feedparser glue, entry keys and canonical URLs. Pure functions, no I/O.

feedparser copes with RSS 0.9x/1.0/2.0, Atom and RDF in any encoding and falls back to a loose
parser for broken XML; it never resolves external entities and expat refuses entity amplification
(billion laughs), so a hostile feed costs at most its (capped) size.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
from w3lib.html import remove_tags, remove_tags_with_content, replace_entities
from w3lib.url import canonicalize_url

MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 20_000
MAX_KEY_CHARS = 500  # seen_entries.entry_key is VARCHAR(512)
MAX_URL_CHARS = 4_000

# Query parameters that only track where a click came from: the same article behind two newsletters
# must get one key. Exact names; utm_* and similar families are matched by prefix below.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "ocid", "cmpid",
        "cmp", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "smid", "smtyp",
        "_ga", "_gl", "ref_src", "ref_url", "guccounter", "xtor", "wt_mc", "wt.mc_id", "rss", "feed",
        "src", "spm",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "__s", "oly_")

_SPACE = re.compile(r"\s+")
_CODE_TAGS = ("script", "style", "noscript", "template")
# An internal DTD subset (``<!DOCTYPE rss [ <!ENTITY ...> ]>``) has no use in a feed and is how
# billion-laughs bombs are built: expat stops them, but only after ~1-2 s of CPU per feed.
_DTD_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)
_PROLOG_BYTES = 65_536


class FeedParseError(ValueError):
    """The body is not a feed feedparser can read (empty, an HTML page, garbage)."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a feed, reduced to what aidwatch needs, as plain text."""

    key: str
    guid: str | None
    link: str | None
    url: str | None  # canonical link, tracking parameters stripped
    title: str
    summary: str
    published: datetime | None
    language: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its entries (in feed order, duplicates dropped) and feedparser's complaints."""

    version: str
    title: str
    language: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    bozo: bool = False
    bozo_message: str | None = None


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed body fetched from ``url``; raise :class:`FeedParseError` when it is no feed.

    ``headers`` (the HTTP response headers) give feedparser the declared charset and base URL.
    """
    if not body.strip():
        raise FeedParseError("empty response body")
    body = strip_dtd_subset(body)
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    # Entry HTML is reduced to plain text below (clean_text), so feedparser's sanitizer and its
    # rewriting of relative URIs inside that HTML would be undone work (~15% of a parse). Entry links,
    # GUIDs and enclosures are still made absolute against the feed URL: feedparser does that always.
    parsed: Any = feedparser.parse(
        body, response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False
    )
    version = parsed.get("version") or ""
    bozo_exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not version and not parsed.entries:
        raise FeedParseError(_not_a_feed(body, response_headers, bozo_exc))
    feed_info = parsed.get("feed", {})
    language = _language(feed_info.get("language"))
    entries: list[FeedEntry] = []
    keys: set[str] = set()
    for raw in parsed.entries:
        entry = _entry(raw, language)
        if entry is not None and entry.key not in keys:
            keys.add(entry.key)
            entries.append(entry)
    return ParsedFeed(
        version=version or "unknown",
        title=clean_text(feed_info.get("title", ""), MAX_TITLE_CHARS),
        language=language,
        entries=entries,
        bozo=bozo_exc is not None,
        bozo_message=_describe(bozo_exc) if bozo_exc is not None else None,
    )


def strip_dtd_subset(body: bytes) -> bytes:
    """``body`` without an internal DTD subset in its prolog (entity declarations are never needed)."""
    head = body[:_PROLOG_BYTES]
    if b"<!entity" not in head.lower():
        return body
    return _DTD_SUBSET.sub(b"", head, count=1) + body[_PROLOG_BYTES:]


def canonical_url(url: str) -> str:
    """``url`` without tracking parameters or fragment, in w3lib's canonical form (sorted query)."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    stripped = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return canonicalize_url(stripped)


def entry_key(guid: str | None, url: str | None, title: str = "", summary: str = "") -> str:
    """The entry's identity: its GUID, else its canonical URL, else a hash of its text.

    Over-long keys are hashed so they fit the seen-entries column and stay unique.
    """
    key = (guid or "").strip() or (url or "")
    if not key:
        key = "text:" + hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    if len(key) > MAX_KEY_CHARS:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def clean_text(value: object, limit: int) -> str:
    """Plain one-paragraph text: tags removed, entities decoded, whitespace (CR/LF too) collapsed."""
    if not isinstance(value, str) or not value:
        return ""
    # Script and style bodies are code, not text: dropped with their tags (the sanitizer is off).
    text = replace_entities(remove_tags(remove_tags_with_content(value, _CODE_TAGS)))
    text = _SPACE.sub(" ", text).strip()
    return text[:limit].rstrip()


def _entry(raw: Any, feed_language: str | None) -> FeedEntry | None:
    title = clean_text(raw.get("title", ""), MAX_TITLE_CHARS)
    summary = _summary(raw)
    guid = raw.get("id") or None
    link = _http_link(raw)
    url = canonical_url(link) if link else None
    if not (guid or url or title):
        return None
    return FeedEntry(
        key=entry_key(guid, url, title, summary),
        guid=guid,
        link=link,
        url=url,
        title=title or (summary[:120] if summary else url or ""),
        summary=summary,
        published=_published(raw),
        language=_language((raw.get("title_detail") or {}).get("language")) or feed_language,
    )


def _summary(raw: Any) -> str:
    summary = raw.get("summary", "")
    content = raw.get("content") or []
    # Atom full content beats a teaser when the page cannot be fetched.
    longest = max((c.get("value", "") for c in content), key=len, default="")
    if len(longest) > len(summary):
        summary = longest
    return clean_text(summary, MAX_SUMMARY_CHARS)


def _http_link(raw: Any) -> str | None:
    link = (raw.get("link") or "").strip()
    if not link:
        for candidate in raw.get("links") or []:
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"].strip()
                break
    if not link or len(link) > MAX_URL_CHARS or urlsplit(link).scheme not in ("http", "https"):
        return None
    return link


def _published(raw: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(raw, name)  # plain dict access: skips feedparser's deprecated key aliasing
        if value:
            try:
                # feedparser normalises dates to UTC struct_time.
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _not_a_feed(body: bytes, headers: Mapping[str, str], exc: object) -> str:
    head = body.lstrip()[:512].lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "not a feed: an HTML page was served"
    content_type = headers.get("content-type")
    detail = _describe(exc) if exc is not None else "no RSS, Atom or RDF element found"
    return f"not a feed ({content_type or 'no content type'}): {detail}"


def _describe(exc: object) -> str:
    name = type(exc).__name__
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{name}: {message}"[:500] if message else name
