"""Event-level tests: is the flagged document a NEW, INTENTIONAL attack ON a humanitarian target?

The sentence model answers "does this sentence read like an attack on a humanitarian target?". News
articles add questions a sentence score cannot answer, and each has its own test here, applied in order:

1. ``no_target``: no humanitarian entity at all; ``responder_only``: humanitarian entities appear only as
   responder, speaker, source or landmark ("the wounded were taken to X hospital", "the UN condemned").
2. ``no_violence``: a humanitarian entity, but no violent act near it.
3. ``weak_evidence``: candidates exist but none scores above the threshold.
4. ``accident``: the evidence tells of a crash, fire, flood, collapse or disease, with no intentional act.
5. ``historical``: the attack is old news: an anniversary, memorial, trial or retrospective, or its date
   is more than 30 days before publication.
6. ``aggregate``: yearly figures, reports and advocacy rather than one event.

A document is an attack when at least one evidence sentence passes tests 4-6 and the headline does not
put the whole story under one of them ("Five years after the Kunduz hospital bombing ..."). Each test
returns a line that says what it saw, so ``aidwatch classify --explain`` can show a person why.

The cue lists live in the ``event`` section of each language lexicon. They are read only here, on the
headline and the few evidence sentences, never by the sentence model, so editing them needs no retrain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from alerts.classify.dates import HISTORICAL_DAYS, as_date, attack_date
from alerts.classify.features import SHORT_DOC, Analysis, Sentence, Unit, ensure_violence, spans
from alerts.classify.lexicon import Lexicon

ATTACK = "attack"
# Violence types that are intentional by nature: a sentence with one of them is not an accident story.
_INTENT_TYPES = frozenset(
    {"armed_attack", "kidnapping", "looting_or_robbery", "raid_or_occupation", "sexual_violence", "detention"}
)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


@dataclass(slots=True)
class Check:
    """One event-level test and what it found."""

    name: str
    passed: bool
    detail: str


@dataclass(slots=True)
class EventDecision:
    """The outcome of the event-level tests: the reason, the evidence that survived, and every check."""

    reason: str
    evidence: list[Unit]
    checks: list[Check] = field(default_factory=list)

    @property
    def is_attack(self) -> bool:
        """True when every test passed."""
        return self.reason == ATTACK


_BACKGROUND_IN_CLAUSE = frozenset({"aggregate", "aggregate_period"})


def _cues(sent: Sentence, lex: Lexicon) -> dict[str, str]:
    """Event cue name -> the text that matched, for one sentence (first match of each name).

    Figures after a cumulative clause ("..., bringing to 300 the number of aid workers killed since
    April") put this attack in a running total; they do not make the sentence a tally.
    """
    if sent.event_cues is not None:
        return sent.event_cues
    found: dict[str, str] = {}
    clause_at = len(sent.norm)
    hits = spans(lex.event, sent.norm)
    for name, a, _b in hits:
        if name == "cumulative_clause":
            clause_at = min(clause_at, a)
    for name, a, b in hits:
        if name in _BACKGROUND_IN_CLAUSE and a >= clause_at:
            continue
        found.setdefault(name, sent.norm[a:b])
    sent.event_cues = found  # several tests read the same sentence's cues
    return found


def _intentional(sent: Sentence, lex: Lexicon) -> bool:
    """The sentence names an act that cannot be an accident ("gunmen", "looted", "airstrike")."""
    for vtype, a, b in sent.violence:
        if vtype in _INTENT_TYPES:
            return True
        if vtype == "harm":
            continue
        word = sent.norm[a:b]
        # "struck", "explosion", "burned" also tell of accidents: only the unambiguous words count.
        if not (lex.event_ambiguous is not None and lex.event_ambiguous.fullmatch(word)):
            return True
    return False


def _dated_now(sent: Sentence, lex: Lexicon, published: date | None) -> bool:
    """The sentence carries its own recent time ("on Tuesday", "yesterday", a date within 30 days)."""
    if "fresh" in _cues(sent, lex):
        return True
    if published is None:
        return False
    when = attack_date([sent.text], lex, published)
    return when is not None and when != published and (published - when).days <= HISTORICAL_DAYS


def _violent_act(sent: Sentence, lex: Lexicon) -> bool:
    """An intentional act, or a killing ("were killed", "tués"): more than deaths or damage alone."""
    return _intentional(sent, lex) or "killing" in _cues(sent, lex)


def _old_date(sent: Sentence, lex: Lexicon, published: date | None) -> date | None:
    """A date in the sentence more than 30 days before publication (None when none or no publication date)."""
    if published is None:
        return None
    when = attack_date([sent.text], lex, published)
    if when is not None and when != published and (published - when).days > HISTORICAL_DAYS:
        return when
    # A bare year ("in 2019") that ended more than 30 days before publication.
    for m in _YEAR.finditer(sent.norm):
        year = int(m.group(1))
        founded = lex.event_built is not None and lex.event_built.search(sent.norm[max(0, m.start() - 30) : m.start()])
        if year < published.year and (published - date(year, 12, 31)).days > HISTORICAL_DAYS and not founded:
            return date(year, 12, 31)
    return None


_MISHAP = ("accident", "disaster", "disease")


def _mishap(cues: dict[str, str]) -> str | None:
    """The accident, disaster or disease word among a sentence's cues, if any."""
    return next((cues[name] for name in _MISHAP if name in cues), None)


def _sentence_verdict(sent: Sentence, lex: Lexicon, published: date | None, context: list[Sentence]) -> tuple[str, str]:
    """(reason, detail) for one evidence sentence: ATTACK, or the test that rejects it.

    ``context``: the sentences around it and the lead, which often give the cause of a fire or a crash
    ("The fire was caused by a short circuit") that the evidence sentence itself does not.
    """
    cues = _cues(sent, lex)
    if not _intentional(sent, lex):
        word = _mishap(cues) or next((w for s in context if (w := _mishap(_cues(s, lex)))), None)
        if word is not None:
            return "accident", f'"{word}" and no intentional act'
    for name in ("commemoration", "judicial"):
        if name in cues:
            return "historical", f'{name} cue "{cues[name]}"'
    for name in ("aggregate", "aggregate_headline"):
        if name in cues and (name == "aggregate" or sent.is_title):
            return "aggregate", f'aggregate cue "{cues[name]}"'
    # "on Tuesday", "yesterday": a new event, whatever period or older date the sentence also names
    # ("... on Tuesday, two years after ...", "... on Tuesday, the third attack this year").
    if "fresh" in cues:
        return ATTACK, "a specific, recent, intentional act"
    if "retrospective" in cues:
        return "historical", f'retrospective cue "{cues["retrospective"]}"'
    if "aggregate_period" in cues:
        return "aggregate", f'period cue "{cues["aggregate_period"]}"'
    old = _old_date(sent, lex, published)
    if old is not None:
        return "historical", f"dated {old.isoformat()}, more than {HISTORICAL_DAYS} days before publication"
    return ATTACK, "a specific, recent, intentional act"


def _headline_verdict(title: Sentence | None, lex: Lexicon) -> tuple[str, str] | None:
    """The test a headline puts the whole story under ("... years after ...", "... report ..."), if any."""
    if title is None:
        return None
    # A headline about another subject (a digest, a court ruling elsewhere) does not speak for the attack.
    if not (title.targets or title.hidden_targets or ensure_violence(title, lex)):
        return None
    cues = _cues(title, lex)
    if "fresh" in cues:
        return None
    # A trial or a report speaks for the story only when it is about a humanitarian target; a memorial or
    # "N years after" also when it names the violence ("Five years after the Kunduz bombing").
    targeted = bool(title.targets or title.hidden_targets)
    for name in ("commemoration", "retrospective", "judicial"):
        if name in cues and (targeted or name != "judicial"):
            return "historical", f'headline {name} cue "{cues[name]}"'
    # "Attacks on health care soar, report says" names its subject in the cue itself.
    for name in ("aggregate", "aggregate_headline"):
        if name in cues and (targeted or name == "aggregate_headline"):
            return "aggregate", f'headline aggregate cue "{cues[name]}"'
    word = _mishap(cues)
    if word is not None and not _intentional(title, lex):
        return "accident", f'headline "{word}" and no intentional act'
    return None


def _where(unit: Unit) -> str:
    return "headline" if unit.sentence.is_title else f"sentence {unit.index}"


def _no_candidate_reason(analysis: Analysis, lex: Lexicon) -> tuple[str, str]:
    """Why a document without candidate sentences is not an attack.

    Only the headline and lead are scanned for violence here: most documents end this way, and a
    full scan of every sentence would cost more than classifying them.
    """
    victims = any(s.targets for s in analysis.sentences)
    hidden = sorted({n for s in analysis.sentences if s.hidden_targets for n in s.neutral})
    if not victims and not hidden:
        return "no_target", "no humanitarian entity is named"
    top = [s for s in analysis.sentences[:4]]
    violent = any(ensure_violence(s, lex) for s in top)
    if violent and hidden:
        return "responder_only", "the violence is elsewhere; humanitarian entities appear only as " + ", ".join(hidden)
    if violent:
        return "responder_only", "the violence in the headline and lead is not against the humanitarian entity named"
    return "no_violence", "a humanitarian entity is named, but no violent act against it"


@dataclass(slots=True)
class _Story:
    """What frames a story: its headline, its lead, and whether it is long enough to have a body."""

    title: Sentence | None
    lead: list[Sentence]
    long: bool
    published: date | None

    @property
    def frame(self) -> list[Sentence]:
        """The headline and lead."""
        return ([self.title] if self.title else []) + self.lead

    def in_frame(self, unit: Unit) -> bool:
        """The unit is the headline or a lead sentence."""
        return unit.sentence.is_title or any(unit.sentence is s for s in self.lead)


def _story(analysis: Analysis, lex: Lexicon, published: datetime | date | None) -> _Story:
    sents = analysis.sentences
    title = sents[0] if sents and sents[0].is_title else None
    # The lead is the first two sentences of the body, photo captions, credits and bylines left out.
    lead = [s for s in sents[:10] if not s.is_title and len(s.text.split()) >= 6 and not lex.is_caption(s.text)][:2]
    # A note ("2 UN staff killed") is telegraphic by nature: only a longer story has a body to weigh.
    return _Story(title, lead, len(sents) > SHORT_DOC, as_date(published))


def _unit_verdict(unit: Unit, analysis: Analysis, story: _Story, lex: Lexicon) -> tuple[str, str]:
    """(reason, detail) for one believed sentence, the story around it considered."""
    sents = analysis.sentences
    frame = [s for s in story.frame if s is not unit.sentence]
    # The cause of a fire or a crash is told in the headline or lead, not in a neighbour of a long story.
    reason, detail = _sentence_verdict(unit.sentence, lex, story.published, frame)
    near = [sents[j] for j in (unit.index - 1, unit.index + 1) if 0 <= j < len(sents)]
    # "Sixteen patients died", "the hospital was damaged": in a news story a violent act must be named here
    # or in the headline, the lead or the sentences around it.
    if (
        reason == ATTACK
        and story.long
        and not _violent_act(unit.sentence, lex)
        and not any(ensure_violence(s, lex) and _violent_act(s, lex) for s in frame + near if s is not unit.sentence)
    ):
        return "no_violence", "deaths or damage, but no violent act is named"
    return reason, detail


def _unbelieved(analysis: Analysis, scored: list[tuple[float, Unit]], lex: Lexicon) -> EventDecision:
    """The decision for a document no candidate of which reaches the threshold (or that has none)."""
    if not scored:
        reason, detail = _no_candidate_reason(analysis, lex)
        return EventDecision(reason, [], [Check("target and violence", False, detail)])
    best = scored[0][1]
    reason = "weak_evidence"
    if best.sentence.hidden_targets or best.sentence.neutral:
        reason = "responder_only"
    elif _mishap(_cues(best.sentence, lex)) and not _intentional(best.sentence, lex):
        reason = "accident"
    checks = [
        Check("target and violence", True, f"{len(scored)} candidate sentence(s)"),
        Check("sentence model", False, "no candidate sentence scores above the threshold"),
    ]
    return EventDecision(reason, [best], checks)


def decide(
    analysis: Analysis,
    scored: list[tuple[float, Unit]],
    passing: list[Unit],
    lex: Lexicon,
    published: datetime | date | None,
) -> EventDecision:
    """Apply the event-level tests to a document whose candidates were scored.

    ``scored``: every candidate with its logit, best first; ``passing``: the candidates whose calibrated
    score reaches the threshold, best first.

    In a long story, evidence outside the headline and lead counts only when it carries its own recent
    time ("on Tuesday", a date within 30 days): a hospital or agency deep in a story about something else
    is most often a responder, speaker or background.
    """
    if not passing:
        return _unbelieved(analysis, scored, lex)
    checks = [
        Check("target and violence", True, f"{len(scored)} candidate sentence(s)"),
        Check("sentence model", True, f"{len(passing)} sentence(s) above the threshold"),
    ]
    story = _story(analysis, lex, published)
    kept: list[Unit] = []
    rejected: list[tuple[str, str, Unit]] = []
    for unit in passing:  # best first
        reason, detail = _unit_verdict(unit, analysis, story, lex)
        if reason != ATTACK:
            rejected.append((reason, detail, unit))
        elif story.in_frame(unit):
            kept.append(unit)
        elif rejected:
            # The strongest sentences were set aside: what remains deeper down is their background.
            checks.append(Check("prominence", False, f"{_where(unit)} is background to the story set aside"))
        elif story.long and not _dated_now(unit.sentence, lex, story.published):
            checks.append(Check("prominence", False, f"{_where(unit)} is outside the headline and lead, undated"))
        else:
            kept.append(unit)
    if not kept and not rejected:
        checks.append(Check("weak_evidence", False, "only sentences outside the headline and lead read as an attack"))
        return EventDecision("weak_evidence", passing[:1], checks)
    if not kept:
        reason, detail, unit = rejected[0]
        checks.append(Check(reason, False, f"{_where(unit)}: {detail}"))
        return EventDecision(reason, [u for _r, _d, u in rejected], checks)
    lead_rejected = [r for r in rejected if story.in_frame(r[2]) and not r[2].sentence.is_title]
    if lead_rejected and all(u.sentence.is_title for u in kept):
        # A headline alone against its own lead: the lead says what the story is ("UN mourns Baghdad
        # victims" over "... marked the first anniversary of the bombing").
        reason, detail, unit = lead_rejected[0]
        checks.append(
            Check(reason, False, f"{_where(unit)}, the lead: {detail}; the headline alone does not outweigh it")
        )
        return EventDecision(reason, [u for _r, _d, u in rejected], checks)
    for reason, detail, unit in rejected:
        checks.append(Check(reason, True, f"{_where(unit)} set aside: {detail}"))
    headline = _headline_verdict(story.title, lex)
    if headline is not None and not any(u.sentence.is_title for u in kept):
        reason, detail = headline
        checks.append(Check(reason, False, detail))
        return EventDecision(reason, kept, checks)
    checks.append(Check("event", True, "a specific, recent, intentional act against a humanitarian target"))
    return EventDecision(ATTACK, kept, checks)
