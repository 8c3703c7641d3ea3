"""WebSub subscriptions: find a feed's hub, subscribe, renew before the lease ends, fall back to polling.

One :meth:`WebSubManager.check` every ``[websub] check_interval``: requests the hub never verified and
leases that lapsed fall back to polling; feeds without a subscription (or due for another try) are
fetched once to discover their hub (Link header first, then the feed's ``<link rel="hub">``) and
subscribed with a callback under ``[api] public_url``; live subscriptions near their lease's end are
requested again; and the interval polls of feeds with a live lease are deferred. The hub's answers
arrive at the callback route (alerts/api/routes_websub.py). Rules: docs/decisions/0019-websub.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx2

from alerts.delivery.webhook import pin_to_address
from alerts.models import FeedState
from alerts.netpolicy import UnsafeTarget, check_target_async
from alerts.settings import Settings
from alerts.store.engine import Database
from alerts.store.tables import utcnow
from alerts.store.websub import (
    FeedToDiscover,
    defer_polls,
    due_for_renewal,
    expire_subscriptions,
    feeds_to_discover,
    record_no_hub,
    start_subscription,
    subscription_failed,
)
from alerts.websub import Discovery, callback_url, discover
from crawler.crawl_runner import run_crawl
from crawler.poll_tracker import count_crawl
from crawler.pushed import PushedFeed
from crawler.websub_push import PushQueue

log = logging.getLogger(__name__)

HUB_REDIRECTS = 3  # a hub may send us on with 307/308 (section 5.1.2)
CONCURRENT_REQUESTS = 8
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, */*;q=0.8"


class HubError(Exception):
    """The hub (or the feed, during discovery) could not be used; the message says why, in one line."""


class WebSubManager:
    """Discovers hubs, requests and renews subscriptions, and moves feeds between push and polling."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        client: httpx2.AsyncClient | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._client = client or httpx2.AsyncClient(
            timeout=httpx2.Timeout(settings.crawler.download_timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": settings.crawler.user_agent},
            # Connections are pinned to checked addresses; a pooled one must not serve another name.
            limits=httpx2.Limits(max_keepalive_connections=0),
        )
        self._slots = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def check(self) -> None:
        """One round: lapses and unverified requests, discoveries, renewals, deferred polls."""
        websub = self.settings.websub
        now = self.clock()
        try:
            retry_at = now + timedelta(seconds=websub.retry_interval)
            for feed_id in await asyncio.to_thread(expire_subscriptions, self.db, now, websub.verify_timeout, retry_at):
                log.warning("websub: feed %s falls back to polling (no live subscription)", feed_id)
            to_discover = await asyncio.to_thread(feeds_to_discover, self.db, now, websub.discoveries_per_check)
            renewals = await asyncio.to_thread(due_for_renewal, self.db, now, websub.renew_before)
        except Exception as exc:  # database down or locked: try again next round
            log.warning("websub: check failed: %s", exc)
            return
        jobs = [self._discover_and_subscribe(feed) for feed in to_discover]
        jobs += [self._subscribe(s.feed_id, s.hub_url, s.topic_url) for s in renewals if s.hub_url and s.topic_url]
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, Exception):  # one feed's failure (storage down, a bug) spares the others
                log.warning("websub: subscribing a feed failed: %s: %s", type(outcome).__name__, outcome)
        try:
            await asyncio.to_thread(defer_polls, self.db, self.clock(), websub.safety_poll_interval)
        except Exception as exc:
            log.warning("websub: could not defer the polls of pushed feeds: %s", exc)

    async def _discover_and_subscribe(self, feed: FeedToDiscover) -> None:
        async with self._slots:
            now = self.clock()
            try:
                found = await self.discover(feed.url)
            except HubError as exc:
                retry = now + timedelta(seconds=self.settings.websub.retry_interval)
                await asyncio.to_thread(record_no_hub, self.db, feed.feed_id, now, retry, f"discovery: {exc}")
                return
            if found.hub is None:
                retry = now + timedelta(seconds=self.settings.websub.rediscover_interval)
                await asyncio.to_thread(record_no_hub, self.db, feed.feed_id, now, retry)
                return
        await self._subscribe(feed.feed_id, found.hub, found.topic)

    async def discover(self, feed_url: str) -> Discovery:
        """Fetch the feed and read its hub and self URLs; raises :class:`HubError` when it cannot be read."""
        try:
            async with self._client.stream(
                "GET", feed_url, headers={"Accept": FEED_ACCEPT}, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    raise HubError(f"HTTP {response.status_code} from {feed_url[:200]}")
                body = await _read_capped(response, self.settings.crawler.max_body_bytes)
                final_url = str(response.url)
                # Relative hub and self links resolve against where the feed was found.
                headers = {"content-type": response.headers.get("content-type", ""), "content-location": final_url}
                header_links = {str(rel): link for rel, link in response.links.items() if rel}
        except httpx2.HTTPError as exc:
            raise HubError(f"{type(exc).__name__}: {exc}"[:300]) from None
        if _origin(final_url) != _origin(feed_url):  # redirected away from the operator's chosen origin
            try:
                await check_target_async(final_url, self.settings.delivery.allow_private_networks)
            except UnsafeTarget as exc:
                raise HubError(f"redirect refused: {exc}") from None
        if "hub" in header_links:
            return discover(final_url, header_links, [])
        parsed = await asyncio.to_thread(feedparser.parse, body, response_headers=headers)
        return discover(final_url, header_links, parsed.feed.get("links", []))

    async def _subscribe(self, feed_id: str, hub_url: str, topic_url: str) -> None:
        websub = self.settings.websub
        async with self._slots:
            now = self.clock()
            subscription = await asyncio.to_thread(start_subscription, self.db, feed_id, hub_url, topic_url, now)
            if subscription is None:
                return
            form = {
                "hub.mode": "subscribe",
                "hub.topic": topic_url,
                "hub.callback": callback_url(self.settings.api.public_url, subscription.token),
                "hub.lease_seconds": str(int(websub.lease)),
                "hub.secret": subscription.secret,
            }
            try:
                await self._post_to_hub(hub_url, form)
            except HubError as exc:
                log.warning("websub: subscribing feed %s at %s failed: %s; polling it", feed_id, hub_url[:200], exc)
                retry = self.clock() + timedelta(seconds=websub.retry_interval)
                await asyncio.to_thread(subscription_failed, self.db, feed_id, self.clock(), str(exc), retry)
                return
            log.info("websub: feed %s: subscription requested at %s", feed_id, hub_url[:200])

    async def _post_to_hub(self, hub_url: str, form: dict[str, str]) -> None:
        """POST the request; a 2xx (202 per spec) means the hub will verify it. Raises :class:`HubError`."""
        for _ in range(HUB_REDIRECTS + 1):
            try:
                # The hub is named by the feed, a third party: the address policy applies to it.
                addresses = await check_target_async(hub_url, self.settings.delivery.allow_private_networks)
            except UnsafeTarget as exc:
                raise HubError(f"hub refused: {exc}") from None
            url, headers, extensions = hub_url, {}, {}
            if addresses:
                url, headers["host"], server_name = pin_to_address(hub_url, addresses[0])
                extensions = {"sni_hostname": server_name}
            try:
                request = self._client.build_request("POST", url, data=form, headers=headers, extensions=extensions)
                response = await self._client.send(request)
            except httpx2.HTTPError as exc:
                raise HubError(f"{type(exc).__name__}: {exc}"[:300]) from None
            location = response.headers.get("location")
            if response.status_code in (307, 308) and location:
                hub_url = urljoin(hub_url, location)
                continue
            if 200 <= response.status_code < 300:
                return
            # Hubs describe errors in plain text (section 5.1.2); an HTML error page says nothing more.
            plain = response.headers.get("content-type", "").startswith("text/plain")
            reason = " ".join(response.text.split())[:200] if plain else ""
            raise HubError(f"HTTP {response.status_code}" + (f": {reason}" if reason else ""))
        raise HubError("too many redirects")


async def _read_capped(response: httpx2.Response, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise HubError(f"the feed is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


class WebSubService:
    """The daemon's WebSub parts together: the manager's checks, the push queue and its worker."""

    def __init__(self, settings: Settings, db: Database, owner: str) -> None:
        self.settings = settings
        self.db = db
        self.manager = WebSubManager(settings, db)

        async def crawl_pushed(feeds: list[FeedState], pushed: dict[str, PushedFeed]) -> object:
            summary = await run_crawl(settings, db, feeds, pushed=pushed)
            count_crawl(summary)  # pushes themselves are counted apart
            # Recording the push scheduled an interval poll; the lease still stands in for it.
            await asyncio.to_thread(defer_polls, db, self.manager.clock(), settings.websub.safety_poll_interval)
            return summary

        self.queue = PushQueue(settings, db, crawl_pushed, owner)
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the push worker (the caller schedules :meth:`WebSubManager.check`)."""
        self._worker = asyncio.create_task(self.queue.run(), name="websub-pushes")

    async def stop(self, timeout: float) -> None:
        """Take no more pushes, give the running push crawl ``timeout`` seconds, release its leases."""
        self.queue.stopping = True
        if self._worker is not None:
            # An idle worker waits for the next push: nothing to finish.
            _done, pending = await asyncio.wait({self._worker}, timeout=timeout if self.queue.busy else 0)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=2)
        await self.queue.release()
        await self.manager.aclose()
