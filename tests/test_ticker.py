"""The tick: due feeds are leased and crawled once, never twice at once; list edits apply live."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.models import FeedState, PollResult
from alerts.settings import Settings, load_settings
from alerts.store import Database
from alerts.store.feeds import get_feed, record_poll
from crawler.ticker import Ticker
from tests.support.databases import migrated_database

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def write_feeds(path: Path, *ids_and_intervals: tuple[str, str]) -> None:
    lines = ["feeds:"] + [
        f'  - {{id: {feed_id}, url: "http://127.0.0.1:1/{feed_id}.xml", interval: {interval}}}'
        for feed_id, interval in ids_and_intervals
    ]
    path.write_text("\n".join(lines) + "\n")


class RecordingPoll:
    """Stands in for the crawler: records which feeds each crawl got, finishes when released."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.release.set()

    async def __call__(self, feeds: list[FeedState]) -> None:
        self.calls.append(sorted(f.id for f in feeds))
        self.started.set()
        await self.release.wait()
        for feed in feeds:
            await asyncio.to_thread(
                record_poll, self.db, PollResult(feed_id=feed.id, status="ok"), self.clock(), jitter=0
            )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "aidwatch.toml").write_text('[crawler]\nfeeds = "feeds.yaml"\n')
    write_feeds(tmp_path / "feeds.yaml", ("fast", "60s"), ("slow", "1h"))
    return load_settings(tmp_path / "aidwatch.toml", {})


@pytest.fixture
def db(tmp_path: Path):
    with migrated_database("sqlite", tmp_path) as database:
        yield database


async def drain(ticker: Ticker) -> None:
    while ticker.running_crawls:
        await asyncio.wait(set(ticker._crawls), timeout=5)


async def test_ticks_poll_each_feed_on_its_own_interval(settings: Settings, db: Database) -> None:
    clock = Clock()
    poll = RecordingPoll(db, clock)
    ticker = Ticker(settings, db, poll, clock=clock)
    await ticker.tick()
    await drain(ticker)
    assert poll.calls == [["fast", "slow"]]
    for minutes in (0.5, 1.01, 1.5, 2.02):
        clock.now = T0 + timedelta(minutes=minutes)
        await ticker.tick()
        await drain(ticker)
    assert poll.calls == [["fast", "slow"], ["fast"], ["fast"]]
    clock.now = T0 + timedelta(hours=1, seconds=1)
    await ticker.tick()
    await drain(ticker)
    assert poll.calls[-1] == ["fast", "slow"]


async def test_a_feed_is_never_polled_twice_at_once(settings: Settings, db: Database) -> None:
    clock = Clock()
    poll = RecordingPoll(db, clock)
    poll.release.clear()
    ticker = Ticker(settings, db, poll, clock=clock)
    await ticker.tick()
    await asyncio.wait_for(poll.started.wait(), 5)
    clock.now = T0 + timedelta(minutes=5)  # both due again, but still being polled
    assert await ticker.renew() == 2  # the heartbeat keeps the leases of a running crawl
    assert await ticker.tick() == []
    poll.release.set()
    await drain(ticker)
    assert poll.calls == [["fast", "slow"]]


async def test_feed_list_edits_apply_without_restart(settings: Settings, db: Database) -> None:
    clock = Clock()
    poll = RecordingPoll(db, clock)
    ticker = Ticker(settings, db, poll, clock=clock)
    await ticker.tick()
    await drain(ticker)
    write_feeds(settings.crawler.feeds, ("fast", "60s"), ("slow", "1h"), ("added", "10m"))
    await ticker.tick()
    await drain(ticker)
    assert poll.calls[-1] == ["added"]


async def test_a_broken_feed_list_edit_keeps_the_old_feeds(settings: Settings, db: Database) -> None:
    clock = Clock()
    ticker = Ticker(settings, db, RecordingPoll(db, clock), clock=clock)
    await ticker.tick()
    await drain(ticker)
    settings.crawler.feeds.write_text("feeds: [ {id: broken\n")
    await ticker.tick()
    await drain(ticker)
    assert ticker.watcher.last_error is not None and "feeds.yaml" in ticker.watcher.last_error
    assert get_feed(db, "fast") is not None and get_feed(db, "slow") is not None


async def test_tick_reports_not_ready_when_the_database_is_gone(settings: Settings, tmp_path: Path) -> None:
    from alerts.store import make_database

    missing = make_database(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    clock = Clock()
    ticker = Ticker(settings, missing, RecordingPoll(missing, clock), clock=clock)
    assert await ticker.tick() == []
    assert ticker.last_tick_ok is False


async def test_stop_releases_leases_of_unfinished_crawls(settings: Settings, db: Database) -> None:
    clock = Clock()
    poll = RecordingPoll(db, clock)
    poll.release.clear()
    ticker = Ticker(settings, db, poll, clock=clock, owner="me")
    await ticker.tick()
    await asyncio.wait_for(poll.started.wait(), 5)
    await ticker.stop(timeout=0.1)
    assert ticker.running_crawls == 0
    other = Ticker(settings, db, RecordingPoll(db, clock), clock=clock, owner="other")
    assert sorted(f.id for f in await other.tick()) == ["fast", "slow"]
    await drain(other)


class UnrecordedPoll(RecordingPoll):
    """A crawl whose results cannot be recorded (the database went away meanwhile): leases stay held."""

    async def __call__(self, feeds: list[FeedState]) -> None:
        self.calls.append(sorted(f.id for f in feeds))


async def test_leases_left_by_a_crawl_that_could_not_record_are_released(settings: Settings, db: Database) -> None:
    clock = Clock()
    poll = UnrecordedPoll(db, clock)
    ticker = Ticker(settings, db, poll, clock=clock, owner="me")
    await ticker.tick()
    await drain(ticker)
    # Still due and no longer being polled: the next tick polls them again instead of waiting 10 minutes.
    clock.now = T0 + timedelta(seconds=5)
    assert sorted(f.id for f in await ticker.tick()) == ["fast", "slow"]
    await drain(ticker)
    assert poll.calls == [["fast", "slow"], ["fast", "slow"]]


class EarlyRecordingPoll(RecordingPoll):
    """The first crawl records its feeds at once, then keeps running; later crawls hold their leases."""

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock)
        self.gates = [asyncio.Event(), asyncio.Event()]
        self.recorded = asyncio.Event()

    async def __call__(self, feeds: list[FeedState]) -> None:
        call = len(self.calls)
        self.calls.append(sorted(f.id for f in feeds))
        if call == 0:
            for feed in feeds:
                await asyncio.to_thread(
                    record_poll, self.db, PollResult(feed_id=feed.id, status="ok"), self.clock(), jitter=0
                )
            self.recorded.set()
        await self.gates[min(call, 1)].wait()


async def test_an_ended_crawl_never_frees_a_lease_that_a_running_crawl_holds(settings: Settings, db: Database) -> None:
    clock = Clock()
    poll = EarlyRecordingPoll(db, clock)
    ticker = Ticker(settings, db, poll, clock=clock, owner="me")
    await ticker.tick()  # crawl 1: both feeds, recorded at once, still running
    await asyncio.wait_for(poll.recorded.wait(), 5)
    clock.now = T0 + timedelta(seconds=61)
    await ticker.renew()  # the heartbeat: crawl 1 holds no lease any more, nothing to renew
    assert [f.id for f in await ticker.tick()] == ["fast"]  # due again while crawl 1 runs: crawl 2
    poll.gates[0].set()  # crawl 1 ends, after "fast" was leased again by crawl 2
    while ticker.running_crawls > 1:
        await asyncio.wait(set(ticker._crawls), timeout=5, return_when=asyncio.FIRST_COMPLETED)
    clock.now = T0 + timedelta(seconds=62)
    assert await ticker.tick() == []  # crawl 2's lease stands: "fast" is not polled twice at once
    assert poll.calls == [["fast", "slow"], ["fast"]]
    poll.gates[1].set()
    await drain(ticker)
