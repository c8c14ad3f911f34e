"""AttemptTimer: one lazily moved timer bounds a sender's acknowledgement attempts, one by one."""

from __future__ import annotations

import asyncio
import sys

import anyio
import pytest

from camunda_worker.worker._attempt_timer import AttemptTimer

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="3.10 uses an anyio cancel scope per attempt instead"
)


async def _never() -> None:
    await asyncio.Event().wait()


async def _quick() -> None:
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_an_attempt_that_ends_in_time_leaves_the_task_uncancelled() -> None:
    timer = AttemptTimer()
    for _ in range(50):
        assert await timer.within(_quick, 0.05)
    # The limits of those attempts pass now: nothing may cancel the task afterwards.
    await asyncio.sleep(0.2)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    timer.close()


@pytest.mark.asyncio
async def test_an_attempt_past_its_limit_is_given_up() -> None:
    timer = AttemptTimer()
    with anyio.fail_after(30):
        assert not await timer.within(_never, 0.1)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]
    assert await timer.within(_quick, 1.0)  # and the next one runs normally
    timer.close()


@pytest.mark.asyncio
async def test_a_short_limit_after_a_long_one_still_holds() -> None:
    timer = AttemptTimer()
    assert await timer.within(_quick, 600.0)  # the timer is armed 10 minutes away
    with anyio.fail_after(30):
        assert not await timer.within(_never, 0.1)
    timer.close()


@pytest.mark.asyncio
async def test_a_long_limit_after_short_ones_is_not_cut_short() -> None:
    timer = AttemptTimer()
    for _ in range(5):
        assert await timer.within(_quick, 0.05)  # the timer stays armed for 0.05 s from here

    async def slower_than_the_old_limits() -> None:
        await asyncio.sleep(0.3)

    assert await timer.within(slower_than_the_old_limits, 30.0)
    timer.close()


@pytest.mark.asyncio
async def test_a_cancel_from_elsewhere_propagates() -> None:
    started = asyncio.Event()

    async def attempt() -> bool:
        timer = AttemptTimer()

        async def waits() -> None:
            started.set()
            await _never()

        return await timer.within(waits, 600.0)

    task = asyncio.create_task(attempt())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.asyncio
async def test_errors_of_the_attempt_propagate() -> None:
    timer = AttemptTimer()

    async def fails() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await timer.within(fails, 5.0)
    timer.close()
