"""The aidwatch command line as users run it: real subprocesses, a real local feed server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx2
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


def wait_http(url: str, timeout: float) -> httpx2.Response:
    def answer() -> httpx2.Response | None:
        try:
            return httpx2.get(url, timeout=1)
        except httpx2.TransportError:
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
        ready = httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
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


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("make_feed", "words"),
    [
        pytest.param(lambda s, port: f"http://127.0.0.1:{port}/feed.xml", ["refused"], id="unreachable-host"),
        pytest.param(
            lambda s, port: s.route("/cli-fail/500.xml", status=500, body=b"oops"), ["HTTP 500"], id="http-500"
        ),
        pytest.param(
            lambda s, port: s.route("/cli-fail/page.html", body=b"<html><body>hello</body></html>"),
            ["not a feed"],
            id="not-a-feed",
        ),
        pytest.param(
            lambda s, port: s.feed("/cli-fail/hostile.xml", rss([(f"http://127.0.0.2:{port}/admin", "Hostile")])),
            ["refused", "127.0.0.2", "loopback"],
            id="hostile-article-link",
        ),
    ],
)
def test_a_failing_feed_is_one_line_naming_it_and_a_nonzero_exit(
    make_feed: Callable[[FeedServer, int], str], words: list[str], tmp_path: Path, feed_server: FeedServer
) -> None:
    closed_port = free_port()  # nothing listens there
    url = make_feed(feed_server, closed_port)
    config = write_config(tmp_path, [("broken", url)])

    result = run(config, "crawl", "--json")

    assert result.returncode == 1
    lines = stderr_lines(result)
    assert len(lines) == 1, result.stderr  # not a traceback
    assert "broken" in lines[0] and all(word in lines[0] for word in words), lines[0]
    assert json.loads(result.stdout.strip().splitlines()[-1])["failed"] == 1
    listing = run(config, "feeds")
    row = next(line for line in listing.stdout.splitlines() if line.startswith("broken"))
    assert "error" in row and words[0] in row


def test_serve_on_a_busy_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, [], port=port)
        result = run(config, "serve", timeout=60)
    assert result.returncode == 1
    assert stderr_lines(result) == [f"aidwatch: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert not (tmp_path / "state").exists()  # stopped before touching anything


def test_feeds_and_subscriptions_tables_have_upper_case_headers(tmp_path: Path, news_feed: str) -> None:
    from alerts.store import make_database
    from tests.support.alerting import add_subscription

    config = write_config(tmp_path, [("news", news_feed)])
    assert run(config, "db", "upgrade").returncode == 0
    add_subscription(make_database(f"sqlite:///{tmp_path / 'state' / 'aidwatch.db'}"))
    for command, first_columns in (("feeds", ["ID", "KIND", "STATUS", "ERRORS"]), ("subscriptions", ["ID", "CHANNEL"])):
        result = run(config, command)
        assert result.returncode == 0, result.stderr
        header = result.stdout.splitlines()[0]
        assert header == header.upper() and header.split()[: len(first_columns)] == first_columns, header


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        pytest.param("foo://bar", 2, ["foo://bar", "expected a sqlite:/// or postgresql:// URL"], id="unknown-scheme"),
        pytest.param("postgresql://u@db:notaport/x", 2, ["notaport", "port"], id="port-not-a-number"),
        pytest.param("postgresql://u@db:99999/x", 2, ["port", "65535"], id="port-out-of-range"),
        pytest.param("sqlite:relative.db", 2, ["sqlite:relative.db", "not a usable database URL"], id="unparsable"),
        pytest.param(
            "postgresql://aidwatch:s3cret@127.0.0.1:{closed}/x",
            1,
            ["aidwatch:***@127.0.0.1", "refused"],
            id="unreachable-password-hidden",
        ),
    ],
)
def test_db_copy_to_a_bad_url_is_one_clear_line(url: str, code: int, words: list[str], tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    result = run(config, "db", "copy", "--to", url.format(closed=free_port()))
    assert result.returncode == code
    lines = stderr_lines(result)
    assert len(lines) == 1 and lines[0].startswith("aidwatch: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert "pydantic" not in lines[0] and "s3cret" not in lines[0]
