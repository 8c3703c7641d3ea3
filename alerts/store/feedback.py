"""Feedback in storage: record an answer, list answers for the admin, precision per feed and per
subscription, and the label rows ``aidwatch labels export`` writes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from alerts.store.engine import Database
from alerts.store.tables import ArticleRow, FeedbackRow, IncidentRow, OutboxRow, SubscriptionRow

#: Answers that still say the story reports an attack (only its coding was wrong) vs. that it does not.
ATTACK_CHOICES = ("wrong_place", "wrong_casualties")
NOT_ATTACK_CHOICES = ("not_an_attack",)


@dataclass(frozen=True, slots=True)
class FeedbackView:
    """One stored answer, as the admin API lists it."""

    id: int
    incident_id: int
    incident_version: int
    incident_title: str
    subscription_id: str | None
    choice: str
    comment: str
    created_at: datetime
    updated_at: datetime


def record_feedback(
    db: Database, incident_id: int, subscription_id: str | None, choice: str, comment: str, now: datetime
) -> FeedbackView | None:
    """Store an answer about the incident's current version; None when the incident does not exist.

    A subscription's second answer about the same incident replaces its first (insert-or-update, so two
    clicks at once still leave one row); answers from the public page each get a row.
    """
    with db.session() as session:
        version = session.scalar(select(IncidentRow.version).where(IncidentRow.id == incident_id))
        if version is None:
            return None
        values = {
            "incident_id": incident_id,
            "incident_version": version,
            "subscription_id": subscription_id,
            "choice": choice,
            "comment": comment,
            "created_at": now,
            "updated_at": now,
        }
        if subscription_id is None:
            row = FeedbackRow(**values)
            session.add(row)
            session.flush()
            feedback_id = row.id
        else:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            statement = insert(FeedbackRow).values(**values)
            upsert = statement.on_conflict_do_update(
                index_elements=["incident_id", "subscription_id"],
                set_={k: statement.excluded[k] for k in ("incident_version", "choice", "comment", "updated_at")},
            ).returning(FeedbackRow.id)
            feedback_id = int(session.execute(upsert).scalar_one())
        return _views(session, select(FeedbackRow).where(FeedbackRow.id == feedback_id))[0]


def _views(session: Any, query: Any) -> list[FeedbackView]:
    rows = session.execute(
        query.add_columns(IncidentRow.title).join(IncidentRow, IncidentRow.id == FeedbackRow.incident_id)
    ).all()
    return [
        FeedbackView(
            id=row.id,
            incident_id=row.incident_id,
            incident_version=row.incident_version,
            incident_title=title,
            subscription_id=row.subscription_id,
            choice=row.choice,
            comment=row.comment,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row, title in rows
    ]


def list_feedback(
    db: Database, *, incident_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[FeedbackView], int]:
    """Answers, newest first, and how many there are in all (for the filter)."""
    query = select(FeedbackRow)
    counted = select(func.count(FeedbackRow.id))
    if incident_id is not None:
        query = query.where(FeedbackRow.incident_id == incident_id)
        counted = counted.where(FeedbackRow.incident_id == incident_id)
    query = query.order_by(FeedbackRow.updated_at.desc(), FeedbackRow.id.desc()).limit(limit).offset(offset)
    with db.session() as session:
        return _views(session, query), int(session.scalar(counted) or 0)


@dataclass(slots=True)
class PrecisionRow:
    """Alerts sent to a subscription (or about a feed's reports) and how many were judged wrong."""

    id: str
    alerts_sent: int = 0
    judged_wrong: int = 0
    wrong_by_choice: dict[str, int] = field(default_factory=dict)

    @property
    def precision(self) -> float | None:
        """Share of sent alerts nobody judged wrong; None before any alert was sent."""
        return round(1 - self.judged_wrong / self.alerts_sent, 4) if self.alerts_sent else None

    def as_json(self) -> dict[str, Any]:
        """The admin API's object."""
        return {**asdict(self), "precision": self.precision}


def _sent_pairs(session: Any) -> set[tuple[str, int]]:
    """(subscription, incident) for every delivered alert, digests counted once per incident they held."""
    pairs: set[tuple[str, int]] = set()
    query = select(OutboxRow.subscription_id, OutboxRow.kind, OutboxRow.incident_id, OutboxRow.payload).where(
        OutboxRow.status == "delivered", OutboxRow.kind.in_(("alert", "digest"))
    )
    for subscription_id, kind, incident_id, payload in session.execute(query):
        if kind == "alert" and incident_id is not None:
            pairs.add((subscription_id, incident_id))
        elif kind == "digest":
            pairs.update((subscription_id, int(r["id"])) for r in (payload or {}).get("incidents", []))
    return pairs


def precision_report(db: Database) -> dict[str, list[PrecisionRow]]:
    """Precision per subscription and per feed, from delivered alerts and the answers to them.

    An alert is one (subscription, incident) pair that was delivered; it is judged wrong when that
    subscription answered the incident's feedback link (any choice). A feed's alerts are those about
    incidents one of its articles reported. Answers from the public page are not alerts and count in
    neither; they are in the feedback list and the label export.
    """
    with db.session() as session:
        sent = _sent_pairs(session)
        answers = {
            (sub, incident): choice
            for sub, incident, choice in session.execute(
                select(FeedbackRow.subscription_id, FeedbackRow.incident_id, FeedbackRow.choice).where(
                    FeedbackRow.subscription_id.is_not(None)
                )
            )
        }
        feeds_of: dict[int, set[str]] = defaultdict(set)
        incident_ids = {incident for _sub, incident in sent}
        if incident_ids:
            query = select(ArticleRow.incident_id, ArticleRow.feed_id).where(
                ArticleRow.incident_id.in_(incident_ids), ArticleRow.feed_id.is_not(None)
            )
            for incident_id, feed_id in session.execute(query):
                if incident_id is not None and feed_id is not None:
                    feeds_of[incident_id].add(feed_id)
        subscriptions = {sid: PrecisionRow(sid) for sid in session.scalars(select(SubscriptionRow.id))}
    feeds: dict[str, PrecisionRow] = {}
    for sub, incident in sent:
        rows = [subscriptions[sub]] if sub in subscriptions else []
        rows += [feeds.setdefault(feed, PrecisionRow(feed)) for feed in sorted(feeds_of[incident])]
        choice = answers.get((sub, incident))
        for row in rows:
            row.alerts_sent += 1
            if choice is not None:
                row.judged_wrong += 1
                row.wrong_by_choice[choice] = row.wrong_by_choice.get(choice, 0) + 1
    return {
        "subscriptions": sorted(subscriptions.values(), key=lambda r: r.id),
        "feeds": sorted(feeds.values(), key=lambda r: r.id),
    }


def label_of(answers: Counter[str]) -> int | None:
    """The training label the answers give an incident's articles: 0 when most say it is no attack, 1
    when most say only its place or figures are wrong, None (not used for training) otherwise."""
    not_attack = sum(answers[c] for c in NOT_ATTACK_CHOICES)
    attack = sum(answers[c] for c in ATTACK_CHOICES)
    if not_attack > attack:
        return 0
    if attack > not_attack:
        return 1
    return None


def label_rows(db: Database) -> Iterator[dict[str, Any]]:
    """One JSON-ready row per article of every incident with answers (format: docs/classifier.md)."""
    with db.session() as session:
        answers: dict[int, Counter[str]] = defaultdict(Counter)
        for incident_id, choice in session.execute(select(FeedbackRow.incident_id, FeedbackRow.choice)):
            answers[incident_id][choice] += 1
        for incident_id in sorted(answers):
            incident = session.get(IncidentRow, incident_id)
            if incident is None:
                continue
            label = label_of(answers[incident_id])
            articles = session.scalars(
                select(ArticleRow).where(ArticleRow.incident_id == incident_id).order_by(ArticleRow.id)
            )
            for article in articles:
                yield {
                    "id": f"aidwatch:article:{article.id}",
                    "title": article.title,
                    "text": article.text,
                    "label": label,
                    "lang": article.language or incident.language,
                    "date": incident.occurred_on.isoformat() if incident.occurred_on else None,
                    "country": incident.country_name or incident.country_code,
                    "kind": "feedback",
                    "source": f"aidwatch feedback on incident {incident_id}",
                    "incident_id": incident_id,
                    "answers": dict(sorted(answers[incident_id].items())),
                }
