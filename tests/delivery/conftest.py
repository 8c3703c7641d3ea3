"""Fixtures for delivery tests: a database, a running webhook receiver, a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.store import Database
from alerts.store.tables import SubscriptionRow
from tests.support.databases import migrated_database
from tests.support.webhook_receiver import Receiver, verify_standard_webhook, webhook_receiver


class FakeClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        # A minute ahead of the wall clock: rows queued during the test (stamped with the real time) are due.
        self.now = start or datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database."""
    with migrated_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database on each backend (outbox claim logic must hold on both)."""
    with migrated_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    """A real HTTP webhook receiver on 127.0.0.1; every webhook it got is checked with ``standardwebhooks``.

    The check runs when the test ends, with the signing secret of the subscription whose target the request
    was sent to, so no delivered webhook goes unverified even where the test itself looks only at the body.
    """
    # Asked for here, at set-up, so that the database outlives the receiver and can be read at teardown.
    database = next((request.getfixturevalue(name) for name in ("db", "any_db") if name in request.fixturenames), None)
    with webhook_receiver() as running:
        yield running
    if database is None or not running.requests:
        return
    with database.session() as session:
        secrets = {row.target: row.signing_secret for row in session.scalars(select(SubscriptionRow))}
    for received in running.requests:
        secret = secrets.get(running.url + received.path)
        assert secret is not None, f"a webhook reached {received.path} that no subscription targets"
        assert verify_standard_webhook(secret, received.headers, received.body), f"bad signature: {received}"


@pytest.fixture
def clock() -> FakeClock:
    """A clock tests move by hand."""
    return FakeClock()
