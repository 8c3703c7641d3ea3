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
# Capitals of Latin Extended-A/B used by Turkish, Hausa, Somali... and Cyrillic count as sentence starts too.
_UPPER_EXTRA = "ĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽƁƊƘ\u0400-\u042f\u0490"
_SENT_END = re.compile(r"(?<=[.!?؟…])[\"'”»)]*\s+(?=[\"“«(¿¡]?[A-ZÀ-ÖØ-Þ0-9\u0600-\u06ff" + _UPPER_EXTRA + "])")
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


# Letters that only Persian/Pashto/Urdu write (Arabic has ي ك where Persian has ی ک), only Pashto, only Urdu.
_PERSIAN = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")
_ARABIC_ONLY = re.compile("[\u0643\u064a\u0629]")
_PASHTO = re.compile("[\u067c\u0681\u0685\u0689\u0693\u0696\u069a\u06ab\u06bc\u06cd\u06d0]")
_URDU = re.compile("[\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")
_RUSSIAN = re.compile("[ыэъёЫЭЪЁ]")
_OTHER_CYRILLIC = re.compile("[ўәғқңөұүһђјљњћџѓќѕЎӘҒҚҢӨҰҮҺЂЈЉЊЋЏЃЌЅ]")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Latin-script languages we have no lexicon for but must not mistake for one we have (Galician for
# Portuguese, Italian/Catalan for Spanish): a few of their commonest words that ours lack.
_DETECT_ONLY: dict[str, frozenset[str]] = {
    "gl": _wordset("unha unhas polo pola polos polas coa coas tamén máis cando moi xa"),
    "it": _wordset("il gli della delle degli nel nella sono è che anche alla dal dei questo"),
    "ca": _wordset("els amb però això aquest aquesta també són dels pel perquè"),
    "de": _wordset("der das und ist nicht mit auf dem des sich wurde eine einer im"),
}


@lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    """Function words of every Latin-script language with a lexicon, plus the detection-only ones."""
    from alerts.classify.lexicon import LANGUAGES, function_words

    vocab = {lang: function_words(lang) for lang in LANGUAGES}
    vocab = {lang: words for lang, words in vocab.items() if words}
    vocab.update(_DETECT_ONLY)
    return vocab


@lru_cache(maxsize=1)
def _word_languages() -> dict[str, tuple[str, ...]]:
    """Function word → the languages listing it: one dict lookup per word, however many languages."""
    index: dict[str, list[str]] = {}
    for lang, words in _function_words().items():
        for w in words:
            index.setdefault(w, []).append(lang)
    return {w: tuple(langs) for w, langs in index.items()}


def _script_language(sample: str) -> str | None:
    """The language when the script decides it (Arabic/Persian/Pashto/Urdu, Russian/Ukrainian), else None."""
    arabic = len(_ARABIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    cyrillic = len(_CYRILLIC.findall(sample))
    if arabic > latin and arabic >= cyrillic:
        pashto, urdu = len(_PASHTO.findall(sample)), len(_URDU.findall(sample))
        if pashto >= 2 and pashto > urdu:
            return "ps"
        if urdu >= 2:
            return "ur"
        return "fa" if len(_PERSIAN.findall(sample)) > len(_ARABIC_ONLY.findall(sample)) else "ar"
    if cyrillic > latin:
        uk, ru = len(_UKRAINIAN.findall(sample)), len(_RUSSIAN.findall(sample))
        if _OTHER_CYRILLIC.search(sample):
            return None  # Kazakh, Serbian, Belarusian...: py3langid tells them apart
        if uk and not ru:
            return "uk"
        if ru and not uk:
            return "ru"
    return None


def detect_language(text: str) -> str:
    """ISO 639-1 code from script and function words; py3langid only when that check is undecided.

    Returns one of the lexicon languages (alerts.classify.lexicon.LANGUAGES) or any other code py3langid
    knows ("de", "it"...), which is then read with the English lexicon. py3langid costs about 1 ms per
    call, which alone would halve the throughput target, so it is the fallback rather than the first step.
    """
    sample = text[:1500]
    by_script = _script_language(sample)
    if by_script:
        return by_script
    words = [w.lower() for w in _TOKEN.findall(sample)[:120]]
    fw = _function_words()
    scores = dict.fromkeys(fw, 0)
    index = _word_languages()
    for w in words:
        for lang in index.get(w, ()):
            scores[lang] += 1
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] >= 2 and ranked[0] >= 1.5 * ranked[1]:
        return best
    try:
        import py3langid

        lang = str(py3langid.classify(sample)[0])
    except Exception:  # a missing or broken optional model must not stop classification
        return best if ranked[0] else "en"
    # Terse English notes ("SAF bomb Deribat. 2 farmers died.") look like Occitan or Pidgin to py3langid:
    # a language we have no lexicon for does not override an English function word.
    if lang not in fw and best == "en" and ranked[0]:
        return "en"
    return lang
