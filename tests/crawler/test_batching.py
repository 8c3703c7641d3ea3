"""BatchRunner: items submitted one by one are processed in batches, one batch at a time."""

from __future__ import annotations

import asyncio

import pytest

from crawler.batching import BatchRunner

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Recorder:
    """A batch function that records each batch and can be held until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def __call__(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(items)
        self.started.set()
        await self.release.wait()
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]


async def test_items_arriving_during_a_batch_form_the_next_one() -> None:
    run = Recorder()
    runner: BatchRunner[int, int] = BatchRunner(run, limit=3)
    first = asyncio.ensure_future(runner.submit(0))
    await run.started.wait()  # the first item does not wait for company
    # The loop runs tasks in the order they were scheduled: these four are queued before the first
    # batch's wake-up, so they are waiting when it ends.
    rest = [asyncio.ensure_future(runner.submit(i)) for i in (2, 4, 6, 8)]
    run.release.set()
    assert await first == 0
    assert await asyncio.gather(*rest) == [20, 40, 60, 80]
    assert run.batches == [[0], [2, 4, 6], [8]]


async def test_an_item_whose_result_is_an_error_fails_alone() -> None:
    run = Recorder()
    run.release.set()
    runner: BatchRunner[int, int] = BatchRunner(run, limit=10)
    results = await asyncio.gather(*(runner.submit(i) for i in range(3)), return_exceptions=True)
    assert results[0] == 0 and results[2] == 20
    assert isinstance(results[1], ValueError) and "odd 1" in str(results[1])


@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param(RuntimeError("database gone"), id="the batch function raises"),
        pytest.param([1], id="the batch function returns too few results"),
    ],
)
async def test_a_failing_batch_fails_each_of_its_items(outcome: object) -> None:
    async def run(items: list[int]) -> list[int | Exception]:
        if isinstance(outcome, Exception):
            raise outcome
        return list(outcome)  # type: ignore[call-overload]

    runner: BatchRunner[int, int] = BatchRunner(run, limit=10)
    results = await asyncio.gather(*(runner.submit(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)
    # The runner is not stuck: the next batch runs (a batch of one item gets one result here).
    [later] = await asyncio.gather(runner.submit(5), return_exceptions=True)
    assert later == 1 if isinstance(outcome, list) else isinstance(later, RuntimeError)


async def test_a_cancelled_submitter_does_not_break_its_batch() -> None:
    run = Recorder()
    runner: BatchRunner[int, int] = BatchRunner(run, limit=10)
    gone = asyncio.ensure_future(runner.submit(0))
    await run.started.wait()
    kept = asyncio.ensure_future(runner.submit(2))
    gone.cancel()
    run.release.set()
    assert await kept == 20
    assert gone.cancelled()
