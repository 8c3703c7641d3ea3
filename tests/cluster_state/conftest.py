"""Cluster-state tests: several daemons (engines, app instances) on one PostgreSQL schema or one Redis."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from limits.storage import RedisStorage

from alerts.store import Database
from tests.support.databases import migrated_database


@pytest.fixture
def pg(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty PostgreSQL schema (the database several daemons share)."""
    with migrated_database("postgresql", tmp_path) as database:
        yield database


REDIS_URL = os.environ.get("AIDWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    """Skip (or fail under CI=true) when Redis does not answer at ``REDIS_URL``."""
    if not RedisStorage(REDIS_URL, socket_connect_timeout=3).check():
        message = f"Redis not reachable at {REDIS_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must run the Redis tests")
        pytest.skip(message)
