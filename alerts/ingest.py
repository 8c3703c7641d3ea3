"""Process one new article: classify, store, merge into an incident and queue alerts, in one transaction."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alerts import incidents, metrics
from alerts.models import Article, Verdict
from alerts.store import utcnow
from alerts.store.articles import add_article, add_articles, link_article, mark_seen_pairs, url_key
from alerts.store.engine import Database, Transaction
from alerts.store.incident_versions import record_version
from alerts.store.incidents import (
    add_incident,
    country_name,
    load_incident,
    lock_countries,
    merge_candidates,
    update_incident,
)
from alerts.subscriptions import queue_alerts

Classifier = Callable[[str, str, str | None, datetime | None], Verdict]

log = logging.getLogger(__name__)

# Two reports of one attack arriving together (from any crawl in this process) must not both create an
# incident. On SQLite this process lock does it (one daemon per file). On PostgreSQL the advisory lock per
# country (``lock_countries``) serialises the merges of every thread of every daemon, so threads there do
# not take this lock and merges in different countries run side by side.
_MERGE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What ingesting one article did."""

    stored: bool
    is_attack: bool = False
    incident_id: int | None = None
    incident_event: str | None = None  # "incident.created", "incident.updated" or None
    alerts_queued: int = 0


def default_classifier(threshold: float) -> Classifier:
    """The production classifier at the configured threshold."""
    from alerts.classify import classify

    def run(title: str, body: str, lang: str | None, published: datetime | None) -> Verdict:
        return classify(title, body, lang=lang, published=published, threshold=threshold)

    return run


class Ingestor:
    """Turns new articles into stored articles, incidents and outbox rows.

    Thread-safe: the crawler calls it from worker threads so the event loop never waits on the
    classifier or the database.
    """

    def __init__(
        self,
        db: Database,
        classifier: Classifier,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.classifier = classifier
        self.clock = clock

    def ingest(self, article: Article) -> IngestOutcome:
        """Classify and store ``article``; marks its entry seen even when the URL was already stored."""
        return self.store(article, self._classify(article))

    def store(self, article: Article, verdict: Verdict) -> IngestOutcome:
        """Store an already classified ``article`` in its own transaction."""
        with self._merge_guard(), self.db.transaction() as tx:
            return self._store_batch(tx, [(article, verdict)])[0]

    def ingest_many(self, articles: Sequence[Article]) -> list[IngestOutcome | Exception]:
        """Classify and store ``articles`` in one transaction; one outcome (or error) per article, in order.

        A transaction per article cost more than the article's classification. Attacks are merged one
        after another inside the transaction, exactly as :meth:`ingest` would. When the batch cannot be
        written, each article is stored on its own, so one bad article fails alone.
        """
        verdicts: list[Verdict | Exception] = []
        for article in articles:
            try:
                verdicts.append(self._classify(article))
            except Exception as exc:  # a document that breaks the classifier fails alone
                verdicts.append(exc)
        ready = [(a, v) for a, v in zip(articles, verdicts, strict=True) if isinstance(v, Verdict)]
        results: list[IngestOutcome | Exception]
        try:
            with self._merge_guard(), self.db.transaction() as tx:
                results = list(self._store_batch(tx, ready))
        except Exception:
            if len(ready) > 1:
                log.warning("a batch of %d articles could not be stored; storing them one by one", len(ready))
            results = [self._store_alone(a, v) for a, v in ready]
        stored = iter(results)
        return [next(stored) if isinstance(v, Verdict) else v for v in verdicts]

    def _merge_guard(self) -> AbstractContextManager[object]:
        """The process-wide merge lock on SQLite; nothing on PostgreSQL, where the advisory locks serve."""
        return _MERGE_LOCK if self.db.is_sqlite else contextlib.nullcontext()

    def _classify(self, article: Article) -> Verdict:
        verdict = self.classifier(article.title, article.text, article.language, article.published)
        metrics.DOCUMENTS_CLASSIFIED.labels(verdict.lang or "unknown", verdict.support).inc()
        return verdict

    def _store_alone(self, article: Article, verdict: Verdict) -> IngestOutcome | Exception:
        try:
            return self.store(article, verdict)
        except Exception as exc:
            return exc

    def _store_batch(self, tx: Transaction, batch: list[tuple[Article, Verdict]]) -> list[IngestOutcome]:
        now = self.clock()
        mark_seen_pairs(tx, [(a.feed_id, a.entry_key) for a, _v in batch], now)
        # Within the batch, the first article of a URL is the one stored (as between batches).
        urls: set[str] = set()
        first: list[bool] = []
        for article, _v in batch:
            key = url_key(article.url)
            first.append(key not in urls)
            urls.add(key)
        quiet = [(a, v) for (a, v), is_first in zip(batch, first, strict=True) if is_first and not v.is_attack]
        stored_keys = add_articles(tx, quiet, now)
        attacks = [v.country for (_a, v), is_first in zip(batch, first, strict=True) if is_first and v.is_attack]
        # Several daemons on one PostgreSQL: serialise merges per country for this transaction.
        lock_countries(tx, attacks)
        outcomes: list[IngestOutcome] = []
        for (article, verdict), is_first in zip(batch, first, strict=True):
            if not is_first:
                outcomes.append(IngestOutcome(stored=False))
            elif not verdict.is_attack:
                outcomes.append(IngestOutcome(stored=url_key(article.url) in stored_keys))
            elif (article_id := add_article(tx, article, verdict, now)) is None:
                outcomes.append(IngestOutcome(stored=False))
            else:
                outcomes.append(self._code_attack(tx, article_id, article, verdict, now))
        return outcomes

    def _code_attack(
        self, tx: Transaction, article_id: int, article: Article, verdict: Verdict, now: datetime
    ) -> IngestOutcome:
        incident_id, event, historical = self._merge(tx, article_id, article, verdict, now)
        queued = 0
        if event is not None:
            incident = load_incident(tx, incident_id)
            record_version(tx, incident, event, now)  # the incident page's history
            if not historical:
                queued = queue_alerts(tx, incident, event)
        return IngestOutcome(
            stored=True,
            is_attack=True,
            incident_id=incident_id,
            incident_event=event,
            alerts_queued=queued,
        )

    def _merge(
        self, tx: Transaction, article_id: int, article: Article, verdict: Verdict, now: datetime
    ) -> tuple[int, str | None, bool]:
        """Merge into a matching incident or create one; returns (incident id, event or None, historical)."""
        occurred = verdict.occurred_on or _date_of(article.published) or now.date()
        for existing in merge_candidates(tx, verdict.country, occurred):
            if not incidents.same_incident(existing, verdict):
                continue
            link_article(tx, article_id, existing.id)
            fields, changed = incidents.merge_facts(existing, verdict)
            # Quiet facts (more evidence, organisations, a higher score) are kept without a new version.
            update_incident(tx, existing.id, fields, new_version=changed, now=now)
            return existing.id, "incident.updated" if changed else None, existing.historical
        incident_id = add_incident(tx, _new_incident_fields(article, verdict, occurred), now)
        link_article(tx, article_id, incident_id)
        return incident_id, "incident.created", verdict.historical


def _new_incident_fields(article: Article, verdict: Verdict, occurred: date) -> dict[str, Any]:
    """The facts of a new incident coded from its first report (``Incident`` field names)."""
    title = article.title or (verdict.evidence[0][:200] if verdict.evidence else article.url)
    return {
        "title": title,
        "summary": _summary(verdict, article, title),
        "score": verdict.score,
        "categories": list(verdict.categories),
        "event_types": list(verdict.event_types),
        "country_code": verdict.country,
        "country_name": country_name(verdict.country),
        "location_name": verdict.location,
        "lat": verdict.lat,
        "lon": verdict.lon,
        "occurred_on": occurred,
        "killed": verdict.killed,
        "injured": verdict.injured,
        "kidnapped": verdict.kidnapped,
        "perpetrator": verdict.perpetrator,
        "organizations": list(verdict.organizations),
        "evidence": list(verdict.evidence),
        "language": article.language,
        "historical": verdict.historical,
    }


def _date_of(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _summary(verdict: Verdict, article: Article, title: str) -> str:
    return incident_summary(title, verdict.evidence, article.summary or article.text)


def _norm(text_: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text_.casefold()).split())


def _strip_title(text_: str, title: str) -> str:
    """``text_`` without leading copies of ``title`` (headline + lead feeds often open with it)."""
    wanted = _norm(title)
    size = len(wanted.split())
    while wanted and text_:
        words = text_.split(" ")
        head, rest = " ".join(words[:size]), " ".join(words[size:])
        # Only a whole headline: "Clinic attacked. Staff ..." loses it, "Clinic attacked twice" keeps it.
        at_boundary = not rest or head[-1:] in ".!?:;|-–—" or rest[:1].isupper() or rest[:1] in "-–—|:"
        if _norm(head) != wanted or not at_boundary:
            break
        text_ = rest.lstrip(" -–—|:;.")
    return text_


def incident_summary(title: str, evidence: Sequence[str], fallback: str, limit: int = 600) -> str:
    """The summary of a new incident: what the evidence (or the article's lead) adds to the title.

    It never opens by repeating the title, which every view shows right above it; it may be empty when
    the article says nothing more than its headline.
    """
    wanted = _norm(title)
    sentences = [s for s in evidence if _norm(s) != wanted]
    text_ = " ".join((" ".join(sentences) if sentences else fallback).split())
    text_ = _strip_title(text_, title)
    return text_ if len(text_) <= limit else text_[: limit - 1].rsplit(" ", 1)[0] + "…"
