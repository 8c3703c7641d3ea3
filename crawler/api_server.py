"""The HTTP server of the API: uvicorn on the daemon's loop, configured from ``[api]``.

Two things stock uvicorn gets wrong for a daemon on the open internet:

- It believes ``X-Forwarded-For`` from 127.0.0.1 by default (or whatever ``FORWARDED_ALLOW_IPS`` in
  the environment says), so anyone on the host could pick the client address the per-address rate
  limit counts. Here proxy headers are read only from ``api.trusted_proxies`` (none by default); the
  client address every route sees (``request.client``) is then the real client.
- It has no deadline for a request head: ``timeout_keep_alive`` only starts after a response, and
  h11's ``max_incomplete_event_size`` bounds the size of a head, not its duration. A client that
  opens a connection and sends half a request line (slowloris) holds it forever. The protocol below
  closes a connection whose request head is not complete ``api.header_timeout`` after its first
  byte (or after the connection opened); request bodies and idle keep-alive are bounded as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from alerts.settings import Settings


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head (set ``header_timeout`` on a subclass)."""

    header_timeout: float = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock: the first request head is due within ``header_timeout``."""
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        """Feed h11; keep the deadline while a head is still incomplete, drop it once one is in."""
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_head_timer()  # waiting for (the rest of) a head; the deadline is not moved
        else:
            self._disarm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline with the connection."""
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def header_timeout_protocol(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class uvicorn instantiates per connection, with this head deadline."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})


class EmbeddedServer(uvicorn.Server):
    """uvicorn on the daemon's own loop; the daemon handles signals, not uvicorn.

    Stock uvicorn installs its own handlers and re-raises SIGTERM after shutdown (exit -15).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signal handling to the daemon."""
        yield


def server_config(settings: Settings, app: Any, **overrides: Any) -> uvicorn.Config:
    """uvicorn's configuration for the API, as ``aidwatch serve`` runs it (``overrides`` for tests)."""
    trusted = list(settings.api.trusted_proxies)
    options: dict[str, Any] = {
        "host": settings.api.host,
        "port": settings.api.port,
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "timeout_graceful_shutdown": 3,
        "http": header_timeout_protocol(settings.api.header_timeout),
        # Explicit, never None: uvicorn would otherwise trust 127.0.0.1 or $FORWARDED_ALLOW_IPS.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
    }
    return uvicorn.Config(app, **(options | overrides))


def api_server(settings: Settings, app: Any, **overrides: Any) -> EmbeddedServer:
    """The API's server, ready for ``await server.serve()`` on the running loop."""
    return EmbeddedServer(server_config(settings, app, **overrides))
