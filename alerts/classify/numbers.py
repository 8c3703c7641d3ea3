"""Casualty figures (killed, injured, kidnapped) of the attack itself, from the sentences that report it.

A figure is the number written next to a casualty word: before it for "three aid workers were killed",
after it for an active verb or a participle ("killed two guards", "killing three", "tuant deux",
"matando a dos") or the Arabic "استشهد 9". Number words are read by text2num (en, fr, es, pt and other
languages it knows: "Twenty three", "Vingt-trois", "Veintitrés", "vinte e três"); the lexicon's
``numbers`` adds what it does not read (Arabic number words and duals such as "شخصين", articles, "both");
vague quantities ("dozens", "several") are never a figure. ``approximators`` ("at least", "more than",
"ما لا يقل عن") are skipped, so "killed at least two" reads like "killed two".

Groups of victims joined by "and" to one casualty word are added up: "seven aid workers and two guards
were killed" is 9, "shot dead two aid workers and their driver" 3 (a singular noun after an article or
one of the ``possessives`` is one victim; ``plural_words`` are plurals without -s), "a paramedic and
three police officers" 4, and in a headline, which drops articles, "Paramedic and 3 officers die" 4. A
group that is another verb's object ("killed two guards and three nurses were wounded": 3 wounded) is
not added, and a group of unknown size (``vague``: "two aid workers and dozens of civilians") leaves
no total. Arabic has no indefinite article: a ``singular_victims`` noun right after the casualty word
("مقتل موظف") or after "و" ("قتل صحفيان وشرطي": 3) is one victim.

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
_VAGUE = -1  # a coordinated group of unknown size ("dozens of civilians")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


@dataclass(slots=True)
class _Tok:
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
        for _n, s, e in spans(self.lex.approximators, text):
            a, b = self.index(s), self.index(e)
            if b < len(self.toks) and self.toks[b].value is not None:
                for t in self.toks[a:b]:
                    t.skip = True  # "at least 12", "more than 100": the number is the next word's
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

    def _prev(self, j: int) -> int:
        """The last token before ``j`` outside asides and "at least" phrases (-1 at the start)."""
        j -= 1
        while j >= 0 and self.toks[j].skip:
            j -= 1
        return j

    def _stop_word(self, t: _Tok) -> bool:
        """A determiner that opens another noun phrase ("du"/"al" are a preposition and an article in one)."""
        return t.low in self.lex.determiners and t.low not in self.lex.prepositions

    def _left(self, idx: int) -> tuple[int, int] | None:
        """(token, victims) of the figure before the casualty word at token ``idx``: "three aid workers were
        killed"; coordinated groups are added up ("seven aid workers and two guards were killed": 9)."""
        toks, lex = self.toks, self.lex
        seen = 0
        for j in range(idx - 1, max(-1, idx - 1 - 3 * WINDOW), -1):
            t = toks[j]
            if t.skip:
                continue  # an "including ..." aside does not count towards the window
            if not (j > 0 and t.text[:1].isupper() and not self._stop_word(t)):
                seen += 1  # the words of a name ("the International Committee of the Red Cross") count less
            if j in self.cas_tok and toks[j + 1].low in lex.conjunctions and j + 2 in self.cas_tok:
                continue  # "three aid workers were kidnapped and injured": one figure for both words
            if seen > WINDOW or t.text in _SENT_END or j in self.cas_tok or t.low in lex.clause_openers:
                return None  # too far, another casualty word's figure, or another clause
            after_prep = j > 0 and toks[j - 1].low in lex.prepositions
            if t.value is not None and not t.one_noun:
                before = self._prev(j)
                if before >= 0 and before in self.cas_tok and not _is_one(t):
                    return None  # "مقتل اثنين وعشرات الجرحي": the figure of the casualty word before it
                if not _is_one(t):
                    more = self._groups_before(j)
                    return None if more == _VAGUE else (j, t.value + more)
                if after_prep:
                    continue  # "three staff of an INGO were kidnapped": the article opens a phrase inside
                gap = [g for g in toks[j + 1 : idx] if not g.skip]
                if self._singular(j, gap):
                    return j, 1
                more = self._groups_before(j) if self._one_group(gap) else 0
                return (j, 1 + more) if more > 0 else None  # "two guards and a nurse were killed": 3
            if t.low in self.lex.possessives and not after_prep:
                gap = [g for g in toks[j + 1 : idx] if not g.skip]
                more = self._groups_before(j) if self._one_group(gap, possessive=True) else 0
                return (j, 1 + more) if more > 0 else None  # "two aid workers and their driver were killed": 3
            if self._stop_word(t) and not after_prep:
                return None  # "two gunmen stormed the clinic and killed": another noun phrase
            # (a determiner after a preposition is inside the victims' phrase: "two of the nurses",
            # "two staff at the clinic were killed")
        return None

    def _one_group(self, gap: list[_Tok], possessive: bool = False) -> bool:
        """Whether ``gap`` (the words after an article or a possessive, up to the casualty word) is one
        victim: "a nurse were", "their driver were" (not "a driver and assistant", "their colleagues")."""
        lex = self.lex
        words = [g for g in gap if g.low not in lex.passive_aux]
        if not words or len(words) > 4 or len(words) < len(gap) - 2:
            return False
        if any(g.text in _CLAUSE or g.low in lex.conjunctions or g.value is not None for g in words):
            return False
        if any(g.low in lex.determiners or g.low in lex.prepositions for g in words):
            return False
        return not possessive or self._singular_noun(words[-1])

    def _bare_one(self, a: int, b: int) -> bool:
        """Whether tokens ``a``..``b`` (exclusive) are a name-like singular noun phrase ("Paramedic of the Red
        Cross"), the subject of a headline without its article."""
        toks = self.toks
        return (
            a < b
            and toks[a].text[:1].isupper()
            and self._singular_noun(toks[a])
            and not any(g.value is not None or g.text in _CLAUSE for g in toks[a:b])
        )

    def _singular_noun(self, t: _Tok) -> bool:
        """A noun that names one person: not "drivers", "colleagues", "men", "staff"."""
        low = t.low
        return low.isalpha() and low not in self.lex.plural_words and not low.endswith(("s", "x"))

    def _groups_before(self, j: int) -> int:
        """Victims of the groups coordinated before the group whose figure is at token ``j``: "seven aid
        workers and [two guards]" gives 7, "a paramedic and [three police officers]" 1; 0 when there is none.
        A group that is a verb's object ("killed two guards and three nurses were wounded") is not added;
        a group of unknown size ("dozens of civilians and two aid workers") makes the sum unknown (_VAGUE)."""
        toks, lex = self.toks, self.lex
        total = 0
        k = j
        crossed = False  # a list "three nurses, two doctors and a driver" has its commas before an "and"
        while True:
            c = self._prev(k)
            if c < 1 or not (toks[c].low in lex.conjunctions or (crossed and toks[c].text == ",")):
                return total
            crossed = True
            found, stop = None, None  # stop: where the group's words begin (a comma, the start)
            for m in range(c - 1, max(-1, c - 1 - GAP), -1):
                t = toks[m]
                if t.skip:
                    continue
                if t.text in _CLAUSE:
                    stop = m
                    break
                if m in self.cas_tok or t.low in lex.passive_aux or t.low in lex.clause_openers:
                    break
                if t.value is not None and not t.one_noun:
                    found = m
                    break
                if t.low in self.lex.vague:
                    return _VAGUE
                if t.low in self.lex.possessives:
                    if self._singular_noun(toks[c - 1]):
                        found = m
                    break
                if self._stop_word(t) and not (m > 0 and toks[m - 1].low in lex.prepositions):
                    break
                if m == 0:
                    stop = -1
            if found is not None:
                value = toks[found].value or 1
            elif self.headline and stop is not None and self._bare_one(stop + 1, c):
                found, value = stop + 1, 1  # a headline drops the article: "Paramedic and 3 police officers die"
            else:
                return total
            before = self._prev(found)
            if before >= 0 and (before in self.cas_tok or toks[before].low in lex.passive_aux):
                return total  # "killed two guards and ...": that group is the object of another word
            if before >= 0 and toks[before].value is not None:
                return total
            total += value
            k = found

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
        pos = 0
        for j in range(after, len(toks)):
            t = toks[j]
            if t.skip:
                continue
            if pos >= window or t.text in _SENT_END or j in self.cas_tok:
                return None
            pos += 1
            if t.value is not None and (not _is_one(t) or pos <= articles):
                if _is_one(t) and not t.one_noun and self._thing(j):
                    return None  # "seized an NGO vehicle": an article before a thing, not a person
                return j
        return None

    def _thing(self, j: int) -> bool:
        """Whether the noun phrase opened at token ``j`` ends on a thing: "an NGO vehicle near the camp", not
        "an ambulance driver"."""
        toks, lex = self.toks, self.lex
        for k in range(j + 1, min(len(toks), j + 4)):
            if toks[k].low in lex.things:
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                if nxt is None or not nxt.text[0].isalpha() or nxt.low in lex.prepositions:
                    return True
                if nxt.low in lex.conjunctions or nxt.low in lex.determiners or nxt.value is not None:
                    return True
                if k + 1 in self.cas_tok or nxt.low in lex.passive_aux:
                    return True
        return False

    def _groups_after(self, j: int) -> int:
        """Victims of the groups coordinated after the figure at token ``j`` ("killed two aid workers and
        their driver", "killing a man and a woman"); 0 when there is none or the "and" opens a clause
        ("killed two guards and a nurse was wounded"); _VAGUE after a group of unknown size ("killed two
        guards and dozens of civilians")."""
        toks, lex = self.toks, self.lex
        if lex.lang == "ar":  # "مقتل صحفيين وشرطي", "مقتل 3 حراس وسائق"
            total, plain = 0, 0
            for k, t in enumerate(toks[j + 1 : j + 5], j + 1):
                if k in self.cas_tok:
                    break  # the next casualty word's own figure
                if t.skip:
                    continue  # the tens of "ثلاثه وعشرون"
                if t.text in _CLAUSE or (t.joined is None and (plain or total)):
                    break
                if t.joined is None:
                    plain += 1
                    continue
                total += t.joined
            return total
        # "mataron a dos cooperantes y a su conductor": the same preposition opens each group
        prep = toks[j - 1].low if j > 0 and toks[j - 1].low in lex.prepositions else None
        total = 0
        k = j + 1
        while True:
            c = None
            for m in range(k, min(len(toks), k + GAP)):
                t = toks[m]
                if t.skip:
                    continue
                if t.text in _CLAUSE or m in self.cas_tok or t.low in lex.passive_aux or t.value is not None:
                    return total
                if t.low in lex.conjunctions:
                    c = m
                    break
            if c is not None and prep is not None and c + 2 < len(toks) and toks[c + 1].low == prep:
                c += 1
            if c is None or c + 1 >= len(toks):
                return total
            first = toks[c + 1]
            if first.low in self.lex.vague and c + 2 < len(toks) and toks[c + 2].value is not None:
                c += 1  # "y otras cinco": "other" before a number is not a vague group
                first = toks[c + 1]
            if first.low in self.lex.vague:
                return _VAGUE
            if first.value is not None and not first.one_noun:
                value = first.value
            elif first.low in self.lex.possessives:
                value = 0  # one victim if its noun is singular (checked below)
            else:
                return total
            # The group's words: up to the next "and", a preposition, a comma or the end of the clause.
            end = c + 2
            while end < len(toks) and end < c + 5:  # "an 82-year-old woman he was helping": three words
                t = toks[end]
                if t.text in _CLAUSE or t.low in lex.conjunctions or t.low in lex.prepositions or t.value is not None:
                    break
                if end in self.cas_tok or t.low in lex.passive_aux or t.low in lex.determiners:
                    return total  # "killed two guards and a nurse was wounded": a clause of its own
                end += 1
            words = toks[c + 2 : end]
            if not words or any(w.low in lex.things for w in words):
                return total  # "killed two guards and an ambulance ..." (not a person)
            if value == 0:
                if not self._singular_noun(words[-1]):
                    return total
                value = 1
            total += value
            k = end

    def figure(self, s: int, e: int, participle: bool) -> tuple[int, int] | None:
        """(token, victims) of the figure of the casualty word at characters ``s``..``e``."""
        idx, after = self.index(s), self.index(e)
        lex = self.lex
        if idx < len(self.toks) and idx in self.cas_tok and self.toks[idx].value is not None:
            return idx, self.toks[idx].value or 0  # a word that is its own count: "قتيلان" (two dead)
        if lex.lang == "ar":
            found = self._right(after, 1, window=2)  # "مقتل 3", "استشهد 8 فلسطينيين"
            if found is not None:
                return self._sum(found)
            return self._left(idx)
        nxt = next((t for t in self.toks[after:] if not t.skip), None)
        prev = self.toks[idx - 1].low if idx > 0 else ""
        active = participle or (
            nxt is not None
            and prev not in lex.passive_aux
            and not (lex.intransitive is not None and lex.intransitive.fullmatch(self.text, s, e))
            and (nxt.value is not None or nxt.low in lex.determiners or nxt.low in self.lex.possessives)
        )
        if active:  # "gunmen killed two nurses", "a bomb killed the doctor": the object is the victim
            # an article right after, or after the Spanish "a" ("a un cooperante")
            found = self._right(after, 2)
            return None if found is None else self._sum(found)
        # Passive or intransitive: the figure is before the word. A number after it is someone else's
        # ("killed by two gunmen", "killed along with nine other civilians"), except right after a verb
        # that puts its subject last ("murieron dos personas", "morreram duas pessoas").
        left = self._left(idx)
        if left is not None or nxt is None or nxt.value is None or _is_one(nxt) or prev in lex.passive_aux:
            return left
        return self._sum(self.toks.index(nxt, after))

    def _sum(self, j: int) -> tuple[int, int] | None:
        """(token, victims) for a figure after its casualty word, with the groups coordinated after it."""
        more = self._groups_after(j)
        return None if more == _VAGUE else (j, (self.toks[j].value or 0) + more)

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
        found = r.figure(s, e, participle=word.endswith(_PARTICIPLE_ENDINGS))
        if found is None:
            continue
        fig, total = found
        value: int | None = total
        at = r.index(s)
        cs, ce = r.clause(min(fig, at), max(fig, at))
        if r._hits(r.scope("cumulative"), cs, ce):
            continue  # "... killed since October": a running tally
        if r._hits(r.scope("aggregate"), cs, ce):
            value = r.aside_figure(min(fig, at))  # "... across Gaza, including four at the hospital"
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
