"""The ``thread`` strategy: sync handlers run in a thread pool sized to ``max_concurrent_jobs``.

The pool's threads are started as jobs need them (a worker that never gets one starts no thread)
and joined when the worker closes. The poll loop and the acknowledgements stay on the worker's one
event loop; threads only run handlers. A handler cannot be interrupted: when the worker gives up
on it (drain timeout, second signal), its thread keeps its capacity slot until the handler
really returns, and the worker stops waiting for it.

The pool is not a :class:`~concurrent.futures.ThreadPoolExecutor`: the interpreter joins every
thread of those at exit, so a process whose worker gave up on a 40 s handler at a 3 s drain
timeout would still exit 40 s later (a second SIGTERM could not change that either). Our
threads are daemon threads: once the worker has given up on them, nothing waits for them.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
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

__all__ = ["HandlerThreads", "ThreadRunner"]

_Work = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...]]


class HandlerThreads:
    """Up to ``size`` daemon threads that run the calls submitted, started as calls need them.

    Args:
        size: the most threads at once.
        name: the threads are named ``{name}_0``, ``{name}_1``...
    """

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._idle = threading.Semaphore(0)  # released by a thread each time it waits for work
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` in one of the threads; its future has the result.

        Raises:
            RuntimeError: the pool is shut down.
        """
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the handler threads are shut down")
            self._work.put((future, fn, args))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._serve, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        return future

    def _serve(self) -> None:
        while True:
            work = self._work.get()
            if work is None:
                return
            future, fn, args = work
            del work
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args)
                except BaseException as error:  # noqa: BLE001 - handed to the future's owner
                    future.set_exception(error)
                else:
                    future.set_result(result)
            del future, fn, args
            self._idle.release()

    def shutdown(self, *, wait: bool) -> None:
        """Cancel the calls not started yet and let the threads end.

        Args:
            wait: join the threads (they end once their current call returns); without it,
                threads still running a handler are left to it: as daemon threads, they do
                not keep the process from exiting.
        """
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        while True:
            try:
                work = self._work.get_nowait()
            except queue.Empty:
                break
            if work is not None:
                work[0].cancel()
        for _ in threads:
            self._work.put(None)
        if wait:
            for thread in threads:
                thread.join()


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
    """Runs sync handlers in :class:`HandlerThreads` created on the first job.

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
        self._executor: HandlerThreads | None = None
        self._lock = threading.Lock()

    def _pool(self) -> HandlerThreads:
        executor = self._executor
        if executor is None:
            with self._lock:
                executor = self._executor
                if executor is None:
                    executor = self._executor = HandlerThreads(
                        self._max_workers, f"camunda-worker[{self._options.job_type}]"
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
        run = (
            _run_in_thread if options.tracing is None else options.tracing.in_thread(_run_in_thread)
        )
        future = self._pool().submit(
            run,
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
        """Shut the pool down; wait for its threads unless ``abandon``.

        When ``abandon``, the threads still running handlers are left to them: nothing waits
        for them, not even the interpreter's exit.
        """
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if abandon:
            executor.shutdown(wait=False)
            return
        await run_blocking(
            lambda: executor.shutdown(wait=True),
            name=f"camunda-worker[{self._options.job_type}] shutdown",
        )
