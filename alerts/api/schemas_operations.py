"""Answer bodies of the operators' routes: the feeds (admin), /healthz and /readyz with the daemons of the
cluster (contract: docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from alerts.api.schemas_common import AnswerBody
from alerts.models import SourceKind


class FeedOut(AnswerBody):
    """A feed with its polling state."""

    id: str
    url: str
    interval_seconds: int
    language: str | None
    fetch_articles: bool
    kind: SourceKind = Field(description="what the URL answers with: rss, gdelt or reliefweb")
    origin: str = Field(description="file (the feed list) or api")
    enabled: bool
    last_poll_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    last_status: str | None = Field(description="ok, not_modified or error; null before the first poll")
    last_http_status: int | None
    last_error: str | None
    error_count: int = Field(description="errors in a row (0 after a success)")
    polls: int
    entries_seen: int


class FeedListOut(AnswerBody):
    """GET /feeds."""

    feeds: list[FeedOut]


class Health(AnswerBody):
    """GET /healthz."""

    status: Literal["ok"]


class DaemonView(AnswerBody):
    """One live daemon of the cluster, as the registry last saw it."""

    id: str
    seen_at: datetime
    feed_leases: int
    outbox_claims: int
    polls: int
    deliveries: int


class DaemonStatus(AnswerBody):
    """This daemon in /readyz: its id, what it holds, its work and share of the cluster's (docs/operations.md)."""

    id: str = Field(description="host:pid:random, as written in leases, claims and the registry")
    feed_leases: int
    outbox_claims: int
    feeds_polling: int
    polls: int = Field(description="feed polls since this daemon started")
    deliveries: int = Field(description="delivery attempts since this daemon started")
    poll_share: float = Field(description="this daemon's share of the live daemons' polls (0-1)")
    delivery_share: float = Field(description="this daemon's share of the live daemons' deliveries (0-1)")
    cluster: list[DaemonView]


class Readiness(AnswerBody):
    """GET /readyz: 200 when every check passes, 503 otherwise."""

    # ``daemon`` is left out, not null, where no daemon runs the API (an app built in tests or tools).
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    status: Literal["ready", "unavailable"]
    checks: dict[str, bool] = Field(description="each check by name (database, scheduler, ...) and whether it passed")
    daemon: DaemonStatus | None = Field(default=None, description="this daemon in the cluster (absent in tests)")
