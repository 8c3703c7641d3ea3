"""Feed parsing in worker processes: the crawler's second core, and a hostile feed costs one feed.

feedparser is pure Python (~0.15 ms of CPU per entry, 20-150 ms for a large feed) and, in a thread,
holds the GIL that the event loop, the classifier and storage share. In a worker process
(``crawler.parser_worker``) it runs beside them on another core; a body that hangs the parser is
stopped after :data:`PARSE_TIMEOUT` seconds, and one that crashes it ends that worker, not the daemon.

Why not ``multiprocessing``: its spawn and forkserver workers import the parent's ``__main__`` (for
the daemon, the whole CLI with pydantic and SQLAlchemy, ~30 MB more per worker), and its fork would
copy a process full of threads and open database connections. A worker here loads only feedparser.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, cast

from crawler.feed_parser import FeedParseError, ParsedFeed, parse_feed
from crawler.parser_worker import HEADER, frame

log = logging.getLogger(__name__)

PARSE_TIMEOUT = 30.0  # seconds one feed may take to parse (a 10 MB feed takes a few)
_SOURCE_ROOT = Path(__file__).resolve().parents[1]  # where `python -m crawler.parser_worker` finds this code


class _WorkerGone(Exception):
    """The worker process ended (crashed, was killed) before it replied."""


class _Worker:
    """One ``crawler.parser_worker`` process and its pipes; one request at a time."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.parser_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_SOURCE_ROOT,
            bufsize=0,
        )

    def call(self, request: bytes) -> tuple[str, object]:
        """Send one framed request and wait for the reply (blocking: run it in a thread)."""
        stdin, stdout = cast(IO[bytes], self.proc.stdin), cast(IO[bytes], self.proc.stdout)
        try:
            stdin.write(request)
            (size,) = HEADER.unpack(self._read(stdout, HEADER.size))
            status, value = pickle.loads(self._read(stdout, size))
        except (OSError, ValueError) as exc:
            raise _WorkerGone(str(exc)) from exc
        return str(status), value

    @staticmethod
    def _read(stream: IO[bytes], size: int) -> bytes:
        chunks: list[bytes] = []
        while size:
            chunk = stream.read(size)
            if not chunk:
                raise _WorkerGone("the parser process ended")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def stop(self, grace: float = 1.0) -> None:
        """End the process: close its input (it exits), kill it when it does not within ``grace``."""
        stdin = self.proc.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):
                stdin.close()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Kill the process now (its pending read in a thread then ends)."""
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class FeedParserPool:
    """Parses feed bodies in up to ``processes`` worker processes (0: in a thread of this process)."""

    def __init__(self, processes: int, timeout: float = PARSE_TIMEOUT) -> None:
        if processes < 0:
            raise ValueError(f"processes must be 0 or more, got {processes}")
        self.processes = processes
        self.timeout = timeout
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._slots: asyncio.Semaphore | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the workers now, so their start-up (~0.1 s) is not on the first changed feed."""
        with self._lock:
            while len(self._idle) + len(self._busy) < self.processes:
                self._idle.append(_Worker())

    async def parse(self, body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
        """``crawler.feed_parser.parse_feed`` off the event loop; :class:`FeedParseError` when it is no feed."""
        if not self.processes:
            return await asyncio.to_thread(parse_feed, body, url, headers)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.processes)
        async with self._slots:
            worker = self._take()
            try:
                call = asyncio.to_thread(worker.call, frame((body, url, dict(headers or {}))))
                status, value = await asyncio.wait_for(call, self.timeout)
            except TimeoutError:
                self._drop(worker)
                raise FeedParseError(f"parsing took longer than {self.timeout:.0f} s; the parser was stopped") from None
            except _WorkerGone:
                self._drop(worker)
                log.warning("a feed parser process died (exit code %s); starting a new one", worker.proc.returncode)
                raise FeedParseError("the feed parser process died on this feed") from None
            except BaseException:  # cancelled (the crawl stops): the reply would land in the next request
                self._drop(worker)
                raise
            self._give_back(worker)
        if status != "ok":
            raise FeedParseError(str(value))
        return cast(ParsedFeed, value)

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (benchmarks read their CPU time and memory)."""
        with self._lock:
            return sorted(w.proc.pid for w in [*self._idle, *self._busy] if w.alive())

    def shutdown(self) -> None:
        """Stop every worker (a parse in flight fails)."""
        with self._lock:
            workers, self._idle, self._busy = [*self._idle, *self._busy], [], set()
        for worker in workers:
            worker.stop()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    break
                worker.kill()
            else:
                worker = _Worker()
            self._busy.add(worker)
            return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            self._idle.append(worker)

    def _drop(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
        worker.kill()


_pools: dict[int, FeedParserPool] = {}
_pools_lock = threading.Lock()


def parser_pool(processes: int) -> FeedParserPool:
    """The process-wide pool with ``processes`` workers (built on first use, shared by every crawl)."""
    with _pools_lock:
        pool = _pools.get(processes)
        if pool is None:
            pool = _pools[processes] = FeedParserPool(processes)
        return pool


def shutdown_parser_pools() -> None:
    """Stop every pool's workers (daemon stop, end of a command)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown()


__all__ = ["PARSE_TIMEOUT", "FeedParserPool", "parser_pool", "shutdown_parser_pools"]
