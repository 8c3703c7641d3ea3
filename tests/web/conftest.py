"""Fixtures for the web page tests: the daemon's app on a real socket, a mail sink, Debian's Chromium."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alerts.settings import Settings
from alerts.store import Database
from alerts.web import create_site
from crawler.api_server import api_server
from tests.support.databases import migrated_database
from tests.support.smtp_server import SmtpServer, smtp_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-output" / "screenshots"


@dataclass
class Site:
    """The app served on 127.0.0.1 with its database, settings and mail sink."""

    url: str
    db: Database
    settings: Settings
    smtp: SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server capturing what the delivery worker sends."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpServer) -> Iterator[Site]:
    """The API and web pages on a real socket, in a thread with its own event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = Settings.model_validate(
        {
            "api": {"public_url": url, "admin_token": "admin-token-for-web-tests"},
            "smtp": {"host": smtp.host, "port": smtp.port, "sender": "aidwatch <alerts@aidwatch.test>"},
        }
    )
    with migrated_database("sqlite", tmp_path) as db:
        server = api_server(settings, create_site(settings, db))
        # The socket already listens: connections wait in its backlog until uvicorn accepts them.
        thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        thread.start()
        try:
            yield Site(url, db, settings, smtp)
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download); skipped where it is not installed.

    Module-scoped: Playwright's sync API keeps an event loop running on the main thread while it is open,
    which asyncio tests collected after these must not find.
    """
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps`")
        pytest.skip(f"{CHROMIUM} is missing: `make browser-deps` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root on the project's machines, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots are written to (ignored by git: var/)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


def link_in(text: str, pattern: str) -> str:
    """The first URL in ``text`` whose path matches ``pattern`` (e.g. ``/confirm\\?token=``)."""
    found = re.search(r"(https?://\S*" + pattern + r"\S*)", text)
    assert found, f"no link matching {pattern!r} in:\n{text}"
    return found.group(1)
