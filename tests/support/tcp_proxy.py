"""A TCP proxy on 127.0.0.1 in front of a real server, that a test opens late and closes to cut it off.

The PostgreSQL server the tests share must never be stopped; this proxy stands in for its outages. While
closed, nothing listens on the proxy's port (connections are refused) and every connection through it is
cut, exactly what a daemon sees while its database restarts. It runs its own asyncio loop in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType

from tests.support.daemon import free_port


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target``; ``open()`` and ``close()`` may be called repeatedly."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def is_open(self) -> bool:
        """True while the proxy accepts connections."""
        return self._server is not None

    def open(self) -> None:
        """Start listening (again) on the same port."""
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=10)

    def close(self) -> None:
        """Stop listening and cut every connection through the proxy."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)

    def stop(self) -> None:
        """Close and end the proxy's thread."""
        self.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    async def _open(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.update((client_writer, server_writer))
        await asyncio.gather(
            self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer), return_exceptions=True
        )
        self._writers.difference_update((client_writer, server_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()
