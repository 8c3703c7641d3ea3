"""The attack date as the report states it, resolved against the publication date.

Order of preference (DESIGN.md section 6): an explicit or relative date in the evidence sentences or the
headline; then a relative day ("on Friday", "yesterday") in the sentences around the evidence or in the
lead, resolved against the publication date; then the publication date. Photo captions and credit lines
are left out by the caller (a caption's "October 23, 2010" is the picture's date), and explicit dates in
background paragraphs are never taken.
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


def _relative(w: str, nxt: str | None, lex: Lexicon, ref: date) -> date | None:
    if w in lex.weekdays:
        return ref - timedelta(days=(ref.weekday() - lex.weekdays[w]) % 7)
    if w in lex.relative_days:
        return ref + timedelta(days=lex.relative_days[w])
    if nxt is not None and f"{w} {nxt}" in lex.relative_days:
        return ref + timedelta(days=lex.relative_days[f"{w} {nxt}"])
    return None


def _words(text: str, lex: Lexicon) -> list[str]:
    norm = normalize_arabic(text) if lex.lang == "ar" else text
    return [w.lower() for w in _WORD.findall(norm)]


def attack_date(
    texts: list[str], lex: Lexicon, published: datetime | date | None, context: list[str] | None = None
) -> date | None:
    """The attack date: first explicit or relative date in ``texts`` (evidence, headline), else the
    first relative day in ``context`` (neighbours, lead), else the publication date."""
    ref = as_date(published)
    for text in texts:
        words = _words(text, lex)
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
            if ref is not None:
                rel = _relative(w, words[i + 1] if i + 1 < len(words) else None, lex, ref)
                if rel:
                    return rel
    if ref is not None:
        for text in context or []:
            words = _words(text, lex)
            for i, w in enumerate(words):
                rel = _relative(w, words[i + 1] if i + 1 < len(words) else None, lex, ref)
                if rel:
                    return rel
    return ref


def is_historical(occurred: date | None, published: datetime | date | None) -> bool:
    """An attack reported more than 30 days after it happened (anniversaries, retrospectives)."""
    ref = as_date(published)
    return bool(occurred and ref and (ref - occurred).days > HISTORICAL_DAYS)
