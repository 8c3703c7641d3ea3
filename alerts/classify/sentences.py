"""Text clean-up, sentence splitting, tokenising and a cheap language check.

The classifier works sentence by sentence, so this module decides what a "sentence" is: a headline,
a paragraph line, or a piece of a paragraph cut at sentence-final punctuation.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Feeds and scraped CSVs often carry UTF-8 read as cp1252 ("Peopleâ€™s"); repair before matching.
_MOJIBAKE = re.compile("â€|Ã[\u0080-\u00ff]|Â ")
_SPACES = re.compile(r"[ \t\u00a0\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
# Cut after . ! ? ؟ … when the next chunk starts like a sentence; keeps "U.N." and "3.5" together.
_SENT_END = re.compile(r"(?<=[.!?؟…])[\"'”»)]*\s+(?=[\"“«(¿¡]?[A-ZÀ-ÖØ-Þ0-9\u0600-\u06ff])")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|St|No|Mt|Jan|Feb|Aug|Sept|Oct|Nov|Dec)|\b[A-Z])\.$"
)
# News digests and social-media posts list separate items behind bullets, pipes or "_"; each item is
# its own sentence, so violence in one item is not read as happening to a target named in another.
_BULLET = re.compile(r"[◀▶►▪•●■◆⬅🔴🔻🔹🔸📌✅]\ufe0f?|(?<=\s)_(?=\S)|(?<=\s)\|(?=\s)|(?<=\s)-(?=\s[\"“«])")
_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[A-Za-zÀ-ÿ]")

MAX_SENTENCES = 400  # a runaway page (comment threads, tables) should not cost more than a long article


def clean(text: str) -> str:
    """Repair common mojibake and squeeze spaces (newlines are kept: they separate paragraphs)."""
    if not text:
        return ""
    if _MOJIBAKE.search(text):
        try:
            text = text.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            text = text.replace("â€™", "’").replace("â€œ", "“").replace("â€\x9d", "”").replace("â€“", "–")
    return _SPACES.sub(" ", text)


def split_sentences(text: str) -> list[str]:
    """Paragraph lines cut at sentence-final punctuation; empty pieces dropped."""
    out: list[str] = []
    for line in text.split("\n"):
        for para in _BULLET.split(line):
            _split_para(para.strip(), out)
        if len(out) >= MAX_SENTENCES:
            break
    return out[:MAX_SENTENCES]


def _split_para(para: str, out: list[str]) -> None:
    """Append the sentences of one paragraph (or bullet item) to ``out``."""
    if para:
        start = 0
        for m in _SENT_END.finditer(para):
            piece = para[start : m.start()].strip()
            if _ABBREV.search(piece):
                continue  # "Dr. Smith", "U.S." : not a sentence end
            if piece:
                out.append(piece)
            start = m.end()
        rest = para[start:].strip()
        if rest:
            out.append(rest)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens with digit runs folded to 0 (numbers and years are not evidence)."""
    return [_DIGITS.sub("0", t.lower().strip("'’-")) for t in _TOKEN.findall(text) if t.strip("'’-")]


@lru_cache(maxsize=4)
def _function_words() -> dict[str, frozenset[str]]:
    from alerts.classify.lexicon import load_lexicon

    return {lang: load_lexicon(lang).function_words for lang in ("en", "fr", "es")}


def detect_language(text: str) -> str:
    """en, fr, es or ar from script and function words; py3langid only when that check is undecided.

    py3langid costs about 1 ms per call, which alone would halve the throughput target, so it is the
    fallback rather than the first step.
    """
    sample = text[:1500]
    arabic = len(_ARABIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    if arabic > latin:
        return "ar"
    words = [w.lower() for w in _TOKEN.findall(sample)[:120]]
    fw = _function_words()
    scores = {lang: sum(1 for w in words if w in vocab) for lang, vocab in fw.items()}
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] >= 2 and ranked[0] >= 1.5 * ranked[1]:
        return best
    try:
        import py3langid

        lang = str(py3langid.classify(sample)[0])
    except Exception:  # a missing or broken optional model must not stop classification
        return best if ranked[0] else "en"
    return lang if lang in ("en", "fr", "es", "ar") else (best if ranked[0] else "en")
