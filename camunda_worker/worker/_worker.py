"""The :class:`JobWorker`: one job type, its handler, and the life cycle around them.

Three ways to run a worker, one async core (:class:`~._runtime.WorkerRuntime`) for all:

- ``with JobWorker(...) as worker:`` (or ``start()`` / ``close()``): in a background thread with
  its own event loop; leaving the block drains and closes it;
- ``async with JobWorker(...) as worker:``: in the caller's event loop, as a task;
- ``worker.run()`` (or :func:`run_workers` for several): blocks the calling thread, drains on
  SIGINT/SIGTERM (a second signal abandons the drain), raises the error that stopped it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio

from camunda_worker._client.retry import Backoff
from camunda_worker.worker._blocking import handler_owner, run_blocking
from camunda_worker.worker._group import GroupMember, run_group, serve_group
from camunda_worker.worker._observer import ObserverGroup
from camunda_worker.worker._options import (
    HandlerOptions,
    resolve_options,
    resolve_settings_argument,
)
from camunda_worker.worker._poller import PollStatus
from camunda_worker.worker._runtime import WorkerRuntime
from camunda_worker.worker._state import Counters, WorkerState, WorkerStats

if TYPE_CHECKING:
    from types import TracebackType

    from camunda_worker._client import CamundaAsyncClient, CamundaClient
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker._config.worker_config import WorkerConfig
    from camunda_worker.worker._binding import InvalidVariables, Middleware
    from camunda_worker.worker._loop_watch import EventLoopBlock
    from camunda_worker.worker._observer import WorkerObserver
    from camunda_worker.worker._policies import ErrorHook, RetryPolicy
    from camunda_worker.worker._strategy import ExecutionStrategy, ResolvedStrategy

__all__ = ["JobWorker", "run_workers", "serve_workers"]

_CLOSE_GRACE = 30.0


class JobWorker:
    """Activates jobs of one type and runs a handler for each one.

    The handler gets a context (:class:`JobContext` and subclasses), or the arguments its
    signature asks for (variables by name, validated by pydantic; the context, client, logger,
    custom headers, dependencies: see the handlers guide), and ends the job by what it does:
    returning a dict, a pydantic model, a dataclass, an attrs instance or ``None`` completes it
    with those variables;
    raising :class:`JobError` throws a BPMN error; raising :class:`JobFailure` fails it with the
    retries and back-off given; any other exception fails it with one retry fewer, ``SystemExit``,
    ``KeyboardInterrupt`` and ``GeneratorExit`` included: raised by a handler they fail its job,
    they do not stop the worker (signals do, through :meth:`run`).

    Args:
        callback: the handler: ``def handler(job) -> dict | BaseModel | None`` or ``async def``,
            or with parameters bound from its signature (``def ship(order_id: str, db: Pool)``).
        config: the job type and the activation settings; ``None`` fields inherit
            ``CAMUNDA_WORKER_*`` settings, then defaults. Without ``fetch_variables`` there or in
            the settings, a handler whose parameters name variables fetches only those.
        client: the async client to activate and acknowledge with; several workers may share
            one (run them in one loop: ``async with`` or :func:`run_workers`). ``None`` builds
            one from the settings when the worker starts, and closes it when it stops.
        logger: loguru's logger, a stdlib logger, or any object with debug/info/warning/error;
            ``None`` uses the library's loguru logger (silent until
            ``logger.enable("camunda_worker")``; handlers' own records always pass).
        execution_strategy: ``auto`` (async callables on the loop, others in threads),
            ``async``, ``thread`` or ``process``; ``None`` inherits
            ``CAMUNDA_WORKER_EXECUTION_STRATEGY``, then ``auto``.
        startup_jitter_max_seconds: wait a random time up to this before the first activation
            (spreads a fleet's restarts); default ``CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS``,
            then 0.
        settings: a :class:`CamundaSettings`, or overrides of the environment (a mapping keyed
            by env or field names). Address, auth and TLS of every client the worker builds come
            from here.
        sync_client: the blocking client thread handlers get as ``job.client``; ``None`` builds
            one from the settings on first use (the address of ``client`` when one is given).
        drain_timeout: seconds in-flight jobs get to finish when the worker stops; default
            ``CAMUNDA_WORKER_DRAIN_TIMEOUT``, then 30.
        retry_back_off: back-off (ms) when a handler raises an unexpected exception, or a
            policy computed from the job's remaining retries (:class:`FixedBackoff`,
            :class:`ExponentialBackoff`); default ``CAMUNDA_WORKER_RETRY_BACKOFF``, then 0.
        auto_extend_timeout: keep extending the job's timeout while its handler runs; default
            ``CAMUNDA_WORKER_AUTO_EXTEND_TIMEOUT``, then off.
        process_start_method: ``spawn``, ``forkserver`` or ``fork`` for the ``process``
            strategy; default ``CAMUNDA_WORKER_PROCESS_START_METHOD``, then ``spawn``.
        process_pool_size: child processes at most; default ``min(max_concurrent_jobs, CPUs)``.
        process_initializer: called once in each child process (must be picklable).
        process_initargs: its arguments.
        max_tasks_per_child: replace a child after this many jobs (any start method);
            default ``CAMUNDA_WORKER_MAX_TASKS_PER_CHILD``.
        observers: :class:`WorkerObserver` objects told of the worker's activations,
            back-offs, job outcomes, acknowledgements and event-loop blocks (metrics:
            :class:`camunda_worker.metrics.PrometheusObserver`).
        loop_block_threshold: milliseconds without the worker's event loop running after
            which it counts as blocked (a synchronous call in an ``async`` handler): a warning
            names the job, :attr:`event_loop_block` and the health probes report it; default
            ``CAMUNDA_WORKER_LOOP_BLOCK_THRESHOLD``, then 1000; 0 turns the watch off.
        dependencies: objects the handler's parameters receive, by parameter name (``str``
            keys) or by annotation (``type`` keys), given once per worker (pickled once per
            child process for the ``process`` strategy).
        bpmn_errors: exception types and the BPMN error codes they throw
            (``{CardDeclined: "CARD_DECLINED"}``; the most derived match wins).
        on_error: ``def on_error(error, job)`` for other exceptions: return a
            :class:`JobError` or :class:`JobFailure` to choose the outcome, ``None`` for the
            default failure.
        middleware: around-handler hooks ``def mw(job, call_next)`` (``async def`` for async
            handlers), the first one outermost; what one returns or raises is the outcome.
        invalid_variables: ``"incident"`` (default: no retries left, an operator fixes the data)
            or ``"retry"`` (one retry fewer) when the job's variables do not fit the handler's
            parameters.
        tracing: one OpenTelemetry span per job (``<job type> process``), continuing a W3C
            trace context found in the custom headers or variables; needs the ``otel`` extra.
        tracer_provider: the OpenTelemetry ``TracerProvider`` to use (implies ``tracing``);
            ``None`` uses the global one.

    Raises:
        ConfigurationError: a setting is invalid or missing (e.g. no job timeout), or the
            handler cannot be pickled for the ``process`` strategy. Nothing is activated.
    """

    def __init__(
        self,
        callback: Callable[..., Any],
        config: WorkerConfig,
        client: CamundaAsyncClient | None = None,
        logger: object | None = None,
        execution_strategy: ExecutionStrategy | None = None,
        startup_jitter_max_seconds: float | None = None,
        *,
        settings: CamundaSettings | Mapping[str, object] | None = None,
        sync_client: CamundaClient | None = None,
        drain_timeout: float | None = None,
        retry_back_off: int | RetryPolicy | None = None,
        auto_extend_timeout: bool | None = None,
        process_start_method: str | None = None,
        process_pool_size: int | None = None,
        process_initializer: Callable[..., object] | None = None,
        process_initargs: tuple[Any, ...] = (),
        max_tasks_per_child: int | None = None,
        observers: Iterable[WorkerObserver] = (),
        loop_block_threshold: int | None = None,
        dependencies: Mapping[str | type, object] | None = None,
        bpmn_errors: Mapping[type[BaseException], str] | None = None,
        on_error: ErrorHook | None = None,
        middleware: Iterable[Middleware] = (),
        invalid_variables: InvalidVariables = "incident",
        tracing: bool = False,
        tracer_provider: object | None = None,
    ) -> None:
        self._options = resolve_options(
            callback=callback,
            config=config,
            settings=resolve_settings_argument(settings),
            logger=logger,
            execution_strategy=execution_strategy,
            startup_jitter_max_seconds=startup_jitter_max_seconds,
            drain_timeout=drain_timeout,
            retry_back_off=retry_back_off,
            auto_extend_timeout=auto_extend_timeout,
            process_start_method=process_start_method,
            process_pool_size=process_pool_size,
            process_initializer=process_initializer,
            process_initargs=process_initargs,
            max_tasks_per_child=max_tasks_per_child,
            loop_block_threshold=loop_block_threshold,
            handling=HandlerOptions(
                dependencies=dict(dependencies or {}),
                bpmn_errors=dict(bpmn_errors or {}),
                on_error=on_error,
                middleware=tuple(middleware),
                invalid_variables=invalid_variables,
            ),
            tracing=tracing,
            tracer_provider=tracer_provider,
        )
        self._client = client
        self._sync_client = sync_client
        self._log = self._options.logger.bind(
            job_type=self._options.config.job_type, worker=self._options.worker_name
        )
        self._observers = ObserverGroup.of(observers, self._log)
        self._status = PollStatus()
        self._counters = Counters()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._stop_requested = False
        self._abandon_requested = ""  # why the worker was told to stop at once, if it was
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._stop_event: anyio.Event | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._runtime: WorkerRuntime | None = None
        self._finished = threading.Event()
        self._on_finished: list[Callable[[], None]] = []
        self._poll_backoff = Backoff(initial=0.1, maximum=10.0)

    # -- what a user can observe ---------------------------------------------------------------

    @property
    def job_type(self) -> str:
        """The job type this worker activates."""
        return self._options.config.job_type

    @property
    def config(self) -> WorkerConfig:
        """The resolved configuration (every inherited field filled in)."""
        return self._options.config

    @property
    def strategy(self) -> ResolvedStrategy:
        """How the handler runs: ``async``, ``thread`` or ``process`` (``auto`` resolved)."""
        return self._options.strategy

    @property
    def handler_capacity(self) -> int:
        """How many handlers can run at once: ``max_concurrent_jobs``, or fewer processes.

        The ``process`` strategy runs at most ``process_pool_size`` handlers at once (jobs
        beyond that wait for a free child); the others run one per slot.
        """
        slots = self._options.config.max_concurrent_jobs or 1
        process = self._options.process
        if self._options.strategy == "process" and process is not None:
            return min(slots, process.pool_size)
        return slots

    @property
    def state(self) -> WorkerState:
        """What the worker is doing now."""
        return self._status.state

    @property
    def last_successful_poll(self) -> datetime | None:
        """When (UTC) an activation last succeeded, jobs or not; ``None`` before the first."""
        return self._status.last_successful_poll

    @property
    def poll_in_flight_seconds(self) -> float | None:
        """How long the activation in flight has waited for its answer (seconds).

        ``None`` while no activation is in flight (waiting for capacity, backing off, stopped).
        A long poll answers within its ``request_timeout_milliseconds``: one that waited longer
        (plus a small margin) is overdue, and the worker is not ready
        (:func:`camunda_worker.health.check`).
        """
        sent = self._status.poll_sent
        return None if sent is None else max(time.monotonic() - sent, 0.0)

    @property
    def error(self) -> BaseException | None:
        """The error that stopped the worker (state ``FAILED``), else ``None``."""
        return self._status.error

    @property
    def event_loop_block(self) -> EventLoopBlock | None:
        """The block of the worker's event loop now, if longer than its threshold; else ``None``.

        Safe from any thread, and meant for other threads: while the loop is blocked nothing
        on it runs. ``None`` while the loop is responsive, when the worker is not serving, and
        when the watch is off (``loop_block_threshold=0``).
        """
        runtime = self._runtime
        watch = runtime.loop_watch if runtime is not None else None
        return watch.block() if watch is not None else None

    @property
    def stats(self) -> WorkerStats:
        """A snapshot of the worker's counters."""
        runtime = self._runtime
        if runtime is None:
            return self._counters.snapshot(0, self.config.max_concurrent_jobs or 0)
        capacity = runtime.capacity
        return self._counters.snapshot(capacity.in_flight, capacity.free, capacity.overdue)

    def __repr__(self) -> str:
        return (
            f"<JobWorker job_type={self.job_type!r} strategy={self.strategy} "
            f"state={self.state.value}>"
        )

    # -- life cycle ----------------------------------------------------------------------------

    def _as_member(self) -> GroupMember:
        return GroupMember(
            claim=self._claim,
            unclaim=self._unclaim,
            serve=self._serve,
            stop=self.stop,
            abandon=self._abandon,
            error=lambda: self.error,
        )

    def _claim(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(
                    f"this JobWorker ({self.job_type!r}) is closed and cannot be reused; "
                    "create a new one"
                )
            if self._started:
                raise RuntimeError(f"this JobWorker ({self.job_type!r}) was already started")
            self._started = True
            self._status.state = WorkerState.STARTING

    def _unclaim(self) -> None:
        """Undo :meth:`_claim` of a run that never began (another worker of its group refused)."""
        with self._lock:
            self._started = False
            self._status.state = WorkerState.CREATED

    async def _serve(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._mark_finished()
            raise RuntimeError(
                "JobWorker runs on asyncio; no asyncio event loop is running"
            ) from None
        stop = anyio.Event()
        with self._lock:
            self._loop, self._loop_thread, self._stop_event = loop, threading.get_ident(), stop
            if self._stop_requested:
                stop.set()
        runtime = WorkerRuntime(
            self._options,
            owner=self,
            status=self._status,
            counters=self._counters,
            log=self._log,
            client=self._client,
            sync_client=self._sync_client,
            poll_backoff=self._poll_backoff,
            observers=self._observers,
        )
        with self._lock:
            self._runtime = runtime
            if self._abandon_requested:
                runtime.abandon(self._abandon_requested)
        if self._observers is not None:
            self._observers.worker_started(self)
        try:
            await runtime.serve(stop)
        except Exception as error:  # noqa: BLE001 - recorded and logged: never silent
            self._status.error = error
            self._log.exception(f"the worker crashed: {type(error).__name__}: {error}")
        finally:
            with self._lock:
                self._loop = self._stop_event = None
            failed = self._status.error is not None
            self._status.state = WorkerState.FAILED if failed else WorkerState.STOPPED
            if self._observers is not None:
                self._observers.worker_stopped(self)
            self._mark_finished()

    def _mark_finished(self) -> None:
        with self._lock:
            self._finished.set()
            callbacks, self._on_finished = self._on_finished, []
        for callback in callbacks:
            callback()

    def start(self) -> None:
        """Start the worker in a background thread with its own event loop; returns at once.

        Raises:
            RuntimeError: the worker was already started, or is closed.
        """
        self._claim()
        thread = threading.Thread(
            target=self._run_in_thread, name=f"camunda-worker[{self.job_type}]", daemon=True
        )
        self._thread = thread
        thread.start()

    def _run_in_thread(self) -> None:
        try:
            asyncio.run(self._serve())
        finally:
            self._mark_finished()

    def stop(self) -> None:
        """Stop activating jobs and begin draining; returns at once (from any thread)."""
        with self._lock:
            self._stop_requested = True
            loop, event, loop_thread = self._loop, self._stop_event, self._loop_thread
        if loop is None or event is None:
            return
        if threading.get_ident() == loop_thread:
            event.set()
            return
        # The loop may just have closed: the worker has stopped anyway.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(event.set)

    def _abandon(self, reason: str) -> None:
        """Stop at once (a second signal): jobs in flight are abandoned; on the worker's loop."""
        with self._lock:
            if not self._abandon_requested:
                self._abandon_requested = reason
            runtime = self._runtime
        self.stop()
        if runtime is not None:
            runtime.abandon(reason)

    def _begin_close(self) -> bool:
        with self._lock:
            self._closed = True
            started = self._started
        self.stop()
        if not started:
            self._status.state = WorkerState.STOPPED
            self._mark_finished()
        return started

    def _must_not_wait(self) -> bool:
        # Waiting from the worker's own loop or from one of its handlers would wait for itself.
        return handler_owner() is self or threading.get_ident() == self._loop_thread

    def close(self) -> None:
        """Stop, wait for the drain, release pools and the clients the worker built.

        Idempotent and safe from any thread. Called from one of the worker's own handlers (or
        its loop), it only starts the shutdown, which finishes once that handler returns.
        A closed worker cannot be started again.
        """
        if not self._begin_close() or self._must_not_wait():
            return
        if not self._finished.wait(self._options.drain_timeout + _CLOSE_GRACE):
            self._log.error("the worker did not stop in time; giving up waiting for it")
            return
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    async def aclose(self) -> None:
        """Stop, drain and release without blocking the event loop; see :meth:`close`."""
        if not self._begin_close() or handler_owner() is self:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            def resolve() -> None:
                if not done.done():
                    done.set_result(None)

            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(resolve)

        with self._lock:
            if not self._finished.is_set():
                self._on_finished.append(wake)
            else:
                done.set_result(None)
        await done
        thread = self._thread
        if thread is not None and thread.is_alive():
            await run_blocking(thread.join, name=f"camunda-worker[{self.job_type}] join")

    def run(self) -> None:
        """Run the worker in this thread until SIGINT/SIGTERM (or :meth:`stop`), then drain.

        Run from the main thread, it owns the process while it runs: it handles the signals and
        raises the garbage collector's young generation from CPython's default 700 to 10,000
        objects (unless the process chose its own thresholds), putting it back when it returns.

        Raises:
            Exception: the error that stopped the worker (e.g. :class:`UnauthorizedError`), so
                a process that runs only this worker exits non-zero.
        """
        run_workers(self)

    def __enter__(self) -> JobWorker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> JobWorker:
        self._claim()
        self._task = asyncio.get_running_loop().create_task(self._serve())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def run_workers(*workers: JobWorker) -> None:
    """Run ``workers`` in this thread until SIGINT/SIGTERM or until all stop, then drain.

    From the main thread it owns the process, as :meth:`JobWorker.run` does (signals, and the
    garbage collector's young generation while it runs).

    Args:
        *workers: workers that were not started yet (each for its own job type).

    Raises:
        RuntimeError: a worker was already started or is closed.
        Exception: the error that stopped the first failed worker, after all have stopped.
    """
    run_group([worker._as_member() for worker in workers])


async def serve_workers(*workers: JobWorker, handle_signals: bool = False) -> None:
    """Run ``workers`` in the current event loop until all have stopped.

    Args:
        *workers: workers that were not started yet.
        handle_signals: drain on SIGINT/SIGTERM (only possible in the main thread); a second
            signal abandons the drain: jobs still in flight are abandoned at once. Handling
            them, the call owns the process as :meth:`JobWorker.run` does (the garbage
            collector's young generation is raised while it runs).

    Raises:
        RuntimeError: a worker was already started or is closed.
        Exception: the error that stopped the first failed worker, after all have stopped.
    """
    await serve_group([worker._as_member() for worker in workers], handle_signals=handle_signals)
