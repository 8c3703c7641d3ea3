"""Webhook target checks: http(s) only, and never an address on a loopback, private or metadata range.

Checked when a subscription is created and again before every delivery, because DNS can change.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

# Cloud metadata endpoints that are not already private/link-local ranges everywhere.
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class UnsafeTarget(ValueError):
    """The webhook target is not allowed (scheme, host or the addresses it resolves to)."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it is a public unicast address."""
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
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
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


def _check_addresses(host: str, addresses: list[str]) -> None:
    if not addresses:
        raise UnsafeTarget(f"host {host!r} does not resolve")
    for text in addresses:
        problem = address_problem(ipaddress.ip_address(text.split("%", 1)[0]))
        if problem:
            raise UnsafeTarget(f"host {host!r} resolves to {text}, {problem}")


def _literal_or_name(host: str) -> list[str] | None:
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
    addresses = _literal_or_name(host)
    if addresses is None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            raise UnsafeTarget(f"host {host!r} does not resolve: {exc}") from None
        addresses = [str(info[4][0]) for info in infos]
    _check_addresses(host, addresses)


async def check_target_async(url: str, allow_private: bool = False) -> list[str]:
    """The same check on the event loop; returns the checked addresses (none when private is allowed).

    The caller connects to one of these addresses, so a name that resolves differently a moment later
    (DNS rebinding) cannot redirect the request.
    """
    host, port = split_target(url)
    if allow_private:
        return []
    addresses = _literal_or_name(host)
    if addresses is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            raise UnsafeTarget(f"host {host!r} does not resolve: {exc}") from None
        addresses = [str(info[4][0]) for info in infos]
    _check_addresses(host, addresses)
    return addresses
