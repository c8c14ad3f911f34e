"""The in-memory Camunda 8 engine: a thread-safe state machine with long-polling job activation.

Every public method takes one ``threading.Lock`` briefly (never across an ``await``), so the
engine may be called from any thread, and its coroutines awaited from any event loop (several at
once: an HTTP server's loop, a worker's loop, a test's loop). Keys are strings of digits.

Long polling: ``activate_jobs`` returns as soon as at least one job is activated, or after
``request_timeout_ms`` of real (monotonic) time, also under a :class:`ManualClock`. Jobs that
become activatable are activated at once for the oldest waiting poll of their type (then the
next, while jobs remain), which is woken with ``loop.call_soon_threadsafe``; no poll ever gets a
job another poll got. Timed-out activations and elapsed back-offs are timer driven: a waiting
poll sleeps until its request deadline or the engine's next due timer, whichever is first (with a
:class:`ManualClock`, ``advance()`` re-evaluates at once instead). There is no polling loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from camunda_worker.engine._runtime.clock import Clock, SystemClock
from camunda_worker.engine._runtime.commands import parse_key
from camunda_worker.engine._runtime.errors import EngineError, not_found, violations
from camunda_worker.engine._runtime.instances import InstanceWaiter, ProcessInstanceRecord
from camunda_worker.engine._runtime.lines import (
    DEFAULT_SERVER_LINE,
    SERVER_LINES,
    ServerLine,
    created_instance,
)
from camunda_worker.engine._runtime.modification import EngineModification
from camunda_worker.engine._runtime.statistics import EngineStatistics
from camunda_worker.engine._runtime.user_task_commands import EngineUserTasks
from camunda_worker.engine._runtime.waiters import Waiter

__all__ = ["Engine", "ServerLine"]


class Engine(EngineStatistics, EngineUserTasks, EngineModification):
    """An in-memory Camunda 8 engine: deployments, process instances, jobs, incidents.

    Args:
        clock: where time comes from (default :class:`SystemClock`); a :class:`ManualClock`
            lets tests pass job timeouts and retry back-offs without sleeping.
        server_line: the Camunda line whose wire shapes the engine answers with.
        default_request_timeout_ms: the long-poll duration when a request gives 0 or none.
        retention: how many finished jobs, ended process instances and resolved incidents
            (each) are kept for inspection and search; older ones are dropped.
        search_lag_ms: how long after a command the search endpoints (and gets by key of
            search records) see it, in ms of the engine's clock, as a cluster's exporter lags;
            0 (the default): at once. See :attr:`search_lag_ms`.
        tenants: switch multi-tenancy on, with these tenants (``<default>`` always exists);
            ``None`` (default): off, as a cluster's stock configuration, so requests may name
            only ``<default>``. Over HTTP a request then names its tenant, which must exist.

    Attributes:
        tenants: the tenants of a multi-tenant engine, ``None`` when multi-tenancy is off.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        server_line: ServerLine = DEFAULT_SERVER_LINE,
        default_request_timeout_ms: int = 10_000,
        retention: int = 10_000,
        search_lag_ms: int = 0,
        tenants: Iterable[str] | None = None,
    ) -> None:
        if server_line not in SERVER_LINES:
            msg = f"server_line must be one of {', '.join(SERVER_LINES)}, got {server_line!r}"
            raise ValueError(msg)
        if retention < 0:
            msg = f"retention must not be negative, got {retention}"
            raise ValueError(msg)
        if default_request_timeout_ms < 1:
            msg = f"default_request_timeout_ms must be positive, got {default_request_timeout_ms}"
            raise ValueError(msg)
        super().__init__(clock or SystemClock(), server_line, retention)
        self.default_request_timeout_ms = default_request_timeout_ms
        if search_lag_ms:
            self.search_lag_ms = search_lag_ms
        self.tenants: frozenset[str] | None = None
        if tenants is not None:
            self.tenants = frozenset(tenants)
            if not all(isinstance(tenant, str) and tenant.strip() for tenant in self.tenants):
                msg = f"tenants must be non-blank strings, got {sorted(self.tenants)!r}"
                raise ValueError(msg)
        subscribe = getattr(self.clock, "subscribe", None)
        self._manual_time = callable(subscribe)
        self._unsubscribe: Callable[[], None] | None = None
        if callable(subscribe):
            self._unsubscribe = subscribe(_weak_listener(self))

    def __repr__(self) -> str:
        return f"Engine(server_line={self.server_line!r}, clock={self.clock!r})"

    def activate_ready_jobs(
        self,
        *,
        job_type: str,
        max_jobs_to_activate: int,
        timeout_ms: int,
        worker: str,
        request_timeout_ms: int | None = None,
        fetch_variable: Sequence[str] | None = None,
        tenant_ids: Sequence[str] | None = None,
        with_lease: bool = False,
    ) -> list[dict[str, Any]] | None:
        """:meth:`activate_jobs` without the wait: its answer when it needs none, else ``None``.

        Returns the activated jobs when some are activatable now, ``[]`` when the request would
        answer at once anyway (negative ``request_timeout_ms``, or a closed engine), and
        ``None`` when :meth:`activate_jobs` would long-poll. The HTTP route answers from it
        directly, and sets up the long poll (and its disconnect watch) only on ``None``.

        Raises:
            EngineError: 400 when the type is blank, or the timeout or maximum is below 1.
        """
        _check_activation(job_type, max_jobs_to_activate, timeout_ms)
        fetch = tuple(fetch_variable) if fetch_variable else None
        tenants = frozenset(tenant_ids) if tenant_ids else None
        with self._lock:
            return self._ready(
                job_type,
                max_jobs_to_activate,
                timeout_ms,
                worker,
                fetch,
                tenants,
                with_lease,
                request_timeout_ms,
            )

    def _ready(
        self,
        job_type: str,
        max_jobs_to_activate: int,
        timeout_ms: int,
        worker: str,
        fetch: tuple[str, ...] | None,
        tenants: frozenset[str] | None,
        with_lease: bool,
        request_timeout_ms: int | None,
    ) -> list[dict[str, Any]] | None:
        # Under self._lock: the documents of jobs activated now, [] to answer empty, None to wait.
        self._tick()
        activations = self._machine.activate(
            job_type, max_jobs_to_activate, timeout_ms, worker, fetch, tenants, with_lease
        )
        if activations:
            return [activation.document for activation in activations]
        wait_ms = request_timeout_ms or self.default_request_timeout_ms
        if wait_ms < 0 or self._closed:
            return []
        return None

    async def activate_jobs(
        self,
        *,
        job_type: str,
        max_jobs_to_activate: int,
        timeout_ms: int,
        worker: str,
        request_timeout_ms: int | None = None,
        fetch_variable: Sequence[str] | None = None,
        tenant_ids: Sequence[str] | None = None,
        with_lease: bool = False,
    ) -> list[dict[str, Any]]:
        """Activate jobs of a type, long-polling until at least one is available.

        Args:
            job_type: the job type.
            max_jobs_to_activate: the most jobs to return (>= 1).
            timeout_ms: how long the jobs stay activated for this worker (>= 1).
            worker: the worker's name.
            request_timeout_ms: how long to wait for jobs: ``None`` or 0 for the engine's
                default, negative to answer at once.
            fetch_variable: the variables to hand over (all when ``None`` or empty).
            tenant_ids: the tenants to activate for (every tenant when ``None``: the engine has
                no authorizations, like a client allowed every tenant).
            with_lease: give each job a lease token (8.10): only its holder may then complete,
                fail or throw an error for it.

        Returns:
            ``ActivatedJobResult`` documents shaped for the server line; ``[]`` when the request
            timed out or the engine closed. Cancelling the call never loses jobs: jobs activated
            for it but not yet returned become activatable again at once.

        Raises:
            EngineError: 400 when the type is blank, or the timeout or maximum is below 1.
        """
        _check_activation(job_type, max_jobs_to_activate, timeout_ms)
        loop = asyncio.get_running_loop()
        fetch = tuple(fetch_variable) if fetch_variable else None
        tenants = frozenset(tenant_ids) if tenant_ids else None
        with self._lock:
            ready = self._ready(
                job_type,
                max_jobs_to_activate,
                timeout_ms,
                worker,
                fetch,
                tenants,
                with_lease,
                request_timeout_ms,
            )
            if ready is not None:
                return ready
            wait_ms = request_timeout_ms or self.default_request_timeout_ms
            waiter = Waiter(
                loop,
                loop.create_future(),
                job_type,
                max_jobs_to_activate,
                timeout_ms,
                worker,
                fetch,
                tenants,
                with_lease,
            )
            self._waiters.add(waiter)
        return await self._wait_for_jobs(waiter, loop.time() + wait_ms / 1000)

    async def _wait_for_jobs(self, waiter: Waiter, deadline: float) -> list[dict[str, Any]]:
        loop = waiter.loop
        try:
            while True:
                timeout = deadline - loop.time()
                if not self._manual_time:
                    timeout = min(timeout, self._seconds_to_next_timer())
                if timeout > 0 and not waiter.future.done():
                    await asyncio.wait({waiter.future}, timeout=timeout)
                with self._lock:
                    if waiter.activations is None and not self._closed:
                        self._tick()
                    if waiter.activations is not None:
                        waiter.consumed = True
                        return [activation.document for activation in waiter.activations]
                    if self._closed or loop.time() >= deadline:
                        self._waiters.remove(waiter)
                        return []
                    if waiter.future.done():
                        waiter.future = loop.create_future()
        except BaseException:
            with self._lock:
                self._waiters.remove(waiter)
                if waiter.activations is not None and not waiter.consumed:
                    self._machine.give_back(waiter.activations)
                    self._serve_waiters()
            raise

    def _seconds_to_next_timer(self) -> float:
        with self._lock:
            due = self._machine.next_due_ms()
        if due is None:
            return float("inf")
        # A millisecond late, so the timer is due when the poll wakes.
        return max(0.0, (due - self.clock.now_ms() + 1) / 1000)

    async def await_process_instance(
        self,
        process_instance_key: str,
        *,
        timeout_ms: int,
        fetch_variables: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Wait for a process instance to complete (``awaitCompletion`` of instance creation).

        Args:
            process_instance_key: the instance's key.
            timeout_ms: how long to wait, in real time.
            fetch_variables: the variables to return (all when ``None`` or empty).

        Returns:
            The ``CreateProcessInstanceResult`` with the instance's final variables.

        Raises:
            EngineError: 404 for an unknown instance; 504 ``DEADLINE_EXCEEDED`` when it is still
                completed after ``timeout_ms`` (also when it was cancelled or terminated: a
                cluster sends no result then, and the request times out); 503 when the engine
                closes meanwhile.
        """
        key = parse_key("processInstanceKey", process_instance_key)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout_ms, 0) / 1000
        with self._lock:
            instance = self._machine.instances.get(key)
            if instance is None:
                raise not_found(f"Process instance with key '{key}' not found")
        # A terminated instance sends no result on a cluster (the broker answers on completion
        # only), so the request waits for its timeout like one still active.
        while True:
            with self._lock:
                remaining = deadline - loop.time()
                if instance.state == "COMPLETED" or self._closed or remaining <= 0:
                    return self._awaited(instance, fetch_variables, timeout_ms)
                waiter = InstanceWaiter(loop, loop.create_future())
                if instance.waiters is None:
                    instance.waiters = []
                instance.waiters.append(waiter)
            try:
                await asyncio.wait({waiter.future}, timeout=remaining)
            finally:
                with self._lock:
                    if instance.waiters is not None and waiter in instance.waiters:
                        instance.waiters.remove(waiter)

    def _awaited(
        self,
        instance: ProcessInstanceRecord,
        fetch_variables: Sequence[str] | None,
        timeout_ms: int = 0,
    ) -> dict[str, Any]:
        if instance.state == "COMPLETED":
            variables = dict(instance.variables)
            if fetch_variables:
                variables = {name: variables[name] for name in fetch_variables if name in variables}
            return created_instance(self.server_line, instance, variables)
        if self._closed:
            raise EngineError(503, "UNAVAILABLE", "The engine is shutting down")
        raise EngineError(
            504,
            "DEADLINE_EXCEEDED",
            f"Expected to await the completion of process instance '{instance.key}', but it "
            f"did not complete within {timeout_ms} ms",
        )

    def close(self) -> None:
        """End every waiting long poll (they answer ``[]``) and instance await; idempotent.

        The engine keeps its state and still answers synchronous calls; new long polls answer
        at once.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for waiter in list(self._waiters):
                self._waiters.remove(waiter)
                waiter.wake()
            for instance in self._machine.instances.values():
                for instance_waiter in instance.waiters or ():
                    instance_waiter.wake()
            wake_timers = self._machine.element_timers.on_earlier
            if wake_timers is not None:
                wake_timers()  # run_timers returns
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def run_timers(self) -> None:
        """Fire timers on time, without waiting for a request (a background task).

        Under the system clock, timers otherwise fire when a request (or a waiting long poll)
        looks at the engine. This coroutine sleeps until the next due timer (or until a
        request arms an earlier one: a timer event, a job deadline, a retry back-off), fires
        what is due and serves waiting polls (a job whose deadline or back-off passed goes to
        a waiting poll at once), until it is cancelled or the engine is closed; with no timer
        armed it sleeps without waking.
        ``camunda-worker engine`` and :class:`EngineServer` run it on their event loop. Under a
        :class:`ManualClock` it returns at once: ``advance()`` already fires timers.

        Raises:
            RuntimeError: when another ``run_timers`` of this engine is running.
        """
        if self._manual_time:
            return
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def earlier() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nothing to wake
                loop.call_soon_threadsafe(wake.set)

        queues = (self._machine.element_timers, self._machine.timers)
        with self._lock:
            if queues[0].on_earlier is not None:
                raise RuntimeError("the engine's timers already run in real time")
            for queue in queues:
                queue.on_earlier = earlier
        try:
            while True:
                with self._lock:
                    if self._closed:
                        return
                    wake.clear()
                    self._tick()
                    due = self._machine.next_due_ms()
                    for queue in queues:
                        queue.watch_ms = due
                    now = self.clock.now_ms()
                # A millisecond late, so the timer is due when the task wakes.
                delay = None if due is None else max(0.0, (due - now + 1) / 1000)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), delay)
        finally:
            with self._lock:
                for queue in queues:
                    queue.on_earlier = None
                    queue.watch_ms = None

    def _on_clock_changed(self) -> None:
        with self._lock:
            self._tick()


def _weak_listener(engine: Engine) -> Callable[[], None]:
    # The clock must not keep a forgotten engine alive.
    reference = weakref.ref(engine)

    def listener() -> None:
        target = reference()
        if target is not None:
            target._on_clock_changed()

    return listener


def _check_activation(job_type: str, max_jobs_to_activate: int, timeout_ms: int) -> None:
    problems = []
    if not job_type or not job_type.strip():
        problems.append("No type provided")
    if timeout_ms < 1:
        problems.append(f"The value for timeout is '{timeout_ms}' but must be greater than 0")
    if max_jobs_to_activate < 1:
        problems.append(
            f"The value for maxJobsToActivate is '{max_jobs_to_activate}' but must be "
            "greater than 0"
        )
    if error := violations(problems):
        raise error
