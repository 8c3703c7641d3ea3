"""Casualty figures (killed, injured, kidnapped) from the evidence sentences.

A figure is the number written next to a casualty word: before it for "three aid workers were killed",
after it for "killing three" or the Arabic "استشهد 9". Number words come from the lexicon.
"""

from __future__ import annotations

import re

from alerts.classify.features import spans
from alerts.classify.lexicon import Lexicon

_TOKEN = re.compile(r"\d[\d,.]*|[\w'’-]+|[.;:!?؟،]")
_CLAUSE_END = {".", ";", ":", "!", "?", "؟"}
WINDOW = 7  # tokens searched on each side of a casualty word


def _value(tok: str, lex: Lexicon) -> int | None:
    if tok[0].isdigit():
        digits = tok.replace(",", "").split(".")[0]
        return int(digits) if digits.isdigit() and len(digits) <= 6 else None
    return lex.numbers.get(tok.lower())


def _toks(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _TOKEN.finditer(text)]


def _near(toks: list[tuple[int, str]], at: int, end: int, lex: Lexicon, right_first: bool) -> int | None:
    idx = next((i for i, (p, _t) in enumerate(toks) if p >= at), len(toks))
    after = next((i for i, (p, _t) in enumerate(toks) if p >= end), len(toks))

    def left() -> int | None:
        for j in range(idx - 1, max(-1, idx - 1 - WINDOW), -1):
            t = toks[j][1]
            if t in _CLAUSE_END:
                return None
            v = _value(t, lex)
            if v is not None:
                return v
        return None

    def right() -> int | None:
        for j in range(after, min(len(toks), after + 4)):
            t = toks[j][1]
            if t in _CLAUSE_END:
                return None
            v = _value(t, lex)
            if v is not None and t.lower() not in ("a", "an", "un", "une", "una"):
                return v
        return None

    first, second = (right, left) if right_first else (left, right)
    v = first()
    return v if v is not None else second()


def casualties(sentences: list[str], lex: Lexicon) -> dict[str, int | None]:
    """killed / injured / kidnapped: the first figure found for each, evidence sentence order."""
    out: dict[str, int | None] = {"killed": None, "injured": None, "kidnapped": None}
    for sent in sentences:
        toks = _toks(sent)
        for kind, s, e in spans(lex.casualties, sent):
            if out.get(kind) is not None:
                continue
            word = sent[s:e].lower()
            right_first = lex.lang == "ar" or word.endswith(("ing", "ant", "ando"))
            v = _near(toks, s, e, lex, right_first)
            if v is not None:
                out[kind] = v
    return out
