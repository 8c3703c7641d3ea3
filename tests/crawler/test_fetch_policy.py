"""The address policy on the crawler's fetches: a hostile feed cannot make the crawler read internal pages.

The feed is served by the session's feed server on 127.0.0.1 (an operator-configured origin, trusted); its
links point at "internal" servers on other loopback addresses and ports, which must see no request at all,
not even for robots.txt, in any spelling of their address, directly or through a redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import select
from twisted.internet.interfaces import IAddress, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from alerts.netpolicy import UnsafeTarget, check_target
from alerts.settings import DeliverySettings
from alerts.store import Database
from alerts.store.tables import ArticleRow
from crawler.crawl_runner import CrawlSummary, run_crawl
from crawler.fetchpolicy import CheckingResolver
from crawler.middlewares import CachedRobotsTxtMiddleware
from crawler.reactor import start_reactor
from tests.crawler.helpers import (
    SeenEntry,
    add_feeds,
    count,
    database,
    feed_row,
    lease,
    quiet_ingestor,
    settings_for_tests,
)
from tests.support.feed_server import FeedServer, article_page, rss

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "internal-secret-do-not-publish"


@dataclass
class Internal:
    """Servers standing for internal services: the feed's address on another port, another loopback
    address, and IPv6 loopback (None when the machine has no IPv6)."""

    same_address: FeedServer
    other_address: FeedServer
    ipv6: FeedServer | None

    def all(self) -> list[FeedServer]:
        return [s for s in (self.same_address, self.other_address, self.ipv6) if s is not None]

    def requests(self) -> list[str]:
        return [f"{s.base_url}{seen.path}" for s in self.all() for seen in s.requests]


def _internal_server(host: str) -> FeedServer | None:
    try:
        server = FeedServer(host)
    except OSError:  # no IPv6 on this machine
        return None
    sentences = f"{SECRET}: the internal admin page lists every account and its password. " * 20
    page = f"<html><body><article><h1>Internal</h1><p>{sentences}</p></article></body></html>"
    server.route("/secret", body=page.encode())
    server.feed("/feed.xml", rss([(server.url("/secret"), f"{SECRET} ATTACK")]))
    return server.start()


@pytest.fixture(scope="module")
def internal() -> Iterator[Internal]:
    same, other, ipv6 = _internal_server("127.0.0.1"), _internal_server("127.0.0.2"), _internal_server("::1")
    assert same is not None and other is not None
    servers = Internal(same, other, ipv6)
    yield servers
    for server in servers.all():
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_logs(internal: Internal) -> None:
    CachedRobotsTxtMiddleware.forget()  # every test sees whether robots.txt is requested
    for server in internal.all():
        server.clear_log()


def _host_name_address() -> str | None:
    """This machine's host name, when it resolves to a non-public address (as on most machines)."""
    try:
        address = socket.getaddrinfo(socket.gethostname(), 80, type=socket.SOCK_STREAM)[0][4][0]
    except OSError:
        return None
    return None if ipaddress.ip_address(address).is_global else str(address)


Link = Callable[[Internal], str]

# (link the hostile entry points at, words the feed's error must contain)
HOSTILE_LINKS = [
    pytest.param(lambda i: f"http://127.0.0.1:{i.same_address.port}/secret", "loopback", id="feed-address-other-port"),
    pytest.param(lambda i: f"http://127.0.0.2:{i.other_address.port}/secret", "loopback", id="other-loopback-address"),
    pytest.param(lambda i: f"http://2130706434:{i.other_address.port}/secret", "loopback", id="decimal-ipv4"),
    pytest.param(lambda i: f"http://0177.0.0.2:{i.other_address.port}/secret", "loopback", id="octal-ipv4"),
    pytest.param(lambda i: f"http://0x7f000002:{i.other_address.port}/secret", "loopback", id="hex-ipv4"),
    pytest.param(
        lambda i: f"http://[::ffff:127.0.0.2]:{i.other_address.port}/secret", "loopback", id="ipv4-mapped-ipv6"
    ),
    pytest.param(lambda i: f"http://[::1]:{i.ipv6.port if i.ipv6 else 9}/secret", "loopback", id="ipv6-loopback"),
    pytest.param(lambda i: f"http://0.0.0.0:{i.same_address.port}/secret", "unspecified", id="unspecified-address"),
    pytest.param(lambda i: f"http://localhost:{i.same_address.port}/secret", "loopback name", id="localhost"),
    pytest.param(
        lambda i: f"http://LocalHost:{i.same_address.port}/secret", "loopback name", id="localhost-mixed-case"
    ),
    pytest.param(
        lambda i: f"http://localhost.:{i.same_address.port}/secret", "loopback name", id="localhost-trailing-dot"
    ),
    pytest.param(
        lambda i: f"http://{socket.gethostname()}:{i.same_address.port}/secret", "resolves to", id="host-name"
    ),
    pytest.param(lambda i: "http://169.254.169.254/latest/meta-data/iam/", "metadata", id="cloud-metadata"),
    pytest.param(lambda i: "http://10.0.0.1/admin", "private", id="private-10"),
    pytest.param(lambda i: "http://192.168.1.1/admin", "private", id="private-192-168"),
    pytest.param(lambda i: "http://[fe80::1]/admin", "link-local", id="ipv6-link-local"),
]
# The rows above whose address reaches one of the internal servers (checked to be reachable when allowed).
# ("localhost." is not in every resolver's hosts file.)
UNREACHABLE = ("localhost-trailing-dot", "cloud-metadata", "private-10", "private-192-168", "ipv6-link-local")
REACHABLE = [p for p in HOSTILE_LINKS if p.id not in UNREACHABLE]


def _skip_unusable(row_id: str, internal: Internal, *, must_reach: bool = False) -> None:
    if row_id == "ipv6-loopback" and internal.ipv6 is None:
        pytest.skip("no IPv6 loopback on this machine")
    address = _host_name_address()
    if row_id == "host-name" and (address is None or (must_reach and address != "127.0.0.1")):
        pytest.skip("this machine's host name does not resolve to a non-public address (or not to 127.0.0.1)")


def hostile_feed(server: FeedServer, name: str, link: str) -> str:
    """A feed with one good entry on the feed's own origin and one entry pointing at ``link``."""
    good = server.url(f"/articles/{name}-good")
    return server.feed(
        f"/policy/{name}/feed.xml", rss([(good, f"{name} good ATTACK"), (link, f"{name} hostile ATTACK")])
    )


async def crawl(db: Database, *, allow_private: bool = False) -> CrawlSummary:
    # The default (what the other crawler tests run with) refuses private networks, as in production.
    settings = settings_for_tests().model_copy(
        update={"delivery": DeliverySettings(allow_private_networks=allow_private)}
    )
    return await run_crawl(settings, db, lease(db), ingestor=quiet_ingestor(db, attack_word="ATTACK"))


def stored_texts(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {row.url: row.text for row in session.scalars(select(ArticleRow))}


@pytest.mark.parametrize(("link", "reason"), HOSTILE_LINKS)
async def test_a_hostile_link_is_refused_unsent_unstored_and_recorded_on_the_feed(
    link: Link, reason: str, request: pytest.FixtureRequest, feed_server: FeedServer, internal: Internal, tmp_path: Path
) -> None:
    row_id = request.node.callspec.id
    _skip_unusable(row_id, internal)
    hostile = link(internal)
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"hostile": hostile_feed(feed_server, row_id, hostile)})

    summary = await crawl(db)

    assert internal.requests() == []  # not the page, not its robots.txt
    row = feed_row(db, "hostile")
    assert row.last_status == "error" and summary.failed == 1
    assert row.last_error is not None and "refused" in row.last_error and reason in row.last_error
    texts = stored_texts(db)
    assert list(texts) == [feed_server.url(f"/articles/{row_id}-good")]  # the good entry goes on
    assert not any(SECRET in text for text in texts.values())
    assert summary.incidents_new == 1  # from the good entry only
    assert count(db, SeenEntry, "hostile") == 2  # the refused entry does not come back


@pytest.mark.parametrize(("link", "reason"), REACHABLE)
async def test_with_private_networks_allowed_the_same_link_is_fetched(
    link: Link, reason: str, request: pytest.FixtureRequest, feed_server: FeedServer, internal: Internal, tmp_path: Path
) -> None:
    """The setting turns the policy off; and each row's address really reaches an internal server."""
    row_id = request.node.callspec.id
    _skip_unusable(row_id, internal, must_reach=True)
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"allowed": hostile_feed(feed_server, f"allowed-{row_id}", link(internal))})

    summary = await crawl(db, allow_private=True)

    assert summary.failed == 0 and feed_row(db, "allowed").last_status == "ok"
    assert any(seen.endswith("/secret") for seen in internal.requests())
    assert any(SECRET in text for text in stored_texts(db).values())


async def test_a_refused_entry_does_not_come_back_on_the_next_poll(
    feed_server: FeedServer, internal: Internal, tmp_path: Path
) -> None:
    db = database(tmp_path / "aidwatch.db")
    link = internal.other_address.url("/secret")
    add_feeds(db, {"again": hostile_feed(feed_server, "again", link)})
    await crawl(db)
    assert feed_row(db, "again").last_status == "error"

    second = await crawl(db)

    assert (second.failed, second.entries_new) == (0, 0)
    assert feed_row(db, "again").last_status == "ok" and feed_row(db, "again").last_error is None
    assert internal.requests() == []


async def test_an_article_redirect_from_the_feed_host_to_an_internal_one_is_refused(
    feed_server: FeedServer, internal: Internal, tmp_path: Path
) -> None:
    hop = feed_server.route("/policy/hop/article", redirect_to=internal.other_address.url("/secret"))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"hop": feed_server.feed("/policy/hop/feed.xml", rss([(hop, "hop ATTACK")]))})

    summary = await crawl(db)

    assert feed_server.requests_for("/policy/hop/article")  # the allowed hop was followed
    assert internal.requests() == []
    row = feed_row(db, "hop")
    assert row.last_error is not None and "refused" in row.last_error and "127.0.0.2" in row.last_error
    assert stored_texts(db) == {} and summary.articles == 0


async def test_a_feed_that_redirects_to_an_internal_host_fails_without_reaching_it(
    feed_server: FeedServer, internal: Internal, tmp_path: Path
) -> None:
    feed = feed_server.route("/policy/moved/feed.xml", redirect_to=internal.other_address.url("/feed.xml"))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"moved": feed})

    summary = await crawl(db)

    assert internal.requests() == []
    row = feed_row(db, "moved")
    assert row.last_status == "error" and row.last_error is not None
    assert "refused" in row.last_error and "loopback" in row.last_error
    assert summary.failed == 1 and stored_texts(db) == {}


async def test_the_feed_origin_is_trusted_even_on_a_private_address(internal: Internal, tmp_path: Path) -> None:
    """An operator's intranet feed: fetched, with its robots.txt and its own article pages."""
    server = internal.other_address
    server.route("/own/article", body=article_page("own"))
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"intranet": server.feed("/own/feed.xml", rss([(server.url("/own/article"), "own ATTACK")]))})

    summary = await crawl(db)

    assert summary.failed == 0 and summary.articles == 1
    assert {seen.path for seen in server.requests} == {"/robots.txt", "/own/feed.xml", "/own/article"}


@implementer(IResolutionReceiver)
class _Collect:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.done: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        pass

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(str(getattr(address, "host", "")))

    def resolutionComplete(self) -> None:
        self.done.set_result(self.addresses)


@pytest.mark.parametrize(
    ("host", "trusted", "allow_private", "expected"),
    [
        pytest.param("localhost", False, False, [], id="name-to-loopback-refused"),
        pytest.param("127.0.0.2", False, False, [], id="literal-loopback-refused"),
        pytest.param("::ffff:127.0.0.1", False, False, [], id="mapped-loopback-refused"),
        pytest.param("localhost", True, False, ["127.0.0.1"], id="trusted-feed-host-passes"),
        pytest.param("127.0.0.2", False, True, ["127.0.0.2"], id="allowed-private-passes"),
    ],
)
async def test_the_resolver_checks_the_addresses_that_connections_use(
    host: str, trusted: bool, allow_private: bool, expected: list[str]
) -> None:
    """The last line of defence: even a request that skipped the middleware gets no refused address."""
    start_reactor()
    resolver = CheckingResolver(CheckingResolver.installed().original)
    resolver.allow_private = allow_private
    if trusted:
        resolver.trust([host])
    receiver = _Collect()
    resolver.resolveHostName(cast(IResolutionReceiver, receiver), host, 80)
    addresses = await asyncio.wait_for(receiver.done, timeout=10)
    assert sorted(set(addresses)) == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        pytest.param("http://127.0.0.1/", "loopback", id="ipv4-loopback"),
        pytest.param("http://127.1.2.3:8080/", "loopback", id="ipv4-loopback-range"),
        pytest.param("http://2130706433/", "loopback", id="decimal"),
        pytest.param("http://0177.0.0.1/", "loopback", id="octal"),
        pytest.param("http://[::1]/", "loopback", id="ipv6-loopback"),
        pytest.param("http://[::ffff:127.0.0.1]/", "loopback", id="ipv4-mapped"),
        pytest.param("http://[::ffff:a9fe:a9fe]/", "metadata", id="ipv4-mapped-metadata"),
        pytest.param("http://[2002:7f00:1::]/", "loopback", id="6to4-loopback"),
        pytest.param("http://169.254.169.254/", "metadata", id="metadata"),
        pytest.param("http://[fd00:ec2::254]/", "metadata", id="metadata-ipv6"),
        pytest.param("http://169.254.1.1/", "link-local", id="link-local"),
        pytest.param("http://[fe80::1]/", "link-local", id="ipv6-link-local"),
        pytest.param("http://[fec0::1]/", "site-local", id="ipv6-site-local"),
        pytest.param("http://10.1.2.3/", "private", id="private-10"),
        pytest.param("http://172.16.0.1/", "private", id="private-172-16"),
        pytest.param("http://192.168.0.1/", "private", id="private-192-168"),
        pytest.param("http://[fd12::1]/", "private", id="ipv6-unique-local"),
        pytest.param("http://100.64.0.1/", "not a public", id="shared-address-space"),
        pytest.param("http://0.0.0.0/", "unspecified", id="unspecified"),
        pytest.param("http://[::]/", "unspecified", id="ipv6-unspecified"),
        pytest.param("http://224.0.0.1/", "multicast", id="multicast"),
        pytest.param("http://240.0.0.1/", "private", id="reserved-class-e"),
        pytest.param("http://localhost/", "loopback name", id="localhost"),
        pytest.param("http://a.b.localhost/", "loopback name", id="subdomain-of-localhost"),
        pytest.param("file:///etc/passwd", "only http", id="file-scheme"),
        pytest.param("ftp://192.0.2.1/", "only http", id="ftp-scheme"),
        pytest.param("http:///path", "no host", id="no-host"),
        pytest.param("http://example.org:99999/", "not a valid URL", id="bad-port"),
        pytest.param("http://8.8.8.8/", None, id="public-ipv4"),
        pytest.param("https://[2606:4700:4700::1111]:8443/", None, id="public-ipv6"),
    ],
)
async def test_the_address_policy(url: str, problem: str | None) -> None:
    """One policy for webhooks and the crawler (alerts.netpolicy); literal and system-resolved forms."""
    if problem is None:
        check_target(url)
        return
    with pytest.raises(UnsafeTarget, match=problem):
        check_target(url)


async def test_a_link_whose_host_does_not_resolve_is_a_plain_fetch_failure(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Not a refusal: the entry keeps its summary, as for any page that cannot be fetched."""
    link = "http://no-such-host.invalid/report"
    db = database(tmp_path / "aidwatch.db")
    add_feeds(db, {"dns": feed_server.feed("/policy/dns/feed.xml", rss([(link, "dns ATTACK")]))})

    summary = await crawl(db)

    assert summary.failed == 0 and feed_row(db, "dns").last_status == "ok"
    assert stored_texts(db) == {link: "Summary of dns ATTACK"}
