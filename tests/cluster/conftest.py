"""Cluster tests: several daemons (or their parts) on one database, PostgreSQL in its own schema."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.store import Database
from tests.support.databases import migrated_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    with migrated_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty PostgreSQL schema (what several daemons share)."""
    with migrated_database("postgresql", tmp_path) as database:
        yield database
