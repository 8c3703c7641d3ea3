"""Reading the casualty figures of one sentence with the shipped lexicons, for the table-driven tests."""

from __future__ import annotations

from alerts.classify.casualty_figures import casualties
from alerts.classify.lexicon import load_lexicon, normalize_arabic

Figures = tuple[int | None, int | None, int | None]


def figures_of(lang: str, sentence: str, is_headline: bool) -> Figures:
    """(killed, injured, kidnapped) that ``sentence`` gives, read as a headline when ``is_headline``."""
    lex = load_lexicon(lang)
    norm = normalize_arabic(sentence) if lang == "ar" else sentence
    got = casualties([norm], lex, headline=norm if is_headline else None)
    return got["killed"], got["injured"], got["kidnapped"]
