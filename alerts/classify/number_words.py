"""Reading numbers in text: number words as digits, and the tokens of a sentence with the head-count they give.

Number words are read by text2num (en, fr, es, pt and other languages it knows: "Twenty three", "Vingt-trois",
"Veintitrés", "vinte e três"); the lexicon's ``numbers`` adds what it does not read (Arabic number words and
duals such as "شخصين", articles, "both"). A token has a head-count only when it can count people: measures
("two days"), years, days of the month, ordinals and negated numbers ("no one") have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit, text2num

from alerts.classify.lexicon import Lexicon

# Languages text2num reads; others (Arabic) rely on the lexicon's number words.
TEXT2NUM_LANGS = frozenset({"en", "fr", "es", "pt", "de", "it", "nl", "da"})
MAX_COUNT = 999_999

_TOKEN = re.compile(r"\d(?:[\d,.]*\d)?|[^\W\d_](?:[\w'’-]*\w)?|[.;:!?؟،,()—–]", re.UNICODE)
_AR_TENS = frozenset(range(20, 100, 10))


@dataclass(slots=True)
class Token:
    """One word, number or punctuation mark of a sentence, with the head-count it gives (if any)."""

    start: int
    end: int
    text: str
    low: str
    value: int | None = None
    skip: bool = False  # inside an "including ..." aside: not the clause's own figure
    one_noun: bool = False  # an Arabic singular victim noun ("موظف"): one victim right after the casualty word
    joined: int | None = None  # Arabic "و" + a count or a victim noun ("وشرطي"): one more coordinated group


def to_digits(text: str, lang: str) -> str:
    """Number words written as digits ("Twenty three" → "23"); "one"/"un"/"a" stay words (articles)."""
    if lang not in TEXT2NUM_LANGS:
        return text
    try:
        # threshold 2: isolated "one"/"un"/"uno" stay words, so the casualty reader can tell an
        # article from a count.
        return str(alpha2digit(text, lang, threshold=2))
    except ValueError:
        return text


@lru_cache(maxsize=8192)
def word_value(word: str, lang: str) -> int | None:
    """The value of one number word text2num knows ("uma", "uno", "one"), else None."""
    if lang not in TEXT2NUM_LANGS or not word.isalpha():
        return None
    try:
        v = text2num(word, lang)
    except ValueError:
        return None
    return int(v) if isinstance(v, int | float) and v == int(v) else None


def value_tokens(text: str, lex: Lexicon) -> list[Token]:
    """Tokens with their head-count value: measures, years, ordinals and negated numbers have none."""
    toks = [Token(m.start(), m.end(), w, w.lower()) for m in _TOKEN.finditer(text) for w in (m.group(),)]
    ones = lex.singular_victims
    for i, t in enumerate(toks):
        nxt = toks[i + 1].low if i + 1 < len(toks) else ""
        if lex.lang == "ar" and len(t.low) > 2 and t.low[0] == "و":
            rest = t.low[1:]  # "وشرطي" (and a policeman), "وثلاثه" (and three)
            t.joined = lex.numbers.get(rest) or (1 if rest in ones else None)
        if t.text[0].isdigit():
            after = text[t.end : t.end + 1]
            if after and (after.isalpha() or after in "-%°"):
                continue  # "2nd", "35-year-old", "5%"
            digits = t.text.replace(",", "").split(".")[0]
            if not digits.isdigit() or len(digits) > 6:
                continue
            v = int(digits)
            if 1900 <= v <= 2100 and "," not in t.text:
                continue  # a year
        else:
            found = lex.numbers.get(t.low)
            word = found if found is not None else word_value(t.low, lex.lang)
            if word is None and t.low in ones:
                word, t.one_noun = 1, True
            if word is None:
                continue
            v = word
            if lex.lang == "ar" and v < 10 and nxt.startswith("و") and lex.numbers.get(nxt[1:]) in _AR_TENS:
                v += lex.numbers[nxt[1:]]  # "ثلاثة وعشرون" = 3 + 20
                toks[i + 1].skip = True
        if nxt in lex.number_units or (i > 0 and toks[i - 1].low in lex.negations):
            continue  # "two days", "no one"
        if (i > 0 and toks[i - 1].low in lex.months) or any(n.low in lex.months for n in toks[i + 1 : i + 3]):
            continue  # a day of the month: "On 3 May 2018", "el 5 de marzo", "March 3"
        if 0 <= v <= MAX_COUNT:
            t.value = v
    return toks
