"""Run items submitted one at a time through a function that takes many, one batch at a time.

Items that arrive while a batch is being processed form the next batch, so the first item never waits
for company and a burst costs one call (one worker thread, one transaction) per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

BatchFunction = Callable[[list[T]], Awaitable[list[R | Exception]]]


class BatchRunner(Generic[T, R]):
    """Feeds submitted items to ``run`` in batches of at most ``limit``; one batch runs at a time.

    ``run`` returns one result per item, in order; an item whose result is an exception makes its
    ``submit`` raise it, and an exception raised by ``run`` itself fails its whole batch.
    """

    def __init__(self, run: BatchFunction[T, R], limit: int) -> None:
        self._run = run
        self._limit = limit
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Future[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue ``item`` and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._limit], self._queue[self._limit :]
            try:
                results = await self._run([item for item, _future in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} items gave {len(results)} results")
            except asyncio.CancelledError:
                # The loop is closing: nobody may wait forever on an item of this batch or a later one.
                for _item, future in batch + self._queue:
                    future.cancel()
                raise
            except Exception as exc:
                results = [exc] * len(batch)
            for (_item, future), result in zip(batch, results, strict=True):
                if future.done():  # its submitter was cancelled (the crawl is stopping)
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
