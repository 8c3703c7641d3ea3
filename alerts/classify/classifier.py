"""The classifier: document → Verdict (score, categories, where, when, who, casualties, evidence)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from alerts.classify.casualty_figures import casualties, toll_sentences
from alerts.classify.dates import attack_date, is_historical
from alerts.classify.event import decide
from alerts.classify.features import Analysis, Unit, analyse, ensure_violence, spans
from alerts.classify.lexicon import FULL_LANGUAGES, LANGUAGES, Lexicon, load_lexicon, support_level
from alerts.classify.model import NO_UNIT_LOGIT, ModelSet
from alerts.classify.places import resolve
from alerts.classify.sentences import detect_language
from alerts.models import CATEGORIES, EVENT_TYPES, Verdict

DEFAULT_THRESHOLD = 0.5
MAX_EVIDENCE = 3


def _category(name: str) -> str | None:
    base = name.removesuffix("_weak")
    if base == "aid":
        base = "aid_convoy_or_warehouse"
    return base if base in CATEGORIES else None


class Classifier:
    """Holds the lexicons and the fitted model; build once and call ``classify`` per document."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        model_path: Path | str | None = None,
        model: ModelSet | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be within 0..1, got {threshold}")
        self.threshold = threshold
        self.models = model if model is not None else ModelSet.load(model_path)
        # Compile the full lexicons now, not on the first document of each language; the best-effort ones
        # are compiled on their first document (most deployments never see most of them).
        for lang in FULL_LANGUAGES:
            load_lexicon(lang)

    def score_units(self, analysis: Analysis) -> list[tuple[float, Unit]]:
        """(logit, unit) for each candidate sentence, best first."""
        model = self.models.for_lang(analysis.lang)
        scored = [(model.logit(u.feats), u) for u in analysis.units]
        scored.sort(key=lambda su: -su[0])
        return scored

    @staticmethod
    def _occurred(
        analysis: Analysis, chosen: list[Unit], lex: Lexicon, published: datetime | date | None
    ) -> date | None:
        """Attack date from evidence + headline, then relative days around the evidence and in the lead.

        Caption-like sentences (title or body: "X stands in Y on October 23, 2010.", photo credits) are
        skipped: their date is the picture's.
        """
        sents = analysis.sentences
        memo: dict[int, bool] = {}

        def ok(i: int) -> bool:  # checked lazily: a long article has hundreds of sentences
            if i not in memo:
                memo[i] = not lex.is_caption(sents[i].text)
            return memo[i]

        ev = [u.index for u in chosen]
        first = [i for i in ev if ok(i)] + ([0] if sents and sents[0].is_title and ok(0) else [])
        near = {j for i in ev for j in (i - 1, i + 1)}
        body = [i for i in range(min(len(sents), 4)) if not sents[i].is_title]
        lead = [i for i in body if ok(i)][:2]
        context = [j for j in sorted(near) + lead if 0 <= j < len(sents) and j not in first and ok(j)]
        order = sorted(set(first), key=lambda i: (sents[i].is_title, i))  # evidence first, then the headline
        return attack_date([sents[i].text for i in order], lex, published, [sents[j].text for j in context])

    def classify(
        self,
        title: str,
        text: str,
        lang: str | None = None,
        published: datetime | date | None = None,
    ) -> Verdict:
        """Judge one document and code the incident fields."""
        title = title or ""
        text = text or ""
        if lang not in LANGUAGES:
            lang = detect_language(f"{title}\n{text[:1500]}")
        lex = load_lexicon(lang)  # the English lexicon for a language without one
        analysis = analyse(title, text, lex)
        # A language without a lexicon is judged by the language-independent model: English word weights
        # say nothing about German or Italian words.
        analysis.lang = lang
        scored = self.score_units(analysis)
        model = self.models.for_lang(lang)
        best = scored[0][0] if scored else NO_UNIT_LOGIT
        score = model.calibrate(best)
        passing = [u for lg, u in scored if model.calibrate(lg) >= self.threshold]
        decision = decide(analysis, scored, passing, lex, published)
        is_attack = decision.is_attack
        chosen = decision.evidence[:MAX_EVIDENCE]
        chosen.sort(key=lambda u: u.index)
        ev_sents = [u.sentence for u in chosen]

        categories: list[str] = []
        for s in ev_sents:
            for name in s.categories:
                cat = _category(name)
                if cat and cat not in categories:
                    categories.append(cat)
        found_types = {v for s in ev_sents for v, _a, _b in s.violence}
        event_types = [e for e in EVENT_TYPES if e in found_types]
        if is_attack and not event_types:
            event_types = ["other"]

        title_sent = analysis.sentences[0] if analysis.sentences and analysis.sentences[0].is_title else None
        body = [s.text for s in analysis.sentences if not s.is_title]
        # Places are coded only for documents the sentence model believes (attacks, and those an event test
        # rejected): the gazetteer scan of a whole article is a quarter of its classification time.
        believed = bool(passing)
        country, place = resolve([s.text for s in ev_sents], title, body, lang) if believed else (None, None)
        norms = [s.norm for s in analysis.sentences]
        title_norm = [title_sent.norm] if title_sent and not lex.is_caption(title_sent.text) else []
        tolls = toll_sentences(norms, [u.index for u in chosen], lex) if is_attack else []
        if is_attack and title_sent is not None and any(u.index == 0 for u in chosen):
            # The headline is the evidence ("Airstrike hits MSF hospital"): the lead tells the toll
            # ("The facility was struck at dawn, killing four people").
            lead = [s for s in analysis.sentences[1:3] if not lex.is_caption(s.text)]
            tolls += [
                s.norm for s in lead if lex.casualties and lex.casualties.search(s.norm) and ensure_violence(s, lex)
            ]
        cas = casualties([s.norm for s in ev_sents] + title_norm + tolls, lex, headline=next(iter(title_norm), None))

        perpetrator = None
        for s in ev_sents + ([title_sent] if title_sent else []):
            hits = spans(lex.perpetrators, s.norm)
            if hits:
                _n, a, b = min(hits, key=lambda h: h[1])
                perpetrator = s.norm[a:b]
                break
        orgs: list[str] = []
        for s in ev_sents + ([title_sent] if title_sent else []):
            for key, _a, _b in spans(lex.organizations, s.norm):
                name = lex.org_info[key].name
                if name not in orgs:
                    orgs.append(name)

        occurred = self._occurred(analysis, chosen, lex, published)
        return Verdict(
            is_attack=is_attack,
            score=score,
            categories=categories,
            event_types=event_types,
            country=country,
            location=place.name if place else None,
            lat=place.lat if place else None,
            lon=place.lon if place else None,
            killed=cas["killed"],
            injured=cas["injured"],
            kidnapped=cas["kidnapped"],
            perpetrator=perpetrator,
            organizations=orgs,
            occurred_on=occurred,
            historical=decision.reason == "historical" or is_historical(occurred, published),
            evidence=[s.text for s in ev_sents],
            reason=decision.reason,
            checks=[(c.name, c.passed, c.detail) for c in decision.checks],
            lang=lang,
            support=support_level(lang),
        )
