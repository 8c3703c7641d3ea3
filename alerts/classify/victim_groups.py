"""Groups of victims joined by "and" to one casualty word, added up into one figure.

"seven aid workers and two guards were killed" is 9, "shot dead two aid workers and their driver" 3 (a
singular noun after an article or one of the ``possessives`` is one victim; ``plural_words`` are plurals
without -s), "a paramedic and three police officers" 4, and in a headline, which drops articles,
"Paramedic and 3 officers die" 4. A group that is another verb's object ("killed two guards and three
nurses were wounded": 3 wounded) is not added, and a group of unknown size (``vague``: "two aid workers and
dozens of civilians") leaves no total. Arabic has no indefinite article: a ``singular_victims`` noun right
after the casualty word ("مقتل موظف") or after "و" ("قتل صحفيان وشرطي": 3) is one victim.
"""

from __future__ import annotations

from alerts.classify.lexicon import Lexicon
from alerts.classify.number_words import Token

GAP = 8  # most words between an article and its casualty word ("an Indian national working with a British NGO was")
SENTENCE_END = frozenset({".", ";", ":", "!", "?", "؟"})
CLAUSE_MARKS = SENTENCE_END | {",", "،", "(", ")", "—", "–"}
VAGUE = -1  # a coordinated group of unknown size ("dozens of civilians")


class VictimGroups:
    """The coordinated-group rules over one sentence's tokens; :class:`casualty_reader.FigureReader` sets
    the sentence up."""

    toks: list[Token]
    lex: Lexicon
    headline: bool
    cas_tok: set[int]  # tokens of the sentence's casualty words

    def _prev(self, j: int) -> int:
        """The last token before ``j`` outside asides and "at least" phrases (-1 at the start)."""
        j -= 1
        while j >= 0 and self.toks[j].skip:
            j -= 1
        return j

    def _stop_word(self, t: Token) -> bool:
        """A determiner that opens another noun phrase ("du"/"al" are a preposition and an article in one)."""
        return t.low in self.lex.determiners and t.low not in self.lex.prepositions

    def _one_group(self, gap: list[Token], possessive: bool = False) -> bool:
        """Whether ``gap`` (the words after an article or a possessive, up to the casualty word) is one
        victim: "a nurse were", "their driver were" (not "a driver and assistant", "their colleagues")."""
        lex = self.lex
        words = [g for g in gap if g.low not in lex.passive_aux]
        if not words or len(words) > 4 or len(words) < len(gap) - 2:
            return False
        if any(g.text in CLAUSE_MARKS or g.low in lex.conjunctions or g.value is not None for g in words):
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
            and not any(g.value is not None or g.text in CLAUSE_MARKS for g in toks[a:b])
        )

    def _singular_noun(self, t: Token) -> bool:
        """A noun that names one person: not "drivers", "colleagues", "men", "staff"."""
        low = t.low
        return low.isalpha() and low not in self.lex.plural_words and not low.endswith(("s", "x"))

    def _groups_before(self, j: int) -> int:
        """Victims of the groups coordinated before the group whose figure is at token ``j``: "seven aid
        workers and [two guards]" gives 7, "a paramedic and [three police officers]" 1; 0 when there is none.
        A group that is a verb's object ("killed two guards and three nurses were wounded") is not added;
        a group of unknown size ("dozens of civilians and two aid workers") makes the sum unknown (VAGUE)."""
        toks, lex = self.toks, self.lex
        total = 0
        k = j
        crossed = False  # a list "three nurses, two doctors and a driver" has its commas before an "and"
        while True:
            c = self._prev(k)
            if c < 1 or not (toks[c].low in lex.conjunctions or (crossed and toks[c].text == ",")):
                return total
            crossed = True
            scanned = self._group_before(c)
            if scanned is None:
                return VAGUE
            found, stop = scanned
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

    def _group_before(self, c: int) -> tuple[int | None, int | None] | None:
        """Scan back from the "and" (or list comma) at token ``c`` through the group before it: (the token of
        its figure, where its words begin: a comma, or -1 at the start), either None when not found; None
        for a group of unknown size ("dozens of civilians")."""
        toks, lex = self.toks, self.lex
        for m in range(c - 1, max(-1, c - 1 - GAP), -1):
            t = toks[m]
            if t.skip:
                continue
            if t.text in CLAUSE_MARKS:
                return None, m
            if m in self.cas_tok or t.low in lex.passive_aux or t.low in lex.clause_openers:
                return None, None
            if t.value is not None and not t.one_noun:
                return m, None
            if t.low in lex.vague:
                return None
            if t.low in lex.possessives:
                return (m if self._singular_noun(toks[c - 1]) else None), None
            if self._stop_word(t) and not (m > 0 and toks[m - 1].low in lex.prepositions):
                return None, None
            if m == 0:
                return None, -1
        return None, None

    def _singular(self, j: int, gap: list[Token]) -> bool:
        """Whether the article at token ``j`` makes one victim: "a nurse was killed", "une infirmière a
        été tuée", not "two guards and a nurse were killed" (several) or "a raid on the clinic, ..."."""
        lex, toks = self.lex, self.toks
        if len(gap) > GAP:
            return False
        prev = toks[j].low
        verb = False  # past the auxiliary ("was", "a été"): an "and" there joins verbs, not victims
        for n, g in enumerate(gap):
            if g.text in CLAUSE_MARKS or (g.low in lex.conjunctions and not verb and n < len(gap) - 1):
                return False  # "a driver and assistant were wounded": two victims ("shot and killed": one)
            verb = verb or g.low in lex.passive_aux
            if (g.low in lex.determiners or g.value is not None) and prev not in lex.prepositions:
                return False  # another noun phrase ("a bomb ... the ... killed"), unless inside "of an NGO"
            prev = g.low
        if j > 0 and toks[j - 1].low in lex.conjunctions:
            # "... were wounded and a nurse killed" joins clauses; "two guards and a nurse" joins victims.
            return j > 1 and (j - 2 in self.cas_tok or toks[j - 2].text in CLAUSE_MARKS)
        return True

    def _groups_after(self, j: int) -> int:
        """Victims of the groups coordinated after the figure at token ``j`` ("killed two aid workers and
        their driver", "killing a man and a woman"); 0 when there is none or the "and" opens a clause
        ("killed two guards and a nurse was wounded"); VAGUE after a group of unknown size ("killed two
        guards and dozens of civilians")."""
        toks, lex = self.toks, self.lex
        if lex.lang == "ar":
            return self._arabic_groups_after(j)
        # "mataron a dos cooperantes y a su conductor": the same preposition opens each group
        prep = toks[j - 1].low if j > 0 and toks[j - 1].low in lex.prepositions else None
        total = 0
        k = j + 1
        while True:
            c = self._conjunction_after(k, prep)
            if c is None:
                return total
            group = self._group_after(c)
            if group is None:
                return total
            value, end = group
            if value == VAGUE:
                return VAGUE
            total += value
            k = end

    def _arabic_groups_after(self, j: int) -> int:
        """Arabic groups joined by a "و" clitic after the figure at token ``j``: "مقتل صحفيين وشرطي",
        "مقتل 3 حراس وسائق"."""
        total, plain = 0, 0
        for k, t in enumerate(self.toks[j + 1 : j + 5], j + 1):
            if k in self.cas_tok:
                break  # the next casualty word's own figure
            if t.skip:
                continue  # the tens of "ثلاثه وعشرون"
            if t.text in CLAUSE_MARKS or (t.joined is None and (plain or total)):
                break
            if t.joined is None:
                plain += 1
                continue
            total += t.joined
        return total

    def _conjunction_after(self, k: int, prep: str | None) -> int | None:
        """The "and" that opens the next group, searched from token ``k`` (past a repeated preposition
        ``prep``: "y a su conductor"); None when the clause or the victims' phrase ends first."""
        toks, lex = self.toks, self.lex
        c = None
        for m in range(k, min(len(toks), k + GAP)):
            t = toks[m]
            if t.skip:
                continue
            if t.text in CLAUSE_MARKS or m in self.cas_tok or t.low in lex.passive_aux or t.value is not None:
                return None
            if t.low in lex.conjunctions:
                c = m
                break
        if c is not None and prep is not None and c + 2 < len(toks) and toks[c + 1].low == prep:
            c += 1
        if c is None or c + 1 >= len(toks):
            return None
        return c

    def _group_after(self, c: int) -> tuple[int, int] | None:
        """(victims, the token after its words) of the group opened after the "and" at token ``c``; victims
        is VAGUE for a group of unknown size; None when what follows is not a group of victims."""
        toks, lex = self.toks, self.lex
        first = toks[c + 1]
        if first.low in lex.vague and c + 2 < len(toks) and toks[c + 2].value is not None:
            c += 1  # "y otras cinco": "other" before a number is not a vague group
            first = toks[c + 1]
        if first.low in lex.vague:
            return VAGUE, c
        if first.value is not None and not first.one_noun:
            value = first.value
        elif first.low in lex.possessives:
            value = 0  # one victim if its noun is singular (checked below)
        else:
            return None
        # The group's words: up to the next "and", a preposition, a comma or the end of the clause.
        end = c + 2
        while end < len(toks) and end < c + 5:  # "an 82-year-old woman he was helping": three words
            t = toks[end]
            if t.text in CLAUSE_MARKS or t.low in lex.conjunctions or t.low in lex.prepositions or t.value is not None:
                break
            if end in self.cas_tok or t.low in lex.passive_aux or t.low in lex.determiners:
                return None  # "killed two guards and a nurse was wounded": a clause of its own
            end += 1
        words = toks[c + 2 : end]
        if not words or any(w.low in lex.things for w in words):
            return None  # "killed two guards and an ambulance ..." (not a person)
        if value == 0:
            if not self._singular_noun(words[-1]):
                return None
            value = 1
        return value, end
