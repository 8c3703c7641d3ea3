"""Sentence analysis: where a humanitarian target stands in a victim role next to a violent act.

Every sentence (the headline counts as one) is matched against the language lexicon. A target mention
that falls inside a "neutral" span (taken *to hospital*, *the UN condemned*, nurses *on strike*, an
*army camp*) is not a victim and does not count. Sentences that keep at least one victim-role target
and have violence in or right next to them become *units*; the model scores units, and the document
score is the best unit's score, so a long article is judged by its strongest sentence, not its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alerts.classify.lexicon import Lexicon
from alerts.classify.sentences import clean, split_sentences, tokens

SHORT_DOC = 6  # sentences (headline included) up to which neighbours lend violence context
PROX_NEAR = 6  # tokens between a target and a violence word that make them one clause, roughly
# What may stand between two coordinated target mentions ("hospitals and clinics", "to UNICEF and to the
# WHO", "والدفاع المدني"): the second shares the role of the first, so a neutral span covers both.
_COORD_GAP = re.compile(
    r"^\s*(?:and|or|et|ou|y|o|e)\s+(?:(?:to|of|from|at|in|à|a|au|aux|de|des|du|del|al|en)\s+)?"
    r"(?:(?:the|its|their|le|la|les|l['’]|el|los|las|un|une|una|a|an)\s*)?$|^\s*$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Sentence:
    """One sentence with what the lexicon found in it (spans refer to ``norm``)."""

    text: str
    norm: str
    is_title: bool
    targets: list[tuple[str, int, int]] = field(default_factory=list)
    hidden_targets: list[tuple[str, int, int]] = field(default_factory=list)
    violence: list[tuple[str, int, int]] = field(default_factory=list)
    neutral: set[str] = field(default_factory=set)
    cues: set[str] = field(default_factory=set)
    scanned: bool = True
    event_cues: dict[str, str] | None = None  # event-level cue -> matched text, filled on first use (event.py)

    @property
    def categories(self) -> list[str]:
        """Target categories in a victim role, first mention first."""
        seen: list[str] = []
        for cat, _s, _e in self.targets:
            if cat not in seen:
                seen.append(cat)
        return seen


@dataclass(slots=True)
class Unit:
    """A candidate evidence sentence and its feature vector."""

    index: int
    sentence: Sentence
    feats: dict[str, float]


@dataclass(slots=True)
class Analysis:
    """All sentences of a document and its candidate units."""

    lang: str
    sentences: list[Sentence]
    units: list[Unit]


def spans(rx: re.Pattern[str] | None, text: str) -> list[tuple[str, int, int]]:
    """(entry name, start, end) for every match of a combined lexicon section."""
    if rx is None:
        return []
    return [(m.lastgroup or "", m.start(), m.end()) for m in rx.finditer(text) if m.end() > m.start()]


def analyse_sentence(text: str, lex: Lexicon, is_title: bool = False) -> Sentence:
    """Match one sentence against the lexicon and split target mentions into victim and neutral roles.

    A sentence naming no target at all stops after the target scan (``violence`` is then filled in
    only when a neighbour needs it, see ``ensure_violence``): most sentences of a news article are
    like that, and skipping the other scans is what keeps article throughput up.
    """
    norm = lex.normalize(text)
    sent = Sentence(text=text, norm=norm, is_title=is_title)
    raw_targets = spans(lex.targets, norm)
    raw_orgs = spans(lex.organizations, norm)
    if not raw_targets and not raw_orgs:
        sent.scanned = False
        return sent
    neutral = spans(lex.neutral, norm)
    if lex.neutral_led is not None:
        for start in sorted({ts for _c, ts, _e in raw_targets} | {os for _k, os, _e in raw_orgs}):
            m = lex.neutral_led.match(norm, start)
            if m and m.end() > start:
                neutral.append((m.lastgroup or "", start, m.end()))
    sent.neutral = {name for name, _s, _e in neutral}
    for cat, s, e in raw_targets:
        if any(ns <= s and e <= ne for _n, ns, ne in neutral):
            sent.hidden_targets.append((cat, s, e))
        else:
            sent.targets.append((cat, s, e))
    for key, s, e in raw_orgs:
        hit = (lex.org_info[key].category, s, e)
        if any(ns <= s and e <= ne for _n, ns, ne in neutral):
            sent.hidden_targets.append(hit)
        elif not any(ts <= s < te or s <= ts < e for _c, ts, te in sent.targets):
            sent.targets.append(hit)
    sent.targets.sort(key=lambda t: t[1])
    _share_hidden_role(sent)
    # Violence words inside a neutral span are not the event either ("or they will strike",
    # "an ambulance packed with explosives").
    sent.violence = [
        v for v in spans(lex.violence, norm) if not any(ns <= v[1] and v[2] <= ne for _n, ns, ne in neutral)
    ]
    sent.cues = {name for name, _s, _e in spans(lex.cues, norm)}
    return sent


def _share_hidden_role(sent: Sentence) -> None:
    """A target coordinated with a hidden one is hidden too ("taken to hospitals and clinics")."""
    if not sent.hidden_targets or not sent.targets:
        return
    ends = sorted(e for _c, _s, e in sent.hidden_targets)
    keep: list[tuple[str, int, int]] = []
    for t in sent.targets:
        prev_end = max((e for e in ends if e <= t[1]), default=None)
        gap = sent.norm[prev_end : t[1]] if prev_end is not None else "x"
        # An empty gap joins only an Arabic conjunction clitic ("والدفاع"); Latin needs and/et/y.
        joined = bool(_COORD_GAP.match(gap)) and (bool(gap.strip()) or sent.norm[t[1] : t[1] + 1] == "و")
        if prev_end is not None and t[1] - prev_end <= 24 and joined:
            sent.hidden_targets.append(t)
            ends.append(t[2])
            ends.sort()
        else:
            keep.append(t)
    sent.targets = keep


def ensure_violence(sent: Sentence, lex: Lexicon) -> list[tuple[str, int, int]]:
    """The sentence's violence matches, scanning now if the target-less fast path skipped them."""
    if not sent.scanned:
        sent.violence = spans(lex.violence, sent.norm)
        sent.scanned = True
    return sent.violence


def _token_index(text: str, pos: int) -> int:
    return text.count(" ", 0, pos)


def unit_features(
    sent: Sentence, neighbour_violence: bool, stop: frozenset[str] = frozenset(), displacement: bool = True
) -> dict[str, float]:
    """Binary features of one candidate sentence: lexicon roles first, then its words.

    ``displacement``: whether the document names refugees, displaced people or a refugee/IDP camp
    anywhere; a bare "camp" in a story that never does is most often an army or armed-group camp.
    """
    vtypes = {v for v, _s, _e in sent.violence}
    # Each step's keys have their own prefixes; the order of the steps is the order the weights are
    # summed in, kept so that a document's score does not move in its last bits.
    return {
        **_target_violence_features(sent, vtypes, neighbour_violence),
        **_role_features(sent, vtypes, displacement),
        **_proximity_features(sent),
        **_word_features(sent, stop),
    }


def _target_violence_features(sent: Sentence, vtypes: set[str], neighbour_violence: bool) -> dict[str, float]:
    """Which targets and which kinds of violence the sentence names (or a neighbour lends)."""
    f: dict[str, float] = {}
    for cat in sent.categories:
        f["c:" + cat] = 1.0
    for v in vtypes:
        f["v:" + v] = 1.0
    if not vtypes:
        f["v:none"] = 1.0
    if vtypes and vtypes <= {"harm"}:
        f["v:harm_only"] = 1.0
    if vtypes and vtypes <= {"detention", "harm"} and "detention" in vtypes:
        f["v:detention_only"] = 1.0
    if neighbour_violence:
        f["vctx"] = 1.0
    return f


def _role_features(sent: Sentence, vtypes: set[str], displacement: bool) -> dict[str, float]:
    """Neutral roles, hidden targets, cues, the headline, and what kind of camp a bare "camp" is."""
    f: dict[str, float] = {}
    for n in sent.neutral:
        f["n:" + n] = 1.0
    if sent.hidden_targets:
        f["hidden"] = 1.0
    for q in sent.cues:
        # An arrest word next to a raid, shooting or looting is part of a violent event, not an arrest only.
        if q == "arrest_only" and vtypes - {"detention", "harm"}:
            continue
        f["q:" + q] = 1.0
    if sent.is_title:
        f["title"] = 1.0
    if len(sent.categories) > 1:
        f["multi_cat"] = 1.0
    if not displacement and sent.categories and set(sent.categories) <= {"camp_weak"}:
        f["camp_bare"] = 1.0
    if "military_context" in sent.cues and any(c.startswith("camp") for c in sent.categories):
        # "the camp" next to soldiers and barracks is usually a military one.
        f["camp_military_context"] = 1.0
    return f


def _proximity_features(sent: Sentence) -> dict[str, float]:
    """Distance in tokens between the nearest victim-role target and violence word, and their order."""
    f: dict[str, float] = {}
    best = 10_000
    before = after = False
    for c, ts, _te in sent.targets:
        ti = _token_index(sent.norm, ts)
        for v, vs, _ve in sent.violence:
            d = _token_index(sent.norm, vs) - ti
            if abs(d) <= PROX_NEAR:
                # Which kind of target meets which kind of violence: language-independent evidence.
                f[f"cv:{c}|{v}"] = 1.0
            if abs(d) < best:
                best = abs(d)
            if -PROX_NEAR <= d < 0:
                before = True
            elif 0 < d <= PROX_NEAR:
                after = True
    if best <= 2:
        f["prox_adj"] = 1.0
    if best <= PROX_NEAR:
        f["prox_near"] = 1.0
    elif best <= 3 * PROX_NEAR:
        f["prox_mid"] = 1.0
    if before:
        f["prox_v_before_t"] = 1.0
    if after:
        f["prox_t_before_v"] = 1.0
    return f


def _word_features(sent: Sentence, stop: frozenset[str]) -> dict[str, float]:
    """The sentence's length, words and word pairs (pairs of two stop words are left out)."""
    f: dict[str, float] = {}
    toks = tokens(sent.norm)
    if len(toks) > 60:
        f["long_sentence"] = 1.0
    prev = "<s>"
    for t in toks:
        if t not in stop:
            f["w:" + t] = 1.0
        if not (t in stop and (prev in stop or prev == "<s>")):
            f["b:" + prev + "_" + t] = 1.0
        prev = t
    return f


def analyse(title: str, text: str, lex: Lexicon) -> Analysis:
    """Split a document into sentences, match them, and build candidate units."""
    pieces: list[tuple[str, bool]] = []
    title = clean(title).strip()
    if title:
        pieces.append((title, True))
    body = split_sentences(clean(text))
    if body and title and body[0].strip(" .") == title.strip(" ."):
        body = body[1:]  # extracted article text often opens with its own headline
    pieces.extend((s, False) for s in body)
    sents = [analyse_sentence(s, lex, is_title) for s, is_title in pieces]
    displacement = any(
        "displacement" in s.cues or any(c == "camp" for c, _a, _b in s.targets + s.hidden_targets) for s in sents
    )
    # A story that names an army/militia camp and never refugees or the displaced: its bare "the camp" is
    # that camp (coreference), not a refugee camp.
    military_camp = not displacement and any("non_humanitarian_camp" in s.neutral for s in sents)
    units: list[Unit] = []
    for i, sent in enumerate(sents):
        if not sent.targets or lex.is_caption(sent.text):
            continue  # a photo caption describes a picture, not the event: never evidence
        if military_camp and set(sent.categories) <= {"camp_weak"}:
            continue
        # Only short documents (a note, a headline + lead) lend violence across sentences: in a long
        # article the sentence next door is usually another part of the story.
        short = len(sents) <= SHORT_DOC
        prev_v = short and i > 0 and not sents[i - 1].is_title and bool(ensure_violence(sents[i - 1], lex))
        next_v = short and i + 1 < len(sents) and bool(ensure_violence(sents[i + 1], lex))
        # A headline and its lead are read together: each lends violence context to the other.
        title_v = i in (0, 1) and sents[0].is_title and bool(ensure_violence(sents[0], lex))
        neighbour = prev_v or next_v or title_v
        if not sent.violence and not neighbour:
            continue
        units.append(Unit(index=i, sentence=sent, feats=unit_features(sent, neighbour, lex.stopwords, displacement)))
    return Analysis(lang=lex.lang, sentences=sents, units=units)
