"""``scrapy crawl feeds`` from the repository root polls every configured feed through the same pipeline."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.feed_server import FeedServer, rss
from tests.support.shared import REPO_ROOT


@pytest.mark.slow
def test_scrapy_crawl_feeds_uses_the_configured_feeds_and_database(feed_server: FeedServer, tmp_path: Path) -> None:
    url = feed_server.feed("/scrapy-crawl/feed.xml", rss([(feed_server.url("/articles/scrapy-crawl-1"), "One")]))
    (tmp_path / "feeds.yaml").write_text(f"feeds:\n  - id: local\n    url: {url}\n")
    (tmp_path / "aidwatch.toml").write_text(
        '[storage]\nurl = "sqlite:///aidwatch.db"\n[crawler]\nfeeds = "feeds.yaml"\n'
        'download_timeout = "10s"\nuser_agent = "aidwatch-scrapy-crawl/1.0"\n'
    )
    env = {**os.environ, "AIDWATCH_CONFIG": str(tmp_path / "aidwatch.toml")}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "feeds"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(tmp_path / "aidwatch.db") as conn:
        assert conn.execute("SELECT id, last_status, error_count FROM feeds").fetchall() == [
            ("local", "not_modified", 0)
        ]
        assert conn.execute("SELECT url, text_source FROM articles").fetchall() == [
            (feed_server.url("/articles/scrapy-crawl-1"), "page")
        ]
    assert feed_server.requests_for("/scrapy-crawl/feed.xml")[0].headers["user-agent"] == "aidwatch-scrapy-crawl/1.0"
