"""Casualty figures (killed, injured, kidnapped) from the evidence sentences and the toll next to them.

A figure is the number written next to a casualty word: before it for "three aid workers were killed",
after it for a participle ("killing three", "tuant deux", "matando a dos") or the Arabic "استشهد 9".
Reports often give the toll in the sentence after the attack ("Two guards were killed in the attack,
the mission said."): a neighbour of an evidence sentence that refers back to the attack is read too.
Number words come from the lexicon.
"""

from __future__ import annotations

import re

from alerts.classify.features import spans
from alerts.classify.lexicon import Lexicon

_TOKEN = re.compile(r"\d[\d,.]*|[\w'’-]+|[.;:!?؟،]")
_CLAUSE_END = {".", ";", ":", "!", "?", "؟"}
WINDOW = 7  # tokens searched on each side of a casualty word
_ARTICLES = frozenset({"a", "an", "un", "une", "una"})
_PARTICIPLE_ENDINGS = ("ing", "ant", "ando", "iendo")


def _value(tok: str, lex: Lexicon) -> int | None:
    if tok[0].isdigit():
        digits = tok.replace(",", "").split(".")[0]
        return int(digits) if digits.isdigit() and len(digits) <= 6 else None
    return lex.numbers.get(tok.lower())


def _toks(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _TOKEN.finditer(text)]


def _near(toks: list[tuple[int, str]], at: int, end: int, lex: Lexicon, mode: str) -> int | None:
    """The number next to a casualty word; ``mode`` is "left" (noun before the verb), "right" (Arabic:
    right then left) or "participle" (right only: "killing a guard", "tuant deux gardes")."""
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
            # "a"/"un" counts as one only right after a participle ("killing a guard", "matando a un
            # guardia"); elsewhere it is an article ("killed in an ambush").
            if v is not None and (t.lower() not in _ARTICLES or (mode == "participle" and j - after <= 1)):
                return v
        return None

    if mode == "participle":
        return right()
    if mode == "left":
        # Active voice puts the figure right after the verb ("shot dead two nurses"); an article further
        # left ("stormed an NGO clinic and shot dead ...") must not win over it.
        nxt = toks[after][1] if after < len(toks) else ""
        v = _value(nxt, lex) if nxt else None
        if v is not None and nxt.lower() not in _ARTICLES:
            return v
    first, second = (right, left) if mode == "right" else (left, right)
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
            mode = "right" if lex.lang == "ar" else "participle" if word.endswith(_PARTICIPLE_ENDINGS) else "left"
            v = _near(toks, s, e, lex, mode)
            if v is not None:
                out[kind] = v
    return out


TOLL_NEIGHBOURS = (1, 2, -1)  # sentences after (then before) an evidence sentence that may carry its toll


def toll_sentences(norms: list[str], evidence: list[int], lex: Lexicon, skip: set[int] | None = None) -> list[str]:
    """Neighbours of the evidence sentences that refer back to the attack ("... in the attack").

    ``norms`` are all sentences of the document (normalised as the lexicon sees them), ``evidence`` the
    indices of the evidence sentences, ``skip`` indices never to read (captions). A neighbour is kept
    only when it names a casualty and refers back to an attack, so a toll of another event two
    sentences away is not taken.
    """
    if lex.attack_refs is None or lex.casualties is None:
        return []
    out: list[str] = []
    seen = set(evidence) | (skip or set())
    for i in evidence:
        for d in TOLL_NEIGHBOURS:
            j = i + d
            if j < 0 or j >= len(norms) or j in seen:
                continue
            seen.add(j)
            text = norms[j]
            if lex.casualties.search(text) and lex.attack_refs.search(text):
                out.append(text)
    return out
