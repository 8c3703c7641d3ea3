"""The aidwatch command line as users run it: real subprocesses, a real local feed server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.daemon import poll_until
from tests.support.feed_server import FeedServer, article_page, rss

CLI = [sys.executable, "-m", "crawler.cli"]
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, feeds: list[tuple[str, str]], port: int = 0, extra: str = "") -> Path:
    (folder / "feeds.yaml").write_text(
        "feeds:\n" + "".join(f'  - {{id: {fid}, url: "{url}", interval: 60s}}\n' for fid, url in feeds)
    )
    config = folder / "aidwatch.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///state/aidwatch.db"\n[api]\nlisten = "127.0.0.1:{port or free_port()}"\n'
        f'[crawler]\nfeeds = "feeds.yaml"\ntick = "1s"\nobey_robots_txt = true\n{extra}'
    )
    return config


def run(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDWATCH_")}
    return subprocess.run(
        [*CLI, "--config", str(config), *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
    )


@pytest.fixture
def news_feed(feed_server: FeedServer, request: pytest.FixtureRequest) -> str:
    """A feed of three items whose article pages exist, unique to the test."""
    prefix = f"/cli-{request.node.name[:40]}"
    items = []
    for n in range(3):
        path = f"{prefix}/article-{n}.html"
        feed_server.route(path, body=article_page(f"{request.node.name}-{n}"))
        items.append((feed_server.url(path), f"Item {n}"))
    return feed_server.feed(f"{prefix}/feed.xml", rss(items))


def test_bad_config_fails_with_file_key_and_reason(tmp_path: Path) -> None:
    config = tmp_path / "aidwatch.toml"
    config.write_text('[crawler]\ndefault_interval = "whenever"\n')
    result = run(config, "feeds")
    assert result.returncode == 2
    assert str(config) in result.stderr and "[crawler] default_interval" in result.stderr


def test_crawl_stores_new_articles_once_then_not_modified_then_nothing_after_restart(
    tmp_path: Path, news_feed: str
) -> None:
    config = write_config(tmp_path, [("news", news_feed)])
    first = run(config, "crawl", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert set(summary) == {
        "feeds",
        "not_modified",
        "failed",
        "entries_new",
        "articles",
        "incidents_new",
        "incidents_updated",
        "alerts_queued",
    }
    assert (summary["feeds"], summary["entries_new"], summary["articles"], summary["failed"]) == (1, 3, 3, 0)

    second = json.loads(run(config, "crawl", "--json").stdout.strip().splitlines()[-1])
    assert (second["not_modified"], second["entries_new"], second["articles"]) == (1, 0, 0)

    listing = run(config, "feeds")
    assert listing.returncode == 0 and "news" in listing.stdout and "not_modified" in listing.stdout


def test_crawl_of_an_unknown_feed_is_an_error(tmp_path: Path, news_feed: str) -> None:
    config = write_config(tmp_path, [("news", news_feed)])
    result = run(config, "crawl", "--feed", "nope")
    assert result.returncode == 2 and "nope" in result.stderr


def test_db_upgrade_is_idempotent(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    assert run(config, "db", "upgrade").returncode == 0
    again = run(config, "db", "upgrade")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert (tmp_path / "state" / "aidwatch.db").exists()


def wait_http(url: str, timeout: float) -> httpx.Response:
    def answer() -> httpx.Response | None:
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            return None

    return poll_until(answer, timeout, url)


def test_serve_answers_health_and_stops_cleanly_on_sigterm(tmp_path: Path, news_feed: str) -> None:
    port = free_port()
    config = write_config(tmp_path, [("news", news_feed)], port=port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDWATCH_")}
    proc = subprocess.Popen(
        [*CLI, "--config", str(config), "serve"], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        health = wait_http(f"http://127.0.0.1:{port}/healthz", 30)
        assert health.status_code == 200
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["checks"]["database"] is True
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_db_copy_moves_everything_to_postgresql(tmp_path: Path, news_feed: str) -> None:
    from tests.support.databases import postgres_schema_url

    config = write_config(tmp_path, [("news", news_feed)])
    assert run(config, "crawl").returncode == 0
    with postgres_schema_url() as url:
        copied = run(config, "db", "copy", "--to", url)
        assert copied.returncode == 0, copied.stderr
        assert "articles: 3 rows" in copied.stdout and "seen_entries: 3 rows" in copied.stdout
        again = run(config, "db", "copy", "--to", url)
        assert again.returncode == 1 and "not empty" in again.stderr
    missing = run(config, "db", "copy")
    assert missing.returncode == 2 and "--to" in missing.stderr
