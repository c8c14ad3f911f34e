"""Long-poll waiters: job activation requests waiting for jobs of their type.

Each waiting ``activate_jobs`` call registers a :class:`Waiter` (its event loop and a future).
When jobs of its type become activatable, the engine activates them for the oldest waiter
first, under its lock, and stores the activations in the waiter before waking it with
``loop.call_soon_threadsafe`` (so any thread may wake any loop). A waiter is served once and
leaves the registry. A waiter cancelled before it took its activations gives them back: the jobs
become activatable again at once (see ``Engine.activate_jobs``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import attrs

from camunda_worker.engine._runtime.jobs import JobRecord

__all__ = ["Activation", "Waiter", "WaiterRegistry"]


@attrs.define(slots=True, eq=False)
class Activation:
    """One job activated for a request, with what is needed to give it back.

    Attributes:
        job: the job.
        activation: the job's activation counter at that time.
        document: the ``ActivatedJobResult`` handed to the worker.
        previous_worker: the job's worker before this activation.
        previous_lease: the job's lease token before this activation.
    """

    job: JobRecord
    activation: int
    document: dict[str, Any]
    previous_worker: str
    previous_lease: str | None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


@attrs.define(slots=True, eq=False)
class Waiter:
    """A waiting activation request (identity-hashed)."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    job_type: str
    max_jobs: int
    timeout_ms: int
    worker: str
    fetch_variable: tuple[str, ...] | None
    tenant_ids: frozenset[str] | None
    with_lease: bool
    activations: list[Activation] | None = None
    consumed: bool = False

    def wake(self) -> bool:
        """Resolve the waiter's future from any thread; ``False`` when its loop is closed."""
        try:
            self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:  # the loop is closed: nobody will ever read the answer
            return False
        return True


class WaiterRegistry:
    """Waiting requests per job type, oldest first."""

    def __init__(self) -> None:
        self._by_type: dict[str, dict[Waiter, None]] = {}

    def add(self, waiter: Waiter) -> None:
        """Register a waiter behind the others of its type."""
        self._by_type.setdefault(waiter.job_type, {})[waiter] = None

    def remove(self, waiter: Waiter) -> None:
        """Unregister a waiter (no-op when it is not registered)."""
        waiting = self._by_type.get(waiter.job_type)
        if waiting is not None:
            waiting.pop(waiter, None)
            if not waiting:
                del self._by_type[waiter.job_type]

    def waiting(self, job_type: str) -> list[Waiter]:
        """The waiters of a job type, oldest first (a copy)."""
        return list(self._by_type.get(job_type, ()))

    def __iter__(self) -> Iterator[Waiter]:
        return iter([waiter for waiting in self._by_type.values() for waiter in waiting])

    def __len__(self) -> int:
        return sum(len(waiting) for waiting in self._by_type.values())
