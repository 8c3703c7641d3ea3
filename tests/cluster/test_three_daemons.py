"""Three `aidwatch serve` processes on one PostgreSQL schema, 200 local feeds and a webhook subscriber.

Steady state: every feed is polled once per interval by exactly one daemon, each daemon does at least a
quarter of the polls, and each alert reaches the subscriber once. Then one daemon is killed (SIGKILL)
while it polls and while it delivers: its feeds are polled by the others within 60 s, its alert goes out
from another daemon with the same webhook-id, and nothing published meanwhile is lost. Leases are
shortened by config (10 s) so the test stays short; the guarantees are the same on the 30 s default.
"""

from __future__ import annotations

import itertools
import logging
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx2
import pytest
from sqlalchemy import create_engine, text

from tests.support.daemon import Daemon, daemon_config, poll_until, write_feeds
from tests.support.databases import postgres_schema_url
from tests.support.feed_server import FeedServer, Seen
from tests.support.webhook_receiver import Receiver, webhook_receiver

log = logging.getLogger(__name__)
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(420)]

FEEDS = 200
INTERVAL = 4.0  # seconds between two polls of one feed
LEASE = "10s"
TAKEOVER_LIMIT = 60.0
# Attack reports in our own words, one per country so that each is its own incident.
ATTACKS = [
    ("Gunmen attack aid convoy in Kandahar, killing two aid workers",
     "Armed men opened fire on a food aid convoy in Kandahar province, Afghanistan, on Thursday, killing two "
     "aid workers, the agency said."),
    ("Mortar shells hit UN compound in Mogadishu, injuring three staff",
     "Several mortar rounds struck the United Nations compound in Mogadishu, Somalia, on Wednesday, injuring "
     "three UN staff members, officials said."),
    ("Armed group loots Red Cross warehouse in Juba and beats a guard",
     "An armed group attacked a Red Cross warehouse in Juba, South Sudan, on Tuesday, looting food supplies "
     "and beating a security guard, the ICRC said."),
    ("Air strike destroys MSF hospital in Taiz, killing four patients",
     "An air strike destroyed a hospital run by Doctors Without Borders in Taiz, Yemen, on Monday, killing "
     "four patients and a nurse, the medical charity said."),
    ("Attackers kidnap two NGO workers near Gao",
     "Unknown attackers kidnapped two workers of an international NGO near Gao, Mali, on Friday after "
     "ambushing their vehicle, the organisation said."),
    ("Gang opens fire on clinic in Port-au-Prince, killing a nurse",
     "A gang opened fire on a health clinic run by an aid group in Port-au-Prince, Haiti, on Saturday, "
     "killing a nurse and wounding two patients, the group said."),
]  # fmt: skip


class Cluster:
    """The feed server, the feeds' contents and the shared database, as the test sees them."""

    def __init__(self, server: FeedServer, url: str) -> None:
        self.server = server
        self.engine = create_engine(url)
        self.attacks: dict[int, list[int]] = defaultdict(list)  # feed number -> attack numbers on it

    def path(self, n: int) -> str:
        return f"/cluster/f{n:03d}.xml"

    def publish(self, n: int, *, trickle: bool = False) -> None:
        """(Re)write feed ``n``: one calm item plus the attacks published on it so far."""
        stamp = format_datetime(datetime.now(UTC), usegmt=True)
        items = [(f"calm-{n}", f"Market day {n}", "Traders reported a quiet week with steady prices.")]
        items += [(f"attack-{a}", *ATTACKS[a]) for a in self.attacks[n]]
        body = "".join(
            f"<item><title>{escape(title)}</title><guid isPermaLink='false'>{guid}</guid>"
            f"<link>{self.server.url('/articles/' + guid)}</link>"
            f"<description>{escape(summary)}</description><pubDate>{stamp}</pubDate></item>"
            for guid, title, summary in items
        )
        document = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed</title>'
            f"<link>http://example.org/</link><language>en</language>{body}</channel></rss>"
        )
        self.server.feed(self.path(n), document, trickle=trickle)

    def add_attack(self, n: int, attack: int) -> None:
        self.attacks[n].append(attack)
        self.publish(n)

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def polls(self, since: float = 0.0) -> list[Seen]:
        with self.server._changed:
            return [seen for seen in self.server.requests if seen.path.startswith("/cluster/") and seen.at >= since]


def agent(seen: Seen) -> str:
    return seen.headers.get("user-agent", "").rsplit(" ", 1)[-1]


@pytest.fixture
def cluster(feed_server: FeedServer) -> Iterator[Cluster]:
    with postgres_schema_url() as url:
        state = Cluster(feed_server, url)
        for n in range(FEEDS):
            state.publish(n)
        yield state
        state.engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as hook:
        yield hook


def start_daemons(tmp_path: Path, cluster: Cluster, url: str) -> dict[str, Daemon]:
    """Three daemons started together (they migrate and sync the feed list at the same moment)."""
    feeds = [(f"f{n:03d}", cluster.server.url(cluster.path(n))) for n in range(FEEDS)]
    daemons = []
    for name in ("d0", "d1", "d2"):
        folder = tmp_path / name
        folder.mkdir()
        config = daemon_config(folder, feeds=feeds, storage_url=url)
        write_feeds(folder, feeds, interval=f"{INTERVAL:g}s")
        env = {
            "AIDWATCH_CRAWLER__USER_AGENT": f"aidwatch-cluster-test {name}",
            "AIDWATCH_CRAWLER__FETCH_ARTICLES": "false",
            "AIDWATCH_CRAWLER__PARSER_PROCESSES": "0",
            "AIDWATCH_CLUSTER__LEASE": LEASE,
        }
        daemons.append(Daemon(config, env=env).launch())
    for daemon in daemons:
        daemon.wait_healthy(120)
    return {daemon.folder.name: daemon for daemon in daemons}


def readiness(daemons: dict[str, Daemon]) -> list[dict[str, Any]]:
    """What each daemon's /readyz says of itself (id, leases, share, the live daemons)."""
    return [httpx2.get(d.base_url + "/readyz", timeout=10).json()["daemon"] for d in daemons.values()]


def daemon_ids(daemons: dict[str, Daemon]) -> dict[str, str]:
    """Daemon id (lease owner) -> name, from each daemon's /readyz."""
    return {httpx2.get(d.base_url + "/readyz", timeout=10).json()["daemon"]["id"]: name for name, d in daemons.items()}


def outbox(cluster: Cluster) -> list[Any]:
    return cluster.query(
        "SELECT message_id, incident_id, incident_version, status, claimed_by FROM outbox WHERE kind = 'alert'"
    )


def assert_each_alert_delivered_once(cluster: Cluster, receiver: Receiver, expected: int) -> None:
    rows = outbox(cluster)
    assert len(rows) == expected and all(row.status == "delivered" for row in rows), rows
    received = Counter(request.headers["webhook-id"] for request in receiver.requests)
    # One webhook-id per incident version and subscriber; a retry after a kill repeats the same id.
    assert sorted(received) == sorted(row.message_id for row in rows)
    assert len({(row.incident_id, row.incident_version) for row in rows}) == expected


def test_three_daemons_share_the_work_and_survive_a_kill(tmp_path: Path, cluster: Cluster, receiver: Receiver) -> None:
    url = str(cluster.engine.url.render_as_string(hide_password=False))
    daemons = start_daemons(tmp_path, cluster, url)
    try:
        ids = daemon_ids(daemons)
        api = daemons["d0"].client()
        made = api.post("/api/v1/subscriptions", json={"channel": "webhook", "target": receiver.url + "/hook"})
        assert made.status_code == 201, made.text

        # Steady state, measured once each daemon sees all three, from the next round on.
        poll_until(lambda: all(len(d["cluster"]) == 3 for d in readiness(daemons)), 60, "three live daemons")
        since = time.monotonic() + INTERVAL
        poll_until(
            lambda: (
                min(Counter(s.path for s in cluster.polls(since)).values(), default=0) >= 3
                and len({s.path for s in cluster.polls(since)}) == FEEDS
            ),
            90,
            "three polls of every feed",
        )
        steady = cluster.polls(since)
        by_feed: dict[str, list[Seen]] = defaultdict(list)
        for seen in steady:
            by_feed[seen.path].append(seen)
        gap, first, second = min(
            ((b.at - a.at, a, b) for polls in by_feed.values() for a, b in itertools.pairwise(polls)),
            key=lambda pair: pair[0],
        )
        assert gap >= INTERVAL - 0.1, f"{first.path} polled twice within one interval: {first}, {second}"
        shares = Counter(agent(seen) for seen in steady)
        assert set(shares) == {"d0", "d1", "d2"}
        assert min(shares.values()) >= len(steady) / 4, shares

        # Alerts while all three run: one per incident and subscriber.
        for attack in range(3):
            cluster.add_attack(attack * 7, attack)
        receiver.wait_for(3, timeout=60)
        poll_until(lambda: all(r.status == "delivered" for r in outbox(cluster)) and len(outbox(cluster)) == 3, 30,
                   "three delivered alerts")  # fmt: skip
        assert_each_alert_delivered_once(cluster, receiver, 3)

        # The victim: the daemon that is sending the next alert (held by the receiver), once it also
        # polls one of the slow feeds.
        gate = threading.Event()
        receiver.delay["/hook"] = gate
        slow = list(range(100, 130))
        for n in slow:
            cluster.publish(n, trickle=True)
        cluster.add_attack(50, 3)
        receiver.wait_for_arrivals(4, timeout=60)
        [held] = [row for row in outbox(cluster) if row.status == "pending"]
        victim_id = held.claimed_by
        victim = daemons[ids[victim_id]]
        slow_ids = [f"f{n:03d}" for n in slow]
        poll_until(
            lambda: cluster.query(
                "SELECT count(*) FROM feeds WHERE lease_owner = :o AND id = ANY(:ids)", o=victim_id, ids=slow_ids
            )[0][0],
            60,
            "the victim to poll a slow feed",
        )
        leased = [row.id for row in cluster.query("SELECT id FROM feeds WHERE lease_owner = :o", o=victim_id)]
        victim.stop(signal.SIGKILL)
        killed_at = time.monotonic()

        # Feeds go back to normal; an attack appears on a feed the victim held; the receiver answers again.
        for n in slow:
            cluster.publish(n)
        orphan = int(leased[0].removeprefix("f"))
        cluster.add_attack(orphan, 4)
        gate.set()

        survivors = {name for name in daemons if name != ids[victim_id]}

        def taken_over() -> bool:
            polled = {s.path for s in cluster.polls(killed_at) if agent(s) in survivors}
            return all(cluster.path(int(feed.removeprefix("f"))) in polled for feed in leased)

        poll_until(taken_over, TAKEOVER_LIMIT, f"the survivors to poll the victim's {len(leased)} feeds")
        takeover = time.monotonic() - killed_at
        assert takeover <= TAKEOVER_LIMIT
        log.info("takeover of %d feeds after %.1f s; steady shares %s", len(leased), takeover, dict(shares))
        poll_until(lambda: len(outbox(cluster)) == 5 and all(r.status == "delivered" for r in outbox(cluster)), 60,
                   "the held alert and the new one to be delivered by the survivors")  # fmt: skip
        assert_each_alert_delivered_once(cluster, receiver, 5)
        resent = [r for r in receiver.requests if r.headers["webhook-id"] == held.message_id]
        assert len(resent) >= 1

        for name in sorted(survivors):
            assert daemons[name].stop() == 0
    finally:
        for daemon in daemons.values():
            if daemon.proc is not None and daemon.proc.poll() is None:
                daemon.stop()
    # SIGTERM drains a daemon: it gives back every lease and claim it held.
    assert cluster.query("SELECT lease_owner, count(*) FROM feeds WHERE lease_owner IS NOT NULL GROUP BY 1") == []
    assert cluster.query("SELECT count(*) FROM outbox WHERE claimed_by IS NOT NULL")[0][0] == 0
