"""aidwatch: alerts on attacks on humanitarian sites and staff, from news feeds."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from alerts.settings import Settings, SettingsError, load_settings
from alerts.store.engine import Database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aidwatch", description=__doc__)
    parser.add_argument("--config", type=Path, help="config file (default: $AIDWATCH_CONFIG or the shipped one)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("serve", help="run the daemon: scheduler, crawler, API, delivery")
    crawl = commands.add_parser("crawl", help="poll all (or one) feeds now and print a summary")
    crawl.add_argument("--feed", metavar="ID", help="only this feed")
    crawl.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    classify = commands.add_parser("classify", help="classify JSON lines (or one plain-text document)")
    classify.add_argument("file", nargs="?", default="-", help="input file, '-' for standard input")
    classify.add_argument(
        "--explain", action="store_true", help="print for a person: the decision, what was found and each test"
    )
    commands.add_parser("feeds", help="show feeds with last/next poll, status and errors")
    commands.add_parser("subscriptions", help="list subscriptions with status and last delivery")
    sources = commands.add_parser("sources", help="helpers for source kinds other than RSS")
    sources.add_argument("helper", choices=["gdelt-queries"], help="gdelt-queries: print GDELT feed entries")
    sources.add_argument("--timespan", default="24h", help="gdelt-queries: how far back each search looks")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade", "copy"], help="upgrade: apply migrations; copy: copy all data")
    db.add_argument("--to", metavar="URL", help="copy: the (empty) target database, e.g. postgresql://...")
    labels = commands.add_parser("labels", help="training labels from wrong-alert feedback")
    labels.add_argument("action", choices=["export"], help="export: JSON lines for `make train LABELS=...`")
    labels.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    for sub in commands.choices.values():
        sub.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="config file")
    return parser


def _settings(config: Path | None) -> Settings:
    from config import DEFAULT_CONFIG_FILE

    env_path = os.environ.get("AIDWATCH_CONFIG")
    path = config or (Path(env_path) if env_path else DEFAULT_CONFIG_FILE)
    return load_settings(path, os.environ)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aidwatch`` console script."""
    try:
        return _main(argv)
    except BrokenPipeError:  # `aidwatch feeds | head`: the reader left, which is not an error
        sys.stderr.close()
        return 0


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # Per-tick and per-migration chatter would drown the lines an operator needs.
        for noisy in ("alembic", "apscheduler", "scrapy", "py.warnings", "trafilatura", "httpx2"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        # A tick skipped because the previous one still runs is expected under load; failures are logged
        # by the ticker itself.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    try:
        settings = _settings(args.config)
    except SettingsError as exc:
        print(f"aidwatch: {exc}", file=sys.stderr)
        return 2
    if args.command == "classify":
        from alerts.classify.cli import run_classify

        return run_classify(args.file, sys.stdout, threshold=settings.classifier.threshold, explain=args.explain)
    if args.command in ("serve", "crawl"):
        # The asyncio reactor must be installed before anything imports twisted.internet.reactor.
        from crawler.reactor import install_asyncio_reactor

        loop = install_asyncio_reactor()
        try:
            with asyncio.Runner(loop_factory=lambda: loop) as runner:
                if args.command == "serve":
                    from crawler.daemon import StartupError, serve

                    try:
                        code = runner.run(serve(settings))
                    except StartupError as exc:
                        print(f"aidwatch: {exc}", file=sys.stderr)
                        return 1
                    _exit_now(code)
                return runner.run(_crawl(settings, args.feed, args.json))
        finally:
            _stop_reactor_threads()
    if args.command == "feeds":
        return _feeds(settings)
    if args.command == "subscriptions":
        from alerts.subscriptions import format_subscriptions_table

        db = _database(settings)
        print(format_subscriptions_table(db))
        return 0
    if args.command == "db":
        return _db(settings, args.action, args.to)
    if args.command == "labels":
        return _export_labels(settings, args.out)
    if args.command == "sources":
        from config import LEXICON_DIR
        from crawler.gdelt_query import format_feed_entries, gdelt_feed_entries

        print(format_feed_entries(gdelt_feed_entries(LEXICON_DIR, args.timespan)))
        return 0
    raise AssertionError(args.command)


def _exit_now(code: int) -> None:
    """Leave without the interpreter's teardown: every piece of state is already committed.

    Tearing down the classifier's gazetteer and lexicons costs 2-3 s of garbage collection, which
    would push a SIGTERM stop past its 10 s budget on a loaded machine.
    """
    _stop_reactor_threads()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _stop_reactor_threads() -> None:
    from crawler.reactor import stop_reactor_threads

    stop_reactor_threads()


def _database(settings: Settings) -> Database:
    from alerts.store import make_database, upgrade

    db = make_database(settings.storage.url)
    upgrade(db)
    return db


async def _crawl(settings: Settings, feed_id: str | None, as_json: bool) -> int:
    from alerts.feedlist import load_feed_list
    from alerts.store.feed_leases import lease_due_feeds
    from alerts.store.feeds import list_feeds, sync_feed_list
    from alerts.store.tables import utcnow
    from crawler.crawl_runner import run_crawl
    from crawler.ticker import daemon_identity

    db = await asyncio.to_thread(_database, settings)
    sources = load_feed_list(settings.crawler.feeds, settings.crawler.default_interval, settings.crawler.fetch_articles)
    await asyncio.to_thread(sync_feed_list, db, sources)
    known = [feed.id for feed in await asyncio.to_thread(list_feeds, db)]
    if feed_id is not None and feed_id not in known:
        print(f"aidwatch: no enabled feed with id {feed_id!r}", file=sys.stderr)
        return 2
    feeds = await asyncio.to_thread(
        lease_due_feeds,
        db,
        utcnow(),
        owner=daemon_identity(),
        lease_seconds=max(600.0, settings.crawler.download_timeout * 20),
        limit=len(known) or 1,
        feed_ids=[feed_id] if feed_id else known,
    )
    progress = None
    bar = None
    if sys.stderr.isatty() and feeds:
        from tqdm import tqdm

        bar = tqdm(total=len(feeds), unit="feed", file=sys.stderr, leave=False)
        progress = lambda _feed: bar.update(1)  # noqa: E731
    try:
        summary = await run_crawl(settings, db, feeds, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        print(json.dumps(summary.as_json()))
    else:
        for key, value in summary.as_json().items():
            print(f"{key:>18}: {value}")
    db.dispose()
    return 1 if summary.failed else 0  # each failed feed was logged, one line each


def _db(settings: Settings, action: str, target_url: str | None) -> int:
    if action == "upgrade":
        _database(settings)
        print("database is up to date")
        return 0
    from alerts.store import make_database
    from alerts.store.copy import CopyError, copy_database

    if not target_url:
        print("aidwatch: db copy needs --to URL (the target database)", file=sys.stderr)
        return 2
    shown = _hide_password(target_url)
    try:
        target = _target_database(target_url)
    except ValueError as exc:
        print(f"aidwatch: --to {shown}: {exc}", file=sys.stderr)
        return 2
    try:
        copied = copy_database(make_database(settings.storage.url), target)
    except CopyError as exc:
        print(f"aidwatch: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the target cannot be reached, refuses us, ...: one line, not a traceback
        logging.getLogger("aidwatch").debug("db copy failed", exc_info=True)
        print(f"aidwatch: db copy to {shown} failed: {_one_line(exc)}", file=sys.stderr)
        return 1
    for table, rows in copied.items():
        print(f"{table:>20}: {rows} rows")
    return 0


def _target_database(url: str) -> Database:
    """The database ``db copy --to`` names; ``ValueError`` with a one-line reason when the URL is unusable."""
    from pydantic import ValidationError

    from alerts.settings import StorageSettings
    from alerts.store import make_database

    try:
        urlsplit(url).port  # noqa: B018 (parsing the port is the check)
    except ValueError as exc:
        raise ValueError(f"the port is not a number from 0 to 65535 ({exc})") from None
    try:
        normalised = StorageSettings(url=url).url
    except ValidationError as exc:  # its message is several lines with a link to pydantic's site
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    try:
        return make_database(normalised)
    except Exception as exc:  # SQLAlchemy's URL parser: no host part, an unknown driver...
        raise ValueError(f"not a usable database URL: {_one_line(exc)}") from None


def _hide_password(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (error messages end up in logs)."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, location = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{location}"


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message, without SQLAlchemy's "(Background on this error...)"."""
    text = str(exc).split("(Background on this error", 1)[0].strip()
    first = text.splitlines()[0].strip() if text else ""
    return first[:300] or type(exc).__name__


def _export_labels(settings: Settings, out: Path | None) -> int:
    """``aidwatch labels export``: one JSON line per article of every incident with feedback."""
    from alerts.store.feedback import label_rows

    db = _database(settings)
    try:
        handle = out.open("w", encoding="utf-8") if out else sys.stdout
    except OSError as exc:
        print(f"aidwatch: --out {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    rows = labelled = 0
    try:
        for row in label_rows(db):
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows += 1
            labelled += row["label"] is not None
    finally:
        if out:
            handle.close()
    print(f"{rows} label rows ({labelled} with a label)", file=sys.stderr)
    return 0


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _feeds(settings: Settings) -> int:
    from alerts.store.feeds import list_feeds

    db = _database(settings)
    rows = list_feeds(db, include_disabled=True)
    # Upper-case headers, as in `aidwatch subscriptions`.
    header = (
        f"{'ID':<28} {'KIND':<9} {'STATUS':<13} {'ERRORS':>6} {'LAST POLL (UTC)':<19}  {'NEXT DUE (UTC)':<19}  "
        "LAST ERROR"
    )
    print(header)
    for feed in rows:
        status = (feed.last_status or "never") if feed.enabled else "disabled"
        error = (feed.last_error or feed.bozo or "").replace("\n", " ")[:80]
        print(
            f"{feed.id[:28]:<28} {feed.kind:<9} {status:<13} {feed.error_count:>6} {_when(feed.last_poll_at):<19}  "
            f"{_when(feed.next_poll_at):<19}  {error}"
        )
    print(f"{len(rows)} feeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
