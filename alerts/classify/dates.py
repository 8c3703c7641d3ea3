"""The attack date as the report states it, resolved against the publication date.

Only the evidence sentences and the headline are searched: dates in photo captions and background
paragraphs are not the attack's date (DESIGN.md section 6). Without a stated date the publication date
is used.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from alerts.classify.lexicon import Lexicon, normalize_arabic

HISTORICAL_DAYS = 30
_WORD = re.compile(r"\d{1,4}|[^\W\d_]+", re.UNICODE)


def as_date(value: datetime | date | None) -> date | None:
    """A date from a date, a datetime or None."""
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _explicit(words: list[str], i: int, lex: Lexicon, ref: date | None) -> date | None:
    """A date around month word ``words[i]``: "27 June 2021", "June 27, 2021", "octobre 2023", "12 de marzo"."""
    month = lex.months[words[i]]
    day = None
    year = None
    for j in (i - 1, i - 2):  # day before the month: "27 June", "12 de marzo"
        if j >= 0 and words[j].isdigit() and 1 <= int(words[j]) <= 31:
            day = int(words[j])
            break
    for j in (i + 1, i + 2, i + 3):
        if j < len(words) and words[j].isdigit():
            n = int(words[j])
            if day is None and 1 <= n <= 31 and j == i + 1:
                day = n
            elif 1900 <= n <= 2100:
                year = n
                break
    if year is None:
        if ref is None:
            return None
        year = ref.year
        candidate = _safe(year, month, day or 1)
        if candidate and candidate > ref + timedelta(days=2):
            year -= 1  # "On October 26" in a January report is last October
    return _safe(year, month, day or 1)


def attack_date(texts: list[str], lex: Lexicon, published: datetime | date | None) -> date | None:
    """First explicit or relative date in ``texts`` (evidence first), else the publication date."""
    ref = as_date(published)
    for text in texts:
        norm = normalize_arabic(text) if lex.lang == "ar" else text
        words = [w.lower() for w in _WORD.findall(norm)]
        for i, w in enumerate(words):
            if w in lex.months:
                if (
                    lex.lang == "en"
                    and w in ("may", "march")
                    and not ((i > 0 and words[i - 1].isdigit()) or (i + 1 < len(words) and words[i + 1].isdigit()))
                ):
                    continue  # the verb "may", the noun "march"
                found = _explicit(words, i, lex, ref)
                if found:
                    return found
            if ref is None:
                continue
            if w in lex.weekdays:
                back = (ref.weekday() - lex.weekdays[w]) % 7
                return ref - timedelta(days=back)
            if w in lex.relative_days:
                return ref + timedelta(days=lex.relative_days[w])
            if i + 1 < len(words) and f"{w} {words[i + 1]}" in lex.relative_days:
                return ref + timedelta(days=lex.relative_days[f"{w} {words[i + 1]}"])
    return ref


def is_historical(occurred: date | None, published: datetime | date | None) -> bool:
    """An attack reported more than 30 days after it happened (anniversaries, retrospectives)."""
    ref = as_date(published)
    return bool(occurred and ref and (ref - occurred).days > HISTORICAL_DAYS)
