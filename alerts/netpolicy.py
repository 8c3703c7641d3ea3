"""Where aidwatch may connect on someone else's say-so: http(s) only, and only to public unicast addresses.

One policy for every outbound request whose destination a third party chose: webhook deliveries (the
subscriber picks the target) and the crawler's article pages, redirects and robots.txt files (the feed's
author picks the links). Loopback, private, link-local, multicast, unspecified, reserved and cloud-metadata
addresses are refused, in every spelling (IPv6, IPv4-mapped, 6to4, decimal or octal IPv4 that the system
resolver accepts), unless ``[delivery] allow_private_networks`` is true.

A name is judged by the addresses it resolves to, and the caller connects to those same addresses (the
webhook channel to the list returned here, the crawler through its checking resolver), so a name that
resolves differently a moment later (DNS rebinding) cannot slip through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

# Cloud metadata endpoints that are not already private/link-local ranges everywhere.
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """The destination is not allowed (scheme, host or the addresses it resolves to)."""


class Unresolvable(UnsafeTarget):
    """The host name does not resolve (now): refused, though not because of where it points."""


def address_problem(address: IPAddress) -> str | None:
    """Why nothing may be fetched from or sent to ``address``, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:  # ::ffff:127.0.0.1 is loopback in disguise
            address = embedded
    if address in _METADATA:
        return "a cloud metadata address"
    for flag, reason in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_site_local", "a site-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag, False):
            return reason
    if not address.is_global:  # shared 100.64/10, documentation ranges, etc.
        return "not a public address"
    return None


def split_target(url: str) -> tuple[str, int]:
    """Host and port of an http(s) URL; raises ``UnsafeTarget`` for any other scheme or no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("only http:// and https:// targets are allowed")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_addresses(host: str, addresses: Iterable[str]) -> list[str]:
    """``addresses`` (what ``host`` resolved to) when every one is public; else ``UnsafeTarget``."""
    checked = list(addresses)
    if not checked:
        raise Unresolvable(f"host {host!r} does not resolve")
    for text in checked:
        problem = address_problem(ipaddress.ip_address(text.split("%", 1)[0]))
        if problem and text == host.strip("[]"):
            raise UnsafeTarget(f"host {host!r} is {problem}")
        if problem:
            raise UnsafeTarget(f"host {host!r} resolves to {text}, {problem}")
    return checked


def literal_addresses(host: str) -> list[str] | None:
    """The address a literal IP host stands for, None for a name to resolve; ``UnsafeTarget`` for a loopback name."""
    host = host.strip("[]").rstrip(".").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise UnsafeTarget(f"host {host!r} is a loopback name")
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return None


def check_target(url: str, allow_private: bool = False) -> None:
    """Blocking check (the API runs it in its thread pool); raises ``UnsafeTarget``."""
    host, port = split_target(url)
    if allow_private:
        return
    addresses = literal_addresses(host)
    if addresses is None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            raise Unresolvable(f"host {host!r} does not resolve: {exc}") from None
        addresses = [str(info[4][0]) for info in infos]
    check_addresses(host, addresses)


async def check_target_async(url: str, allow_private: bool = False) -> list[str]:
    """The same check on the event loop; returns the checked addresses (none when private is allowed).

    The caller connects to one of these addresses, so a name that resolves differently a moment later
    (DNS rebinding) cannot redirect the request.
    """
    host, port = split_target(url)
    if allow_private:
        return []
    addresses = literal_addresses(host)
    if addresses is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            raise Unresolvable(f"host {host!r} does not resolve: {exc}") from None
        addresses = [str(info[4][0]) for info in infos]
    return check_addresses(host, addresses)
