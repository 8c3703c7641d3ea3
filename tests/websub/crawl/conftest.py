"""Crawls of pushed bodies run on the asyncio reactor's loop, as every crawl test does (tests/crawler/conftest.py)."""

from tests.crawler.conftest import pytest_asyncio_loop_factories

__all__ = ["pytest_asyncio_loop_factories"]
