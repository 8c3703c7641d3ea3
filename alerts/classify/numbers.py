"""Casualty figures (killed, injured, kidnapped) of the attack itself, from the sentences that report it.

A figure is the number written next to a casualty word: before it for "three aid workers were killed",
after it for an active verb or a participle ("killed two guards", "killing three", "tuant deux",
"matando a dos") or the Arabic "استشهد 9". Number words are read by text2num (en, fr, es, pt and other
languages it knows: "Twenty three", "Vingt-trois", "Veintitrés", "vinte e três"); the lexicon's
``numbers`` adds what it does not read (Arabic numerals as words, "dozens", articles).

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
the mission said."): a neighbour of an evidence sentence that refers back to the attack is read too
(``toll_sentences``). Number parsing runs only on those few sentences.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit, text2num

from alerts.classify.features import spans
from alerts.classify.lexicon import Lexicon

# Languages text2num reads; others (Arabic) rely on the lexicon's number words.
TEXT2NUM_LANGS = frozenset({"en", "fr", "es", "pt", "de", "it", "nl", "da"})
KINDS = ("killed", "injured", "kidnapped")
WINDOW = 9  # tokens searched before a casualty word ("two international staffers of an INGO were")
RIGHT_WINDOW = 4  # tokens searched after a verb or participle ("killing at least 12")
GAP = 8  # most words between an article and its casualty word ("an Indian national working with a British NGO was")
MAX_COUNT = 999_999

_TOKEN = re.compile(r"\d(?:[\d,.]*\d)?|[^\W\d_](?:[\w'’-]*\w)?|[.;:!?؟،,()—–]", re.UNICODE)
_SENT_END = frozenset({".", ";", ":", "!", "?", "؟"})
_CLAUSE = _SENT_END | {",", "،", "(", ")", "—", "–"}
_PARTICIPLE_ENDINGS = ("ing", "ant", "ando", "iendo", "indo")
_AR_TENS = frozenset(range(20, 100, 10))


@dataclass(slots=True)
class _Tok:
    start: int
    end: int
    text: str
    low: str
    value: int | None = None
    skip: bool = False  # inside an "including ..." aside: not the clause's own figure


def to_digits(text: str, lang: str) -> str:
    """Number words written as digits ("Twenty three" → "23"); "one"/"un"/"a" stay words (articles)."""
    if lang not in TEXT2NUM_LANGS:
        return text
    try:
        # threshold 2: isolated "one"/"un"/"uno" stay words, so the grammar rules below can tell an
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


def _tokens(text: str, lex: Lexicon) -> list[_Tok]:
    """Tokens with their head-count value: measures, years, ordinals and negated numbers have none."""
    toks = [_Tok(m.start(), m.end(), w, w.lower()) for m in _TOKEN.finditer(text) for w in (m.group(),)]
    for i, t in enumerate(toks):
        nxt = toks[i + 1].low if i + 1 < len(toks) else ""
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


def _mark_asides(text: str, toks: list[_Tok], lex: Lexicon, cas_tok: set[int]) -> list[tuple[int, int]]:
    """Mark the tokens of "including three nurses," asides and of brackets ("2 staff (a guard and a
    doctor) killed"); return the (first, last) token indices of the "including" ones."""
    out: list[tuple[int, int]] = []
    depth = 0
    for t in toks:
        if t.text == "(":
            depth += 1
        if depth:
            t.skip = True
        if t.text == ")" and depth:
            depth -= 1
    if lex.including is None:
        return out
    for _n, s, _e in spans(lex.including, text):
        first = next((i for i, t in enumerate(toks) if t.start >= s), None)
        if first is None:
            continue
        last = first
        while last + 1 < len(toks) and toks[last + 1].text not in _CLAUSE:
            last += 1
        if any(i in cas_tok for i in range(first, last + 1)):
            continue  # "..., of which four died": a clause with its own figure, not an aside
        for t in toks[first : last + 1]:
            t.skip = True
        out.append((first, last))
    return out


def _is_one(t: _Tok) -> bool:
    return t.value == 1 and not t.text[0].isdigit()


class _Reader:
    """Finds the figure of each casualty word of one sentence."""

    def __init__(self, text: str, lex: Lexicon, headline: bool, words: list[tuple[str, int, int]]) -> None:
        self.text = text
        self.lex = lex
        self.headline = headline
        self.toks = _tokens(text, lex)
        self.starts = [t.start for t in self.toks]
        self.cas_tok = {i for _k, s, e in words for i in range(self.index(s), self.index(e))}
        self.asides = _mark_asides(text, self.toks, lex, self.cas_tok)
        self._scopes: dict[str, list[tuple[int, int]]] = {}  # scanned only once a figure is found

    def scope(self, name: str) -> list[tuple[int, int]]:
        """(start, end) of the sentence's "cumulative", "aggregate" or "refs" (attack reference) phrases."""
        if name not in self._scopes:
            rx = {"cumulative": self.lex.cumulative, "aggregate": self.lex.aggregate, "refs": self.lex.attack_refs}
            self._scopes[name] = [(s, e) for _n, s, e in spans(rx[name], self.text)]
        return self._scopes[name]

    def index(self, pos: int) -> int:
        """The first token that starts at or after character ``pos``."""
        return bisect_left(self.starts, pos)

    def _left(self, idx: int) -> int | None:
        """Figure before the casualty word at token ``idx``: "three aid workers were killed"."""
        toks, lex = self.toks, self.lex
        seen = 0
        for j in range(idx - 1, -1, -1):
            t = toks[j]
            if t.skip:
                continue  # an "including ..." aside does not count towards the window
            seen += 1
            if j in self.cas_tok and toks[j + 1].low in lex.conjunctions and j + 2 in self.cas_tok:
                continue  # "three aid workers were kidnapped and injured": one figure for both words
            if seen > WINDOW or t.text in _SENT_END or j in self.cas_tok or t.low in lex.clause_openers:
                return None  # too far, another casualty word's figure, or another clause
            if t.value is not None:
                if not _is_one(t):
                    return j
                if j > 0 and toks[j - 1].low in lex.prepositions:
                    continue  # "three staff of an INGO were kidnapped": the article opens a phrase inside
                gap = [g for g in toks[j + 1 : idx] if not g.skip]
                return j if self._singular(j, gap) else None
            if t.low in lex.determiners and not (j > 0 and toks[j - 1].low in lex.prepositions):
                return None  # "two gunmen stormed the clinic and killed": another noun phrase
            # (a determiner after a preposition is inside the victims' phrase: "two of the nurses",
            # "two staff at the clinic were killed")
        return None

    def _singular(self, j: int, gap: list[_Tok]) -> bool:
        """Whether the article at token ``j`` makes one victim: "a nurse was killed", "une infirmière a
        été tuée", not "two guards and a nurse were killed" (several) or "a raid on the clinic, ..."."""
        lex, toks = self.lex, self.toks
        if len(gap) > GAP:
            return False
        prev = toks[j].low
        verb = False  # past the auxiliary ("was", "a été"): an "and" there joins verbs, not victims
        for n, g in enumerate(gap):
            if g.text in _CLAUSE or (g.low in lex.conjunctions and not verb and n < len(gap) - 1):
                return False  # "a driver and assistant were wounded": two victims ("shot and killed": one)
            verb = verb or g.low in lex.passive_aux
            if (g.low in lex.determiners or g.value is not None) and prev not in lex.prepositions:
                return False  # another noun phrase ("a bomb ... the ... killed"), unless inside "of an NGO"
            prev = g.low
        if j > 0 and toks[j - 1].low in lex.conjunctions:
            # "... were wounded and a nurse killed" joins clauses; "two guards and a nurse" joins victims.
            return j > 1 and (j - 2 in self.cas_tok or toks[j - 2].text in _CLAUSE)
        return True

    def _right(self, after: int, articles: int, window: int = RIGHT_WINDOW) -> int | None:
        """Figure after the casualty word: "killed two guards", "killing at least 12"; ``articles``: how
        far after the word a singular article still counts ("killed a nurse")."""
        toks = self.toks
        for j in range(after, min(len(toks), after + window)):
            t = toks[j]
            if t.skip:
                continue
            if t.text in _SENT_END or j in self.cas_tok:
                return None
            if t.value is not None and (not _is_one(t) or j - after < articles):
                if _is_one(t) and any(n.low in self.lex.things for n in toks[j + 1 : j + 4]):
                    return None  # "seized an NGO vehicle": an article before a thing, not a person
                if _is_one(t) and self._coordinated(j):
                    return None  # "killing a man and a woman": several victims, not one
                return j
        return None

    def _coordinated(self, j: int) -> bool:
        """Whether the noun phrase opened at token ``j`` is followed by "and a/two ..." (more victims)."""
        toks, lex = self.toks, self.lex
        for k in range(j + 1, min(len(toks) - 1, j + 1 + GAP)):
            if toks[k].text in _CLAUSE or k in self.cas_tok:
                return False
            if toks[k].low in lex.conjunctions:
                nxt = toks[k + 1]
                return nxt.value is not None or nxt.low in lex.determiners
        return False

    def figure(self, s: int, e: int, participle: bool) -> int | None:
        """Token index of the figure of the casualty word at characters ``s``..``e``."""
        idx, after = self.index(s), self.index(e)
        lex = self.lex
        if lex.lang == "ar":
            found = self._right(after, 1, window=2)  # "مقتل 3", "استشهد 8 فلسطينيين"
            return found if found is not None else self._left(idx)
        if participle:
            return self._right(after, 2)
        nxt = next((t for t in self.toks[after:] if not t.skip), None)
        prev = self.toks[idx - 1].low if idx > 0 else ""
        active = (
            nxt is not None
            and prev not in lex.passive_aux
            and not (lex.intransitive is not None and lex.intransitive.fullmatch(self.text, s, e))
            and (nxt.value is not None or nxt.low in lex.determiners)
        )
        if active:  # "gunmen killed two nurses", "a bomb killed the doctor": the object is the victim
            return self._right(after, 2)  # an article right after, or after the Spanish "a" ("a un cooperante")
        # Passive or intransitive: the figure is before the word. A number after it is someone else's
        # ("killed by two gunmen", "killed along with nine other civilians").
        return self._left(idx)

    def clause(self, a: int, b: int) -> tuple[int, int]:
        """Character range of the clause holding tokens ``a``..``b``."""
        toks = self.toks
        openers = self.lex.clause_openers
        while a > 0 and toks[a - 1].text not in _CLAUSE and toks[a].low not in openers:
            a -= 1
        while b + 1 < len(toks) and toks[b + 1].text not in _CLAUSE and toks[b + 1].low not in openers:
            b += 1
        return toks[a].start, toks[b].end

    @staticmethod
    def _hits(found: list[tuple[int, int]], cs: int, ce: int) -> bool:
        return any(s < ce and cs < e for s, e in found)

    def aside_figure(self, from_tok: int) -> int | None:
        """The figure of the first "including ..." aside after token ``from_tok``."""
        for first, last in self.asides:
            if first < from_tok:
                continue
            for t in self.toks[first : last + 1]:
                if t.value is not None:
                    return t.value
        return None


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
    r = _Reader(text, lex, headline, words)
    out: dict[str, int] = {}
    for kind, s, e in words:
        if kind in out:
            continue
        word = text[s:e].lower()
        j = r.figure(s, e, participle=word.endswith(_PARTICIPLE_ENDINGS))
        if j is None:
            continue
        value = r.toks[j].value
        at = r.index(s)
        cs, ce = r.clause(min(j, at), max(j, at))
        if r._hits(r.scope("cumulative"), cs, ce):
            continue  # "... killed since October": a running tally
        if r._hits(r.scope("aggregate"), cs, ce):
            value = r.aside_figure(min(j, at))  # "... across Gaza, including four at the hospital"
        if value is not None:
            out[kind] = value
    update = None
    for _k, s, e in tolls:
        j = r._right(r.index(e), 0)
        if j is None:
            continue
        at = r.index(s)
        cs, ce = r.clause(at, j)
        if r._hits(r.scope("cumulative"), cs, ce) or r._hits(r.scope("aggregate"), cs, ce):
            continue
        # The toll of this attack: a toll that names the attack ("the toll from the airstrike"), or the
        # headline of an update story that names a target or an attack ("Death toll in MSF hospital strike
        # rises to 9"; not "Gaza death toll rises to 30,000").
        named = any(v != "harm" for v, _a, _b in spans(lex.violence, text[s:e]))
        about = headline and (
            (lex.targets is not None and lex.targets.search(text) is not None)
            or any(v != "harm" for v, _a, _b in spans(lex.violence, text))
        )
        if about or named or r._hits(r.scope("refs"), cs, ce):
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
            if (lex.casualties.search(text) or (lex.toll_updates and lex.toll_updates.search(text))) and (
                lex.attack_refs.search(text)
            ):
                out.append(text)
            elif d == 1 and lex.no_casualties is not None and lex.no_casualties.search(text):
                out.append(text)  # "No one was hurt." right after the attack is about it
    return out
