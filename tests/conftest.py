"""Shared fixtures. Keep this file small: each part is a short block that others can append to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.reactor import install_asyncio_reactor
from tests.support.feed_server import FeedServer
from tests.support.shared import require_shared

# Before anything imports twisted.internet.reactor (docs/decisions/0001-reactor-and-loop.md).
install_asyncio_reactor()


# --- crawler: the local feed server ---------------------------------------------------------
@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1 serving the shared feeds, article pages and faults."""
    server = FeedServer().start()
    yield server
    server.stop()


# --- ../shared: tests marked @pytest.mark.shared(path, ...) skip without it, and fail under CI=true --------
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Check the ../shared paths a test's ``shared`` marks name before it runs (tests/support/shared.py)."""
    for mark in item.iter_markers("shared"):
        require_shared(*mark.args)


# --- markers: a test run on the "postgresql" parameter of a database fixture is a postgres test -----
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test parametrized with the PostgreSQL backend ``postgres`` (``make test-fast`` leaves them out)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            item.add_marker(pytest.mark.postgres)
