"""Capacity: how many jobs a worker may hold at once, and which ones it holds.

A slot is taken when a job arrives from an activation and given back only when the job is truly
finished: its handler has ended (a thread that outlived a cancel keeps its slot until it really
ends) AND its acknowledgement was sent or given up. Activations ask for exactly the free slots.

A job whose handler has ended and whose acknowledgement waits for its answer no longer takes
part in ``max_concurrent_jobs`` (as in Camunda's Java worker, where a handler's completion is
sent asynchronously): the next activation overlaps that round trip instead of waiting for it.
So that a slow or failing engine never lets these pile up, at most ``maximum`` of them are
exempt; beyond that they count again. A worker therefore holds at most ``2 x maximum`` jobs, and
runs at most ``maximum`` handlers, at once.

A handler still running after its job's deadline is **overdue** (:meth:`Capacity.mark_overdue`,
called once a second by the worker): the engine may give the job to another worker meanwhile,
and the slot stays taken until the handler returns (or an extension moves the deadline ahead
again). The worker warns when a handler becomes overdue, counts them
(``stats.overdue_handlers``), and is not ready while every handler that can run is one.

Everything here runs on the worker's event loop; another thread gives a slot back through
:meth:`Slot.release_threadsafe`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from camunda_worker._api.models import ActivatedJob
    from camunda_worker.worker._deadline import JobDeadline

__all__ = ["Capacity", "Slot"]


class Slot:
    """One job's hold on the worker's capacity; :meth:`release` is idempotent."""

    __slots__ = (
        "_capacity",
        "deadline",
        "held_by_thread",
        "job",
        "on_release",
        "overdue",
        "stage",
        "started",
    )

    def __init__(self, capacity: Capacity, job: ActivatedJob) -> None:
        self._capacity = capacity
        self.job = job
        self.started = time.monotonic()
        self.stage = "queued"
        self.held_by_thread = False
        # The job's deadline as its handler sees it (moved by extensions); None: not known yet.
        self.deadline: JobDeadline | None = None
        self.overdue = False  # its handler runs past the deadline (see Capacity.mark_overdue)
        # Called once the slot is given back (the job's tracing span ends there); None: nothing.
        self.on_release: Callable[[Slot], None] | None = None

    def acknowledging(self) -> None:
        """The handler has ended and the acknowledgement is queued (see the module's rule)."""
        if self.stage != "acknowledging" and self in self._capacity._slots:
            self.stage = "acknowledging"
            if self.overdue:
                self._no_longer_overdue()
            self._capacity._acknowledging += 1
            self._capacity._wake()

    def release(self) -> None:
        """Give the slot back (a no-op the second time)."""
        capacity = self._capacity
        if capacity._slots.pop(self, False):
            if self.overdue:
                self._no_longer_overdue()
            if self.stage == "acknowledging":
                capacity._acknowledging -= 1
            capacity._wake()
            if self.on_release is not None:
                self.on_release(self)

    def _no_longer_overdue(self) -> None:
        """The handler returned, or its deadline moved ahead: it stops counting as overdue."""
        self.overdue = False
        self._capacity.overdue -= 1

    def release_threadsafe(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give the slot back from another thread (a no-op once ``loop`` is closed)."""
        # A closed loop means the worker is gone: nobody counts slots any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self.release)


class Capacity:
    """The slots of one worker: ``maximum`` jobs at once."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        # Keyed by the slot itself: the same job may come back (activated again after its
        # deadline) while its first handler still runs, and each run holds its own slot.
        self._slots: dict[Slot, bool] = {}
        self._acknowledging = 0  # slots whose handler ended and whose acknowledgement is pending
        self.overdue = 0  # slots whose handler runs past the job's deadline (as last marked)
        # Who waits for which condition on the slots (see _wait_until).
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    @property
    def in_flight(self) -> int:
        """Jobs held now: handlers running, and acknowledgements waiting for their answer."""
        return len(self._slots)

    @property
    def acknowledging(self) -> int:
        """Jobs held now whose handler has ended and whose acknowledgement is pending."""
        return self._acknowledging

    @property
    def busy(self) -> int:
        """Jobs that count against ``maximum``: all but up to ``maximum`` acknowledging ones."""
        return len(self._slots) - min(self._acknowledging, self.maximum)

    @property
    def free(self) -> int:
        """Slots free now (what the next activation asks for)."""
        return self.maximum - self.busy

    def take(self, job: ActivatedJob) -> Slot:
        """Take a slot for ``job`` (even past the maximum: a job received is never dropped)."""
        slot = Slot(self, job)
        self._slots[slot] = True
        return slot

    def slots(self) -> list[Slot]:
        """The slots held now, oldest first."""
        return list(self._slots)

    def mark_overdue(self, now: float) -> list[Slot]:
        """Mark the handlers running past their job's deadline at ``now`` (monotonic).

        A slot stops counting in :attr:`overdue` when its handler returns, and when its deadline
        is ahead again (an extension landed late): it is marked again if it passes that one.

        Returns:
            The slots that became overdue since the last call.
        """
        marked = []
        for slot in self._slots:
            deadline = slot.deadline
            late = slot.stage == "running" and deadline is not None and deadline.monotonic <= now
            if late and not slot.overdue:
                slot.overdue = True
                self.overdue += 1
                marked.append(slot)
            elif slot.overdue and not late:
                slot._no_longer_overdue()
        return marked

    async def wait_free(self, batch: int = 1, linger: float = 0.0) -> None:
        """Return once a slot is free and, while jobs are in flight, ``batch`` slots are.

        Waiting for ``batch`` free slots lasts at most ``linger`` seconds (counted from the
        first free slot): an activation asks for a batch instead of one job per request, and a
        free slot never stays idle longer than ``linger``.
        """
        if self.free <= 0:
            await self._wait_until(lambda: self.free > 0)
        if self.free >= batch or not self.busy or linger <= 0:
            return
        await self._wait_until(lambda: not self.busy or self.free >= batch, linger)

    async def wait_empty(self) -> None:
        """Return once every slot has been given back."""
        if self._slots:
            await self._wait_until(lambda: not self._slots)

    async def _wait_until(self, ready: Callable[[], bool], timeout: float | None = None) -> None:
        """Wait until ``ready()`` holds, or ``timeout`` seconds; asked after each slot change.

        A waiter is woken only when its condition holds: a job's slot changes twice (its
        acknowledgement queued, then sent), and waking the poll loop for each was one more
        turn of the loop per change. Plain futures and a plain timer: an anyio event and
        cancel scope per wait added library and task look-ups.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not ready():
            waiter = loop.create_future()
            timer = None
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    return
                timer = loop.call_later(left, _wake_waiter, waiter)
            entry = (ready, waiter)
            self._waiters.append(entry)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(entry)
                if timer is not None:
                    timer.cancel()

    def _wake(self) -> None:
        for ready, waiter in self._waiters:
            if not waiter.done() and ready():
                waiter.set_result(None)


def _wake_waiter(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
