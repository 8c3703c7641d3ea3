"""The address policy of :mod:`alerts.netpolicy` applied to the crawler's fetches.

A feed's own URL is the operator's choice (feed list or admin API) and is fetched as configured, along with
anything else on the same origin (scheme, host, port): its robots.txt, its redirects there, its article
pages there. Everything else a feed leads to (article links, redirects to another origin, their
robots.txt) was chosen by whoever writes the feed, and must go to public addresses unless
``[delivery] allow_private_networks`` is true (docs/decisions/0007-crawler-address-policy.md).

Two parts, because a check is only as good as the connection that follows it:

- :class:`FetchPolicyMiddleware` (a downloader middleware that runs before robots.txt) looks the host up
  and refuses the request with :class:`FetchRefused`: one clear error, and no request at all, not even for
  robots.txt. Every redirect hop is a new request, so it passes here again.
- :class:`CheckingResolver` is the reactor's name resolver: every connection's addresses come from it,
  and it checks them there, so the addresses connected to are the addresses checked. A name that
  answered with a public address to the middleware and a private one a moment later (DNS rebinding)
  gets no connection.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution, IResolutionReceiver
from zope.interface import implementer

from alerts.netpolicy import Unresolvable, UnsafeTarget, check_addresses, check_target_async

log = logging.getLogger(__name__)

ALLOW_PRIVATE_SETTING = "AIDWATCH_ALLOW_PRIVATE_NETWORKS"  # Scrapy setting fed by [delivery] allow_private_networks

Origin = tuple[str, str, int]


class FetchRefused(IgnoreRequest):
    """The request's host is or resolves to an address the policy refuses; nothing was sent."""


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, the host lower-case and without brackets; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.rstrip(".").lower(), port or (443 if parts.scheme == "https" else 80)


def _bare(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


@implementer(IResolutionReceiver)
class _CheckingReceiver:
    """Holds a resolution's addresses back until all are known, then passes them on only if all are allowed."""

    def __init__(self, receiver: IResolutionReceiver, host: str) -> None:
        self.receiver: Any = receiver  # Any: zope interfaces' methods do not type-check without a plugin
        self.host = host
        self.addresses: list[IAddress] = []

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        try:
            check_addresses(self.host, [str(getattr(address, "host", "")) for address in self.addresses])
        except Unresolvable:
            pass  # no answer: the connection fails as a lookup failure, which it is
        except UnsafeTarget as exc:
            # Reached only when the name changed its answer since the middleware's check (DNS rebinding)
            # or a request skipped the middleware: the connection fails as "no results for hostname lookup".
            log.warning("refused to connect: %s", exc)
            self.addresses = []
        for address in self.addresses:
            self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class CheckingResolver:
    """The reactor's name resolver, wrapping the one it replaced; see the module docstring.

    One per process (the reactor has one resolver), configured by each crawl: the operator's feed hosts
    are trusted (names only; the middleware compares whole origins), and ``allow_private`` turns it off.
    """

    def __init__(self, original: IHostnameResolver) -> None:
        self.original: Any = original  # Any: see _CheckingReceiver
        self.allow_private = False
        self.trusted_hosts: set[str] = set()

    @classmethod
    def installed(cls) -> CheckingResolver:
        """The resolver installed on the reactor, installing one first if needed."""
        from twisted.internet import reactor

        current = reactor.nameResolver
        if isinstance(current, cls):
            return current
        resolver = cls(current)
        reactor.installNameResolver(resolver)
        return resolver

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any = None) -> CheckingResolver:
        """``TWISTED_DNS_RESOLVER`` hook, used by ``scrapy crawl`` (in-process crawls install it themselves)."""
        return cls.installed()

    def install_on_reactor(self) -> None:
        """Scrapy's install call; :meth:`installed` already did it."""
        CheckingResolver.installed()

    def trust(self, hosts: Iterable[str]) -> None:
        """Let these names resolve to any address (the hosts of the operator's feed URLs)."""
        for host in hosts:
            self.trusted_hosts.add(_bare(host))
            with contextlib.suppress(UnicodeError):  # connections ask for an international name in ASCII
                self.trusted_hosts.add(_bare(host).encode("idna").decode("ascii"))

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Resolve through the original resolver; the answer is checked unless the name is trusted."""
        receiver: Any = resolutionReceiver
        if not self.allow_private and _bare(hostName) not in self.trusted_hosts:
            receiver = _CheckingReceiver(resolutionReceiver, hostName)
        return self.original.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)


class FetchPolicyMiddleware:
    """Refuses requests to non-public addresses before they (or their robots.txt) are sent."""

    def __init__(self, crawler: Crawler, allow_private: bool) -> None:
        self.crawler = crawler
        self.allow_private = allow_private
        self.resolver = CheckingResolver.installed()
        self.resolver.allow_private = allow_private
        self._trusted: set[Origin] | None = None
        self._verdicts: dict[tuple[str, int], str | None] = {}  # per crawl: (host, port) -> refusal

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Scrapy's constructor hook: reads the aidwatch allow-private setting."""
        return cls(crawler, crawler.settings.getbool(ALLOW_PRIVATE_SETTING))

    def _trusted_origins(self) -> set[Origin]:
        if self._trusted is None:
            feeds = getattr(self.crawler.spider, "feeds", None) or []
            origins = {origin for origin in (origin_of(feed.url) for feed in feeds) if origin is not None}
            self.resolver.trust(origin[1] for origin in origins)
            self._trusted = origins
        return self._trusted

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """Pass requests to the feeds' own origins and to public addresses; refuse the rest."""
        if self.allow_private:
            return
        origin = origin_of(request.url)
        if origin is None:
            raise FetchRefused(f"refused {request.url[:200]}: only http:// and https:// URLs are fetched")
        if origin in self._trusted_origins():
            return
        key = origin[1:]
        if key not in self._verdicts:
            try:
                await check_target_async(request.url)
                self._verdicts[key] = None
            except Unresolvable:
                return  # not refused: the download fails as a lookup failure (or works if DNS is back)
            except UnsafeTarget as exc:
                self._verdicts[key] = str(exc)
        problem = self._verdicts[key]
        if problem is not None:
            self.crawler.stats.inc_value("aidwatch/fetches_refused")
            raise FetchRefused(f"refused {request.url[:200]}: {problem}")


__all__ = [
    "ALLOW_PRIVATE_SETTING",
    "CheckingResolver",
    "FetchPolicyMiddleware",
    "FetchRefused",
    "origin_of",
]
