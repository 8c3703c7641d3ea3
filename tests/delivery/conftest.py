"""Fixtures for delivery tests: a database, a running webhook receiver, a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.store import Database
from tests.support.databases import migrated_database
from tests.support.webhook_receiver import Receiver, webhook_receiver


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
def receiver() -> Iterator[Receiver]:
    """A real HTTP webhook receiver on 127.0.0.1."""
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    """A clock tests move by hand."""
    return FakeClock()
