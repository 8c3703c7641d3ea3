"""Crawler tests run on the asyncio reactor's own loop, shared by the whole session.

Twisted's reactor is installed once per process and binds to one asyncio loop; pytest-asyncio's
default per-test loops would each be a different loop, on which Scrapy fetches nothing. This hook
makes the tests under this folder run on the reactor's loop (docs/decisions/0001-reactor-and-loop.md),
and every async test here must use ``loop_scope="session"`` (set by ``pytestmark`` in each module).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from crawler.reactor import reactor_loop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """One loop factory: the loop the asyncio reactor was installed with (in tests/conftest.py)."""
    return {"reactor": reactor_loop}
