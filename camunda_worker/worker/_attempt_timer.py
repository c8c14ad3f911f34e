"""Time limits for one task's awaits, one after another, with a single timer re-armed lazily.

Each acknowledgement attempt waits for its answer at most until its job's deadline. A timer per
attempt (``asyncio.timeout``: a timer handle pushed on the loop's heap, cancelled a millisecond
later, a context manager's bookkeeping) was a few percent of a no-op worker's CPU. A sender task
makes its attempts one after another, and their limits are seconds to minutes away while an
answer takes a millisecond: :class:`AttemptTimer` keeps one timer per task, armed for the
earliest limit it has to watch, and moves it only when it fires (to the current attempt's limit,
if one is running) or when an attempt's limit is earlier than the timer. Steady state: no timer
is created or cancelled per attempt.

Python 3.11+ (``Task.uncancel``); on 3.10 each attempt gets its own anyio cancel scope.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["AttemptTimer"]

_UNCANCEL = sys.version_info >= (3, 11)
# A timer may run this much before its time (the loop's clock resolution): still expired.
_EARLY = 1e-3


class AttemptTimer:
    """Bounds the awaits of the task that made it, one at a time.

    Make it in the task whose awaits it bounds, and call :meth:`within` only from that task
    (its limit cancels that task), one call at a time.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._limit = 0.0  # loop time the running attempt must end by
        self._running = False
        self._expired = False
        self._timer: asyncio.TimerHandle | None = None

    async def within(self, call: Callable[[], Awaitable[None]], seconds: float) -> bool:
        """Await ``call()`` for at most ``seconds``; whether it ended in time.

        Its exceptions propagate; the task's own cancellation (from elsewhere) too.
        """
        if not _UNCANCEL:  # pragma: no cover - no Task.uncancel on 3.10
            with anyio.move_on_after(seconds) as scope:
                await call()
            return not scope.cancelled_caught
        task = self._task  # not checked against the current task: that look-up costs too
        if task is None:
            msg = "AttemptTimer made outside a task"
            raise RuntimeError(msg)
        limit = self._loop.time() + seconds
        self._limit = limit
        self._expired = False
        timer = self._timer
        if timer is None or timer.when() > limit:
            if timer is not None:
                timer.cancel()
            self._timer = self._loop.call_at(limit, self._fire)
        self._running = True
        try:
            await call()
        except asyncio.CancelledError:
            if self._expired and task.uncancel() == 0:  # type: ignore[attr-defined]  # 3.11+
                return False  # our cancel, nobody else's
            raise
        finally:
            self._running = False
        return True

    def _fire(self) -> None:
        self._timer = None
        if not self._running:
            return  # nothing runs: no timer until the next attempt
        if self._loop.time() + _EARLY >= self._limit:
            if not self._expired and self._task is not None:
                self._expired = True
                self._task.cancel()
            return
        self._timer = self._loop.call_at(self._limit, self._fire)

    def close(self) -> None:
        """Cancel the timer (the task is done with it)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
