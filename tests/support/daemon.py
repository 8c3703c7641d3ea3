"""`aidwatch serve` as a real subprocess, with a temp config, for end-to-end and fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx2
from sqlalchemy import create_engine, text

from tests.support.smtp_server import SmtpServer

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token"
T = TypeVar("T")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll_until(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Call ``check`` until it returns something truthy or ``timeout`` passes.

    The daemon is another process: there is no event to wait on, so this polls with a deadline.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        pause.wait(interval)


def write_feeds(folder: Path, feeds: list[tuple[str, str]], interval: str = "2s") -> None:
    """(Re)write the feed list; the daemon applies it at its next tick."""
    lines = [f'  - {{id: {fid}, url: "{url}", interval: {interval}}}' for fid, url in feeds]
    tmp = folder / "feeds.yaml.tmp"
    tmp.write_text("feeds:\n" + "\n".join(lines) + "\n" if lines else "feeds: []\n")
    tmp.replace(folder / "feeds.yaml")  # atomic: the daemon never reads half a file


def daemon_config(
    folder: Path,
    *,
    feeds: list[tuple[str, str]],
    smtp: SmtpServer | None = None,
    storage_url: str | None = None,
    extra: str = "",
) -> Path:
    """A config for a local daemon: SQLite in ``folder``, fast ticks, private networks allowed."""
    port = free_port()
    write_feeds(folder, feeds)
    smtp_section = f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\n' if smtp else ""
    config = folder / "aidwatch.toml"
    config.write_text(
        f'[storage]\nurl = "{storage_url or "sqlite:///state/aidwatch.db"}"\n'
        f'[api]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
        f'admin_token = "{ADMIN_TOKEN}"\nsubscriptions_per_hour = 1000\n'
        '[crawler]\nfeeds = "feeds.yaml"\ntick = "0.5s"\ndownload_timeout = "10s"\njitter = 0\n'
        f'[delivery]\nallow_private_networks = true\npoll_interval = "0.2s"\nbackoff_base = "1s"\n'
        f"{smtp_section}{extra}"
    )
    return config


class Daemon:
    """Runs `aidwatch serve` on ``config`` until the block ends (SIGTERM, then an exit-code check)."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.folder = config.parent
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AIDWATCH_")} | (env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.folder / "daemon.log"
        text_ = config.read_text()
        self.base_url = "http://" + text_.split('listen = "', 1)[1].split('"', 1)[0]
        self.db_url = "sqlite:///" + str(self.folder / "state" / "aidwatch.db")

    def start(self) -> Daemon:
        """Start the process and wait until /healthz answers."""
        self.launch()
        poll_until(self._healthy, 60, f"the daemon to answer /healthz (log: {self.log})")
        return self

    def launch(self) -> Daemon:
        """Start the process without waiting for it (it may be waiting for its database)."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "--config", str(self.config), "serve"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def wait_healthy(self, timeout: float = 60) -> None:
        """Wait until /healthz answers (after :meth:`launch`)."""
        poll_until(self._healthy, timeout, f"the daemon to answer /healthz (log: {self.log})")

    def log_lines(self, containing: str) -> list[str]:
        """The daemon's log lines that contain ``containing``."""
        return [line for line in self.log.read_text(errors="replace").splitlines() if containing in line]

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited with {self.proc.returncode}: {self.log.read_text()[-3000:]}")
        try:
            return httpx2.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except httpx2.TransportError:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Signal the daemon and wait for it to exit; returns its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"daemon did not stop within {timeout} s") from None

    def __enter__(self) -> Daemon:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        code = self.stop()
        if kind is None:
            assert code == 0, f"daemon exited with {code}: {self.log.read_text()[-3000:]}"

    def client(self) -> httpx2.Client:
        """An HTTP client on the daemon's API (admin token preset)."""
        return httpx2.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)

    def set_feeds(self, feeds: list[tuple[str, str]]) -> None:
        """Change the feed list while the daemon runs."""
        write_feeds(self.folder, feeds)

    def query(self, sql: str) -> Any:
        """One scalar from the daemon's database (read-only use)."""
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def wait_for_articles(self, count: int, timeout: float) -> int:
        """Wait until at least ``count`` articles are stored."""
        return int(
            poll_until(lambda: (n := self.query("SELECT count(*) FROM articles")) >= count and n, timeout, "articles")
        )

    def wait_for_incident_articles(self, incident_id: int, count: int, timeout: float) -> dict[str, Any]:
        """Wait until the incident lists ``count`` articles; returns its record."""

        def check() -> dict[str, Any] | None:
            response = self.client().get(f"/api/v1/incidents/{incident_id}")
            record: dict[str, Any] = response.json()
            return record if response.status_code == 200 and len(record["articles"]) >= count else None

        return poll_until(check, timeout, f"incident {incident_id} to have {count} articles")

    def wait_for_idle_outbox(self, timeout: float) -> None:
        """Wait until no outbox row is pending."""
        poll_until(
            lambda: self.query("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0,
            timeout,
            "the outbox to drain",
        )
