"""Every storage test runs against SQLite and PostgreSQL (one contract, every backend)."""

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
