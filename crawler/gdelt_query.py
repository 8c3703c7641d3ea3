"""``aidwatch sources gdelt-queries``: GDELT DOC 2.0 feed entries built from the classifier's lexicons. Pure.

GDELT searches the English machine translation of every article it monitors (its native-language search was
phased out), so the keywords of every query come from the English lexicon, and each language aidwatch has a
lexicon for gets its own query restricted with ``sourcelang:``. A query asks for a humanitarian target AND an
act of violence: ``(clinic OR "red cross" ...) (attack OR kidnap ...) sourcelang:arabic``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from alerts.models import EVENT_TYPES
from crawler.api_listing import GDELT_LANGUAGES

GDELT_DOC_API = "https://api.gdeltproject.org/api/v2/doc/doc"
# Lexicon categories whose words name the target and the act; the *_weak target lists (patients, camps,
# refugees...) would match most war reporting.
TARGET_CATEGORIES = ("un", "ngo", "red_cross", "health", "aid_convoy_or_warehouse", "camp", "other_humanitarian")
VIOLENCE_CATEGORIES = tuple(
    kind for kind in EVENT_TYPES if kind not in ("detention", "sexual_violence", "other")
)  # not "harm" (death, injured...): with a hospital it matches most health news
TERMS_PER_CATEGORY = 3  # the first plain words of each category (lexicons list the commonest first)
MIN_TERM_CHARS = 5  # shorter words and acronyms (UN, IDP, NGO) match too much text
DEFAULT_TIMESPAN = "24h"

# Reading a lexicon pattern as the word or phrase it matches first: optional parts go ("clinics?" -> "clinic",
# "attack(?:ed|s)?" -> "attack"), a group of alternatives becomes its first one ("aid (?:workers?|staff)" ->
# "aid worker"). Patterns with anything else (look-arounds, \S+, digits) give no term.
_OPTIONAL_GROUP = re.compile(r"\(\?:[^()]*\)\?")
_OPTIONAL_CHAR = re.compile(r"[^\s()\\]\?")
_GROUP = re.compile(r"\(\?:([^()|]*)(?:\|[^()]*)?\)")
_PLAIN = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)*$")


def plain_term(pattern: str) -> str | None:
    """The word or phrase a lexicon pattern matches first, when it is plain words (see above), else None."""
    previous = None
    while previous != pattern:
        previous = pattern
        pattern = _GROUP.sub(r"\1", _OPTIONAL_GROUP.sub("", pattern))
    term = " ".join(_OPTIONAL_CHAR.sub("", pattern).split())
    if not _PLAIN.match(term) or len(term) < MIN_TERM_CHARS:
        return None
    return term.lower()


def lexicon_terms(sections: dict[str, Any], categories: tuple[str, ...]) -> list[str]:
    """Up to :data:`TERMS_PER_CATEGORY` plain terms of each category, in lexicon order, without repeats."""
    terms: list[str] = []
    for category in categories:
        patterns = sections.get(category) or []
        found = [term for term in (plain_term(p) for p in patterns if isinstance(p, str)) if term]
        terms.extend(term for term in found[:TERMS_PER_CATEGORY] if term not in terms)
    return terms


def _any_of(terms: list[str]) -> str:
    return "(" + " OR ".join(f'"{t}"' if " " in t else t for t in terms) + ")"


def gdelt_query(targets: list[str], violence: list[str], language: str) -> str:
    """The GDELT query: a target term, a violence term, articles in ``language`` (ISO 639-1) only."""
    return f"{_any_of(targets)} {_any_of(violence)} sourcelang:{GDELT_LANGUAGES[language]}"


def gdelt_feed_entries(lexicon_dir: Path, timespan: str = DEFAULT_TIMESPAN) -> list[dict[str, str]]:
    """One ``kind: gdelt`` feed-list entry per language that has both a lexicon and a GDELT language name."""
    english = yaml.safe_load((lexicon_dir / "en.yaml").read_text(encoding="utf-8"))
    targets = lexicon_terms(english.get("targets") or {}, TARGET_CATEGORIES)
    violence = lexicon_terms(english.get("violence") or {}, VIOLENCE_CATEGORIES)
    languages = sorted(path.stem for path in lexicon_dir.glob("*.yaml") if path.stem in GDELT_LANGUAGES)
    entries = []
    for language in languages:
        query = {
            "query": gdelt_query(targets, violence, language),
            "mode": "ArtList",
            "format": "json",
            "maxrecords": "250",
            "sort": "DateDesc",
            "timespan": timespan,
        }
        url = f"{GDELT_DOC_API}?{urlencode(query)}"
        entries.append({"id": f"gdelt-{language}", "kind": "gdelt", "language": language, "url": url})
    return entries


def format_feed_entries(entries: list[dict[str, str]]) -> str:
    """The entries as lines to paste under ``feeds:`` in the feed list."""
    lines = ["# GDELT DOC 2.0 searches, one per language (aidwatch sources gdelt-queries); paste under feeds:"]
    for entry in entries:
        fields = ", ".join(f"{key}: {value}" if key != "url" else f'url: "{value}"' for key, value in entry.items())
        lines.append(f"  - {{{fields}}}")
    return "\n".join(lines)
