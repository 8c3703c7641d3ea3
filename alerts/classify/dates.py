"""The attack date as the report states it, resolved against the publication date.

Order of preference: a date in the evidence sentences or the headline; then a
relative day ("on Friday", "yesterday", "two days ago") in the sentences around the evidence or in the
lead, resolved against the publication date; then the publication date. Photo captions and credit
lines are left out by the caller (a caption's "October 23, 2010" is the picture's date), and explicit
dates in background paragraphs are never taken. A date after publication is never returned.

What is read, all from the language's lexicon (so a new language works once its lexicon has the keys):

- numeric dates: "2024-03-05", "05/03/2024", "5.3.2024" (``date_order``: day first unless the lexicon
  says ``MDY``; a first number over 12 is a day whatever the order);
- written dates around a ``months`` word: "5 March", "March 5, 2024", "le 5 mars", "el 5 de marzo";
- relative days (``weekdays``, ``relative_days``: "on Tuesday", "hier", "ayer", "أمس", "last week") and
  ``ago`` patterns with a count and a ``time_units`` word ("two days ago", "il y a deux jours",
  "hace dos días", "há dois dias"; the count is digits or one number word read by text2num).

A language whose lexicon has no month names is read with dateparser's ``search_dates`` instead, on
the evidence and the headline only (it costs milliseconds a sentence, the whole budget of a note).
``old_attack_date`` also counts coarse mentions ("in 2019", "last year") for the historical check.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from alerts.classify.lexicon import Lexicon, normalize_arabic
from alerts.classify.number_words import word_value

HISTORICAL_DAYS = 30
_WORD = re.compile(r"\d{1,4}|[^\W\d_]+", re.UNICODE)
_DIGIT = re.compile(r"\d")
_ISO = re.compile(r"(?<![\d/.-])((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.-]?\d)")
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2((?:19|20)\d\d|\d\d)(?![\d/.-]?\d)")


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


_PHRASES: dict[int, tuple[dict[str, int], frozenset[str]]] = {}


def _relative_days(lex: Lexicon) -> tuple[dict[str, int], frozenset[str]]:
    """``relative_days`` keyed by their words joined by one space ("aujourd'hui" → "aujourd hui"), and
    the set of their first words (most words of a sentence start no phrase: one set lookup)."""
    key = id(lex)  # lexicons are cached for the life of the process
    if key not in _PHRASES:
        phrases = {" ".join(_WORD.findall(k)): v for k, v in lex.relative_days.items()}
        _PHRASES[key] = (phrases, frozenset(k.split(" ")[0] for k in phrases))
    return _PHRASES[key]


def _relative(words: list[str], i: int, lex: Lexicon, ref: date) -> date | None:
    w = words[i]
    if w in lex.weekdays:
        return ref - timedelta(days=(ref.weekday() - lex.weekdays[w]) % 7)
    phrases, firsts = _relative_days(lex)
    if w not in firsts:
        return None
    for n in (3, 2, 1):  # "la semaine dernière", "last week", "yesterday"
        if i + n <= len(words):
            days = phrases.get(" ".join(words[i : i + n]))
            if days is not None:
                return ref + timedelta(days=days)
    return None


def _norm(text: str, lex: Lexicon) -> str:
    return normalize_arabic(text) if lex.lang == "ar" else text


def _numeric(text: str, lex: Lexicon) -> list[tuple[int, date]]:
    """(position, date) of "2024-03-05", "05/03/2024", "5.3.2024"."""
    out: list[tuple[int, date]] = []
    if _DIGIT.search(text) is None:
        return out
    for m in _ISO.finditer(text):
        d = _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            out.append((m.start(), d))
    for m in _NUMERIC.finditer(text):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if y < 100:
            if m.group(2) != "/":
                continue  # "5.3.24" is as often a version or a score as a date
            y += 2000
        day, month = (b, a) if lex.date_order == "MDY" else (a, b)
        if month > 12 >= day:
            day, month = month, day
        d = _safe(y, month, day)
        if d:
            out.append((m.start(), d))
    return out


def _ago(text: str, lex: Lexicon, ref: date) -> list[tuple[int, date]]:
    """(position, date) of "two days ago", "il y a trois semaines", "hace dos días"."""
    if lex.ago is None:
        return []
    out: list[tuple[int, date]] = []
    for m in lex.ago.finditer(text):  # the count is one token: digits or a number word ("two", "deux", "a")
        groups = [g for g in m.groups() if g is not None]
        if len(groups) < 2:
            continue
        count, unit = groups[0].lower(), groups[1].lower()
        n = int(count) if count.isdigit() else lex.numbers.get(count, word_value(count, lex.lang))
        days = lex.time_units.get(unit)
        if n is None or days is None or n > 100:
            continue
        # "bombed three years ago, hit again yesterday": a month or year count is coarse, and ranks after
        # any day-precise date of the same sentence.
        out.append((m.start() + (len(text) if days >= 30 else 0), ref - timedelta(days=n * days)))
    return out


def _dates_in(text: str, lex: Lexicon, ref: date | None, explicit: bool = True) -> list[date]:
    """Every date written in ``text``, first written first, none after ``ref``; ``explicit``: also
    month-word and numeric dates (else relative days and "N days ago" only)."""
    norm = _norm(text, lex)
    by_word: list[tuple[int, date]] = []  # (word index, date)
    words = _WORD.findall(norm.lower())
    for i, w in enumerate(words):
        if explicit and w in lex.months:
            if (
                lex.lang == "en"
                and w in ("may", "march")
                and not ((i > 0 and words[i - 1].isdigit()) or (i + 1 < len(words) and words[i + 1].isdigit()))
            ):
                continue  # the verb "may", the noun "march"
            d = _explicit(words, i, lex, ref)
            if d:
                by_word.append((i, d))
        if ref is not None:
            rel = _relative(words, i, lex, ref)
            if rel:
                by_word.append((i, rel))
    by_pos = (_numeric(norm, lex) if explicit else []) + (_ago(norm, lex, ref) if ref is not None else [])
    if by_pos:  # rare: only then are word positions worth computing, to keep the written order
        starts = [m.start() for m in _WORD.finditer(norm)]
        found = sorted([(starts[i], d) for i, d in by_word] + by_pos, key=lambda pd: pd[0])
    else:
        found = by_word
    return [d for _p, d in found if ref is None or d <= ref]  # never after publication


def _search_dates(texts: list[str], lang: str, ref: date | None) -> date | None:
    """dateparser for a language whose lexicon has no month names (slow: evidence and headline only)."""
    from dateparser.search import search_dates

    settings: dict[str, object] = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if ref is not None:
        settings["RELATIVE_BASE"] = datetime(ref.year, ref.month, ref.day)
    for text in texts:
        try:
            hits = search_dates(text, languages=[lang], settings=settings)
        except (ValueError, KeyError):  # an unknown language code, or a date dateparser cannot build
            return None
        for _s, when in hits or []:
            d = when.date()
            if ref is None or d <= ref:
                return d
    return None


def attack_date(
    texts: list[str], lex: Lexicon, published: datetime | date | None, context: list[str] | None = None
) -> date | None:
    """The attack date: the first date in ``texts`` (evidence, headline), else the first relative day in
    ``context`` (neighbours, lead), else the publication date; never after the publication date."""
    ref = as_date(published)
    for text in texts:
        found = _dates_in(text, lex, ref)
        if found:
            return found[0]
    if not lex.months and texts:
        d = _search_dates(texts, lex.lang, ref)
        if d:
            return d
    if ref is not None:
        for text in context or []:
            found = _dates_in(text, lex, ref, explicit=False)
            if found:
                return found[0]
    return ref


def _coarse(text: str, lex: Lexicon, ref: date) -> date | None:
    """The latest day a coarse mention can mean: "in 2019" → 31 Dec 2019, "last year" → 31 Dec last year."""
    norm = _norm(text, lex).lower()
    best: date | None = None
    if lex.year_prefix is not None:
        for m in lex.year_prefix.finditer(norm):
            d = min(date(int(m.group(1)), 12, 31), ref)
            best = d if best is None else min(best, d)
    for phrase, days in lex.relative_periods.items():
        if phrase in norm:
            if days <= -365:
                d = date(ref.year + days // 365, 12, 31)
            elif days <= -28:
                d = ref.replace(day=1) - timedelta(days=1)  # "last month": its last day
            else:
                d = ref + timedelta(days=days)
            best = d if best is None else min(best, d)
    return best


def old_attack_date(texts: list[str], lex: Lexicon, published: datetime | date | None) -> date | None:
    """When the evidence places the attack, for telling an old attack from news: the first date written
    in ``texts``, else coarse mentions ("in 2019", "last year", "three years ago") at the latest day
    they can mean; None when the evidence dates nothing (or there is no publication date)."""
    ref = as_date(published)
    if ref is None:
        return None
    for text in texts:
        found = _dates_in(text, lex, ref)
        if found:
            return found[0]
    coarse = [d for d in (_coarse(t, lex, ref) for t in texts) if d is not None]
    return min(coarse) if coarse else None


def is_historical(occurred: date | None, published: datetime | date | None) -> bool:
    """An attack reported more than 30 days after it happened (anniversaries, retrospectives)."""
    ref = as_date(published)
    return bool(occurred and ref and (ref - occurred).days > HISTORICAL_DAYS)
