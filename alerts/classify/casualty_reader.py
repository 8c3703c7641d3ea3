"""The figure of each casualty word of one sentence (killed, injured, kidnapped).

A figure is the number written next to a casualty word: before it for "three aid workers were killed",
after it for an active verb or a participle ("killed two guards", "killing three", "tuant deux",
"matando a dos") or the Arabic "استشهد 9". Vague quantities ("dozens", "several") are never a figure.
``approximators`` ("at least", "more than", "ما لا يقل عن") are skipped, so "killed at least two" reads
like "killed two"; "including ..." asides and brackets are not the clause's own figure. Groups joined by
"and" are added up (victim_groups.py).
"""

from __future__ import annotations

from bisect import bisect_left

from alerts.classify.features import spans
from alerts.classify.lexicon import Lexicon
from alerts.classify.number_words import Token, value_tokens
from alerts.classify.victim_groups import CLAUSE_MARKS, SENTENCE_END, VAGUE, VictimGroups

WINDOW = 9  # tokens searched before a casualty word ("two international staffers of an INGO were")
RIGHT_WINDOW = 4  # tokens searched after a verb or participle ("killing at least 12")


def _mark_asides(text: str, toks: list[Token], lex: Lexicon, cas_tok: set[int]) -> list[tuple[int, int]]:
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
        while last + 1 < len(toks) and toks[last + 1].text not in CLAUSE_MARKS:
            last += 1
        if any(i in cas_tok for i in range(first, last + 1)):
            continue  # "..., of which four died": a clause with its own figure, not an aside
        for t in toks[first : last + 1]:
            t.skip = True
        out.append((first, last))
    return out


def _is_one(t: Token) -> bool:
    return t.value == 1 and not t.text[0].isdigit()


class FigureReader(VictimGroups):
    """Finds the figure of each casualty word of one sentence."""

    def __init__(self, text: str, lex: Lexicon, headline: bool, words: list[tuple[str, int, int]]) -> None:
        self.text = text
        self.lex = lex
        self.headline = headline
        self.toks = value_tokens(text, lex)
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
            if seen > WINDOW or t.text in SENTENCE_END or j in self.cas_tok or t.low in lex.clause_openers:
                return None  # too far, another casualty word's figure, or another clause
            after_prep = j > 0 and toks[j - 1].low in lex.prepositions
            if t.value is not None and not t.one_noun:
                before = self._prev(j)
                if before >= 0 and before in self.cas_tok and not _is_one(t):
                    return None  # "مقتل اثنين وعشرات الجرحي": the figure of the casualty word before it
                if not _is_one(t):
                    more = self._groups_before(j)
                    return None if more == VAGUE else (j, t.value + more)
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

    def figure_after(self, after: int, articles: int, window: int = RIGHT_WINDOW) -> int | None:
        """Figure after the casualty word: "killed two guards", "killing at least 12"; ``articles``: how
        far after the word a singular article still counts ("killed a nurse")."""
        toks = self.toks
        pos = 0
        for j in range(after, len(toks)):
            t = toks[j]
            if t.skip:
                continue
            if pos >= window or t.text in SENTENCE_END or j in self.cas_tok:
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

    def figure(self, s: int, e: int, participle: bool) -> tuple[int, int] | None:
        """(token, victims) of the figure of the casualty word at characters ``s``..``e``."""
        idx, after = self.index(s), self.index(e)
        lex = self.lex
        if idx < len(self.toks) and idx in self.cas_tok and self.toks[idx].value is not None:
            return idx, self.toks[idx].value or 0  # a word that is its own count: "قتيلان" (two dead)
        if lex.lang == "ar":
            found = self.figure_after(after, 1, window=2)  # "مقتل 3", "استشهد 8 فلسطينيين"
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
            found = self.figure_after(after, 2)
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
        return None if more == VAGUE else (j, (self.toks[j].value or 0) + more)

    def clause(self, a: int, b: int) -> tuple[int, int]:
        """Character range of the clause holding tokens ``a``..``b``."""
        toks = self.toks
        openers = self.lex.clause_openers
        while a > 0 and toks[a - 1].text not in CLAUSE_MARKS and toks[a].low not in openers:
            a -= 1
        while b + 1 < len(toks) and toks[b + 1].text not in CLAUSE_MARKS and toks[b + 1].low not in openers:
            b += 1
        return toks[a].start, toks[b].end

    @staticmethod
    def overlaps(found: list[tuple[int, int]], cs: int, ce: int) -> bool:
        """Whether any of the ``found`` character ranges overlaps ``cs``..``ce``."""
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
