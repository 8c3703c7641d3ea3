"""Casualty figures (killed, injured, kidnapped) of the attack itself, from the sentences that report it.

Each sentence's figures are read by :class:`casualty_reader.FigureReader` (the number next to each
casualty word, groups joined by "and" added up); number words are read by number_words.py.

What keeps the figure to this attack (lexicon keys, all optional):

- ``cumulative``: a figure in the same clause as "since October", "this year", "bringing the total to" is
  a running tally, never the attack's;
- ``aggregate``: "across Gaza", "in separate strikes" make it the day's total across several attacks;
  then only a part named after ``including`` ("..., including four at the MSF hospital") is taken;
- ``toll_updates``: "the death toll rose to 9" is the attack's toll (and wins over a first count) when it
  is the headline or the clause names the attack ("the toll from the strike"); elsewhere it is dropped;
- a number binds to the casualty word next to it, so wounded are never counted as killed;
- "a"/"un"/"una"/"um" count as 1 only where grammar makes them a count ("a nurse was killed",
  "killed a nurse"), never "killed in an ambush" or "a bomb killed the doctor";
- ``no_casualties``: "no one was hurt" gives 0 when no figure of that kind was read.

Reports often give the toll in the sentence after the attack ("Two guards were killed in the attack,
the mission said."): a neighbour of an evidence sentence that refers back to the attack is read too, and
so is the sentence right after one when it only gives a toll ("At least 16 people were killed, officials
said."; ``toll_sentences``). Number parsing runs only on those few sentences.
"""

from __future__ import annotations

import re

from alerts.classify.casualty_reader import FigureReader
from alerts.classify.features import spans
from alerts.classify.lexicon import Lexicon
from alerts.classify.number_words import to_digits

KINDS = ("killed", "injured", "kidnapped")
_PARTICIPLE_ENDINGS = ("ing", "ant", "ando", "iendo", "indo")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _read(text: str, lex: Lexicon, headline: bool) -> tuple[dict[str, int], int | None]:
    """(kind → figure, updated toll) for one sentence."""
    has_word = bool(lex.casualties and lex.casualties.search(text))
    if not has_word and not (lex.toll_updates and lex.toll_updates.search(text)):
        return {}, None  # number words never make a casualty word: skip text2num for such sentences
    text = to_digits(text, lex.lang)
    words = spans(lex.casualties, text)
    tolls = spans(lex.toll_updates, text)
    if not words and not tolls:
        return {}, None
    r = FigureReader(text, lex, headline, words)
    out: dict[str, int] = {}
    for kind, s, e in words:
        if kind in out:
            continue
        word = text[s:e].lower()
        found = r.figure(s, e, participle=word.endswith(_PARTICIPLE_ENDINGS))
        if found is None:
            continue
        fig, total = found
        value: int | None = total
        at = r.index(s)
        cs, ce = r.clause(min(fig, at), max(fig, at))
        if r.overlaps(r.scope("cumulative"), cs, ce):
            continue  # "... killed since October": a running tally
        if r.overlaps(r.scope("aggregate"), cs, ce):
            value = r.aside_figure(min(fig, at))  # "... across Gaza, including four at the hospital"
        if value is not None:
            out[kind] = value
    update = None
    for _k, s, e in tolls:
        j = r.figure_after(r.index(e), 0)
        if j is None:
            continue
        at = r.index(s)
        cs, ce = r.clause(at, j)
        if r.overlaps(r.scope("cumulative"), cs, ce) or r.overlaps(r.scope("aggregate"), cs, ce):
            continue
        # The toll of this attack: a toll that names the attack ("the toll from the airstrike"), or the
        # headline of an update story that names a target or an attack ("Death toll in MSF hospital strike
        # rises to 9"; not "Gaza death toll rises to 30,000").
        named = any(v != "harm" for v, _a, _b in spans(lex.violence, text[s:e]))
        about = headline and (
            (lex.targets is not None and lex.targets.search(text) is not None)
            or any(v != "harm" for v, _a, _b in spans(lex.violence, text))
        )
        if about or named or r.overlaps(r.scope("refs"), cs, ce):
            update = r.toks[j].value
            break
    return out, update


def casualties(sentences: list[str], lex: Lexicon, headline: str | None = None) -> dict[str, int | None]:
    """killed / injured / kidnapped of the attack: the first figure found for each, in sentence order
    (evidence first), an updated toll of the attack winning over a first count; 0 for "no one was
    hurt"; None when the sentences do not say. ``headline`` is the headline's text when it is among
    ``sentences``."""
    out: dict[str, int | None] = dict.fromkeys(KINDS)
    update: int | None = None
    none_said: set[str] = set()
    for sent in sentences:
        found, upd = _read(sent, lex, headline is not None and sent == headline)
        for kind, value in found.items():
            if out.get(kind) is None:
                out[kind] = value
        if update is None:
            update = upd
        for kind, _s, _e in spans(lex.no_casualties, sent):
            none_said.update(("killed", "injured") if kind == "all" else (kind,))
    if update is not None:
        out["killed"] = update
    for kind in none_said:
        if out.get(kind) is None:
            out[kind] = 0
    return out


TOLL_NEIGHBOURS = (1, 2, -1)  # sentences after (then before) an evidence sentence that may carry its toll


def _bare_toll(text: str, lex: Lexicon) -> bool:
    """Whether a sentence only gives a toll ("At least 16 people were killed, officials said."): it names
    no attack of its own ("three soldiers were killed in an ambush near Beni") and does not date itself
    away from the attack ("last month", "in 2019")."""
    low = text.lower()
    if _YEAR.search(text) is not None or any(p in low for p in lex.relative_periods):
        return False
    words = [(s, e) for _k, s, e in spans(lex.casualties, text)]
    return not any(
        kind != "harm" and not any(s <= a and b <= e for s, e in words) for kind, a, b in spans(lex.violence, text)
    )


def toll_sentences(norms: list[str], evidence: list[int], lex: Lexicon, skip: set[int] | None = None) -> list[str]:
    """Neighbours of the evidence sentences that give the attack's toll.

    ``norms`` are all sentences of the document (normalised as the lexicon sees them), ``evidence`` the
    indices of the evidence sentences, ``skip`` indices never to read (captions). A neighbour is kept
    only when it names a casualty and refers back to an attack ("... in the attack"), or when it is the
    sentence right after an evidence sentence and does not date itself elsewhere ("At least 16 people
    were killed, officials said."; not "Last month gunmen killed nine ..."), so a toll of another event
    two sentences away is not taken.
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
            text = norms[j]
            if (lex.casualties.search(text) or (lex.toll_updates and lex.toll_updates.search(text))) and (
                lex.attack_refs.search(text) or (d == 1 and _bare_toll(text, lex))
            ):
                out.append(text)
                seen.add(j)
            elif d == 1 and lex.no_casualties is not None and lex.no_casualties.search(text):
                out.append(text)  # "No one was hurt." right after the attack is about it
                seen.add(j)
    return out
