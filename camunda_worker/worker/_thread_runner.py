"""The ``thread`` strategy: sync handlers run in a thread pool sized to ``max_concurrent_jobs``.

The pool is created on the first job (a worker that never gets one starts no thread) and shut
down when the worker closes. The poll loop and the acknowledgements stay on the worker's one
event loop; threads only run handlers. A handler cannot be interrupted: when the worker gives up
on it (drain timeout), its thread keeps its capacity slot until the handler really returns.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, cast

from camunda_worker.worker._blocking import mark_handler_thread, run_blocking
from camunda_worker.worker._context import SyncJobContext
from camunda_worker.worker._invoke import PendingAwaitable, invoke_sync, settle
from camunda_worker.worker._runners import EXPIRED, Expired, RunnerOptions
from camunda_worker.worker._tracking import SyncTrackingClient

if TYPE_CHECKING:
    from camunda_worker._client import CamundaClient
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._outcomes import Outcome

__all__ = ["ThreadRunner"]


def _run_in_thread(
    owner: object,
    callback: Callable[[Any], Any],
    context: SyncJobContext,
    tracker: SyncTrackingClient,
    deadline: JobDeadline,
    retry_back_off: int,
) -> Outcome | PendingAwaitable | Expired:
    if deadline.expired():
        return EXPIRED
    mark_handler_thread(owner)
    try:
        return invoke_sync(
            callback,
            context,
            tracker,
            retries=context.job.retries,
            retry_back_off=retry_back_off,
        )
    finally:
        mark_handler_thread(None)


class ThreadRunner:
    """Runs sync handlers in a lazily created :class:`ThreadPoolExecutor`.

    Args:
        options: the worker's runner options.
        max_workers: pool size (the worker's ``max_concurrent_jobs``).
        client_factory: returns the worker's sync client (built on first call).
        owner: the worker, to recognise its pool threads (``close()`` from a handler).
    """

    def __init__(
        self,
        options: RunnerOptions,
        *,
        max_workers: int,
        client_factory: Callable[[], CamundaClient],
        owner: object,
    ) -> None:
        self._options = options
        self._max_workers = max_workers
        self._client_factory = client_factory
        self._owner = owner
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = ThreadPoolExecutor(
                        self._max_workers,
                        thread_name_prefix=f"camunda-worker[{self._options.job_type}]",
                    )
        return executor

    async def run(self, slot: Slot, deadline: JobDeadline) -> Outcome | Expired:
        """Run the handler in a pool thread with a :class:`SyncJobContext`."""
        if deadline.expired():
            return EXPIRED
        job = slot.job
        options = self._options
        tracker = SyncTrackingClient(self._client_factory, job.job_key)
        context = SyncJobContext(
            job=job,
            log=options.job_logger(job),
            client=cast("CamundaClient", tracker),
        )
        loop = asyncio.get_running_loop()
        future = self._pool().submit(
            _run_in_thread,
            self._owner,
            options.callback,
            context,
            tracker,
            deadline,
            options.retry_back_off,
        )
        slot.stage = "running"
        try:
            outcome = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # A thread cannot be stopped: if the handler already runs, its slot stays taken
            # until it returns, so the worker never runs more handlers than it has threads.
            if not future.cancel() and not future.done():
                slot.held_by_thread = True
                future.add_done_callback(lambda _: slot.release_threadsafe(loop))
            raise
        if isinstance(outcome, Expired):
            return outcome
        return await settle(
            outcome, tracker, retries=job.retries, retry_back_off=options.retry_back_off
        )

    async def aclose(self, *, abandon: bool) -> None:
        """Shut the pool down; wait for its threads unless ``abandon``."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if abandon:
            executor.shutdown(wait=False, cancel_futures=True)
            return
        await run_blocking(
            lambda: executor.shutdown(wait=True, cancel_futures=True),
            name=f"camunda-worker[{self._options.job_type}] shutdown",
        )
