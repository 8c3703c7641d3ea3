"""``scrapy crawl feeds|gdelt|reliefweb`` from the repository root: the settings and spider arguments it runs with.

The daemon and ``aidwatch crawl`` pass both in through :func:`crawler.crawl_runner.run_crawl`; a crawl that
Scrapy's own command starts has no caller to pass them, so the spider builds them here, from the config file
and the database it names.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alerts.feedlist import load_feed_list
from alerts.settings import Settings, load_settings
from alerts.store import make_database, upgrade
from alerts.store.feed_leases import lease_due_feeds
from alerts.store.feeds import list_feeds, sync_feed_list
from alerts.store.tables import utcnow
from config import DEFAULT_CONFIG_FILE
from crawler.ticker import daemon_identity

log = logging.getLogger(__name__)


def standalone_settings() -> Settings:
    """aidwatch settings from $AIDWATCH_CONFIG or the shipped config file."""
    env_path = os.environ.get("AIDWATCH_CONFIG")
    return load_settings(Path(env_path) if env_path else DEFAULT_CONFIG_FILE, os.environ)


def standalone_arguments(kind: str = "rss") -> dict[str, Any]:
    """Spider arguments to poll every enabled feed of ``kind`` in the configured database (those it can lease)."""
    settings = standalone_settings()
    crawler = settings.crawler
    db = make_database(settings.storage.url, echo=settings.storage.echo)
    upgrade(db)
    sync_feed_list(db, load_feed_list(crawler.feeds, crawler.default_interval, crawler.fetch_articles))
    ids = [feed.id for feed in list_feeds(db) if feed.kind == kind]
    feeds = lease_due_feeds(
        db,
        utcnow(),
        owner=daemon_identity(),
        lease_seconds=max(600.0, crawler.download_timeout * 20),
        limit=max(len(ids), 1),
        feed_ids=ids,
    )
    log.info(
        "polling %d of %d enabled %s feeds (the others are leased by a running daemon)", len(feeds), len(ids), kind
    )
    return {"feeds": feeds, "settings": settings, "db": db}
