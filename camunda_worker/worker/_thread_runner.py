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
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol, cast

from camunda_worker.worker._blocking import mark_handler_thread, run_blocking
from camunda_worker.worker._context import SyncJobContext
from camunda_worker.worker._handback import ResultHandback
from camunda_worker.worker._invoke import PendingAwaitable, invoke_sync, settle
from camunda_worker.worker._runners import EXPIRED, Expired, RunnerOptions
from camunda_worker.worker._tracking import SyncTrackingClient

if TYPE_CHECKING:
    from camunda_worker._client import CamundaClient
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._outcomes import Outcome

__all__ = ["HandlerThreads", "LoopCall", "ThreadRunner"]


class _Work(Protocol):
    """What a pool thread runs: claimed first (``False``: it was cancelled), then run."""

    def claim(self) -> bool: ...

    def run(self) -> None: ...

    def cancel(self) -> object: ...


class _FutureWork:
    """``fn(*args)`` with a :class:`~concurrent.futures.Future` for its result."""

    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.future: Future[Any] = Future()
        self.fn = fn
        self.args = args

    def claim(self) -> bool:
        return self.future.set_running_or_notify_cancel()

    def run(self) -> None:
        try:
            result = self.fn(*self.args)
        except BaseException as error:  # noqa: BLE001 - handed to the future's owner
            self.future.set_exception(error)
        else:
            self.future.set_result(result)

    def cancel(self) -> None:
        self.future.cancel()


_PENDING, _RUNNING, _CANCELLED = 0, 1, 2


class LoopCall:
    """``fn(*args)`` in a pool thread, its result set on ``waiter`` (a future of the loop).

    Cheaper than a :class:`~concurrent.futures.Future` wrapped by :func:`asyncio.wrap_future`:
    no condition variable, no done-callbacks, and the hand-back is batched by a
    :class:`ResultHandback`. The waiter is only touched on the loop (in :meth:`settle`).
    """

    __slots__ = (
        "_error",
        "_handback",
        "_lock",
        "_result",
        "_state",
        "args",
        "fn",
        "on_settled",
        "settled",
        "waiter",
    )

    def __init__(
        self,
        handback: ResultHandback,
        waiter: asyncio.Future[Any],
        fn: Callable[..., Any],
        args: tuple[Any, ...],
    ) -> None:
        self._handback = handback
        self._lock = threading.Lock()
        self.waiter = waiter
        self.fn: Callable[..., Any] | None = fn
        self.args: tuple[Any, ...] = args
        self._state = _PENDING
        self._result: Any = None
        self._error: BaseException | None = None
        self.settled = False  # the thread is done with it and the loop has seen that
        # Called on the loop once the call is settled (a slot held by a running thread).
        self.on_settled: Callable[[], None] | None = None

    def claim(self) -> bool:
        """In the pool thread: start it, unless it was cancelled first."""
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _RUNNING
            return True

    def run(self) -> None:
        """In the pool thread: call ``fn`` and hand the result back to the loop."""
        fn, self.fn = self.fn, None  # drop the references early
        args, self.args = self.args, ()
        try:
            self._result = fn(*args)  # type: ignore[misc]  # claimed: not run twice
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            self._error = error
        del fn, args
        if not self._handback.put(self):
            self._settled_after_the_loop()

    def _settled_after_the_loop(self) -> None:
        """In the pool thread, once the worker's loop is closed: give back what it held.

        A handler that outlived its worker's shutdown (a thread cannot be stopped) still holds
        its slot; nothing runs on the closed loop any more, so the slot is given back here, and
        the worker's stats stop counting the job in flight.
        """
        self.settled = True
        on_settled, self.on_settled = self.on_settled, None
        if on_settled is not None:
            with contextlib.suppress(RuntimeError):  # a waiter of the closed loop
                on_settled()

    def cancel(self) -> bool:
        """Cancel it if no thread has started it (any thread); ``True`` then: it never runs."""
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _CANCELLED
        self.fn, self.args = None, ()
        self._handback.put(self)  # the loop cancels the waiter
        return True

    def settle(self) -> None:
        """On the loop: give the waiter its result (nobody waits any more when it is done)."""
        self.settled = True
        waiter = self.waiter
        if not waiter.done():
            if self._state == _CANCELLED:
                waiter.cancel()
            elif self._error is not None:
                waiter.set_exception(self._error)
            else:
                waiter.set_result(self._result)
        self._error = self._result = None
        if self.on_settled is not None:
            self.on_settled()


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
        work = _FutureWork(fn, args)
        self.put(work)
        return work.future

    def put(self, work: _Work) -> None:
        """Queue ``work`` (a :class:`LoopCall`) for one of the threads.

        Raises:
            RuntimeError: the pool is shut down.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the handler threads are shut down")
            self._work.put(work)
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._serve, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _serve(self) -> None:
        get = self._work.get
        while True:
            work = get()
            if work is None:
                return
            if work.claim():
                work.run()
            del work
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
                work.cancel()
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
    slot: Slot,
) -> Outcome | PendingAwaitable | Expired:
    if deadline.expired():
        return EXPIRED
    slot.stage = "running"  # a thread runs it now (before, it waited for one)
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
        self._handback: ResultHandback | None = None
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
        handback = self._handback
        if handback is None or handback.loop is not loop:
            handback = self._handback = ResultHandback(loop)
        run = (
            _run_in_thread if options.tracing is None else options.tracing.in_thread(_run_in_thread)
        )
        waiter: asyncio.Future[Outcome | PendingAwaitable | Expired] = loop.create_future()
        call = LoopCall(
            handback,
            waiter,
            run,
            (
                self._owner,
                options.callback,
                context,
                tracker,
                deadline,
                options.retry_back_off,
                slot,
            ),
        )
        self._pool().put(call)
        try:
            outcome = await waiter
        except asyncio.CancelledError:
            # A thread cannot be stopped: if the handler already runs, its slot stays taken
            # until it returns, so the worker never runs more handlers than it has threads.
            if not call.cancel() and not call.settled:
                slot.held_by_thread = True
                call.on_settled = slot.release
            raise
        if isinstance(outcome, Expired):
            return outcome
        if not isinstance(outcome, PendingAwaitable):
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
