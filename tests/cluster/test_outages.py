"""A daemon and its database's outages: it waits for the database at start-up instead of exiting, and
logs an outage once when it starts and once when it ends (ticker and delivery loop), with no traceback.

PostgreSQL is shared and must never be stopped: a TCP proxy in front of it stands in for the server
going away (tests/support/tcp_proxy.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.engine import make_url

from tests.support.daemon import Daemon, daemon_config, poll_until
from tests.support.databases import postgres_schema_url
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def proxied_postgres() -> Iterator[tuple[TcpProxy, str]]:
    """A fresh PostgreSQL schema reached through a proxy that starts closed; (proxy, its URL)."""
    with postgres_schema_url() as url:
        parsed = make_url(url)
        with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
            yield proxy, parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def metric(daemon: Daemon, name: str) -> float:
    """One unlabelled sample of the daemon's /metrics."""
    text = httpx2.get(daemon.base_url + "/metrics", timeout=5).text
    match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_waits_for_the_database_at_start_up_then_logs_an_outage_once_each_way(
    tmp_path: Path, proxied_postgres: tuple[TcpProxy, str]
) -> None:
    proxy, url = proxied_postgres
    config = daemon_config(tmp_path, feeds=[], storage_url=url)
    daemon = Daemon(config).launch()
    try:
        # Nothing listens yet: one line says the daemon waits, and it keeps running.
        poll_until(lambda: daemon.log_lines("waiting for the database"), 60, "the start-up wait line")
        assert daemon.proc is not None and daemon.proc.poll() is None
        proxy.open()
        daemon.wait_healthy()
        [answered] = daemon.log_lines("answered after")
        assert "starting" in answered
        ready = httpx2.get(daemon.base_url + "/readyz", timeout=5).json()
        daemon_id = ready["daemon"]["id"]
        assert daemon_id.split(":")[1] == str(daemon.proc.pid)
        assert [view["id"] for view in ready["daemon"]["cluster"]] == [daemon_id]
        metrics = httpx2.get(daemon.base_url + "/metrics", timeout=5).text
        assert f'aidwatch_daemon_info{{daemon_id="{daemon_id}"}} 1.0' in metrics
        assert metric(daemon, "aidwatch_cluster_daemons") == 1

        # An outage: every connection is cut and new ones are refused, for several ticks.
        proxy.close()
        poll_until(lambda: metric(daemon, "aidwatch_tick_errors_total") >= 3, 60, "three failed ticks")
        poll_until(lambda: daemon.log_lines("delivery: database unavailable"), 60, "the delivery loop's outage line")
        assert httpx2.get(daemon.base_url + "/readyz", timeout=10).status_code == 503
        proxy.open()
        poll_until(
            lambda: (
                daemon.log_lines("ticker: database available again")
                and daemon.log_lines("delivery: database available again")
            ),
            60,
            "both loops to log the end of the outage",
        )
        poll_until(lambda: httpx2.get(daemon.base_url + "/readyz", timeout=10).status_code == 200, 60, "ready again")
        metrics = httpx2.get(daemon.base_url + "/metrics", timeout=5).text
        for loop in ("ticker", "delivery"):
            assert f'aidwatch_database_outages_total{{component="{loop}"}} 1.0' in metrics
    finally:
        code = daemon.stop()
    assert code == 0
    for loop in ("ticker", "delivery"):
        assert len(daemon.log_lines(f"{loop}: database unavailable")) == 1, loop
        assert len(daemon.log_lines(f"{loop}: database available again")) == 1, loop
    assert len(daemon.log_lines("waiting for the database")) == 1
    assert not daemon.log_lines("Traceback")


def test_a_daemon_stopped_while_waiting_for_its_database_exits_cleanly(
    tmp_path: Path, proxied_postgres: tuple[TcpProxy, str]
) -> None:
    _proxy, url = proxied_postgres
    daemon = Daemon(daemon_config(tmp_path, feeds=[], storage_url=url)).launch()
    poll_until(lambda: daemon.log_lines("waiting for the database"), 60, "the start-up wait line")
    assert daemon.stop() == 0
    assert daemon.log_lines("stopped while waiting for the database")
