"""Source-kind tests run on the asyncio reactor's loop, like the crawler tests (tests/crawler/conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from crawler.reactor import reactor_loop


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """One loop factory: the loop the asyncio reactor was installed with (in tests/conftest.py)."""
    return {"reactor": reactor_loop}
