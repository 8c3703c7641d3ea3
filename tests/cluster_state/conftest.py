"""Cluster-state tests: several daemons (engines, app instances) on one PostgreSQL schema or one Redis."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.store import Database
from tests.support.databases import migrated_database


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty PostgreSQL schema (the database several daemons share)."""
    with migrated_database("postgresql", tmp_path) as database:
        yield database
