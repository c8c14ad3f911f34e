"""An in-memory engine for one test, with its clock, clients, workers, helpers and clean-up.

:class:`EngineHarness` is what the ``camunda_engine`` fixture gives a test; without pytest,
``with EngineHarness() as camunda:`` does the same. Everything it starts (clients, workers, the
TCP server) it closes, workers first, so that a test leaves no thread, process or socket behind.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker._config.settings import CamundaSettings
from camunda_worker.engine import Engine, EngineApp, FaultPlan, ManualClock, SystemClock
from camunda_worker.engine._faults.injection import parse_fault_spec
from camunda_worker.engine._runtime.lines import DEFAULT_SERVER_LINE
from camunda_worker.testing import _waiting
from camunda_worker.testing._assertions import (
    DEFAULT_ASSERT_TIMEOUT,
    JobTypeAssert,
    ProcessInstanceAssert,
    UserTaskAssert,
    assert_that,
    assert_that_jobs,
    assert_that_user_task,
    element_id,
    manual_and_quiet,
    register_target,
    unregister_target,
)
from camunda_worker.testing._connections import Connections
from camunda_worker.testing._mocks import MockJobWorker
from camunda_worker.testing._workers import build_worker, stop_all

if TYPE_CHECKING:
    from types import TracebackType

    from camunda_worker._config.worker_config import WorkerConfig
    from camunda_worker.engine import (
        EngineServer,
        EngineStats,
        Exchange,
        IncidentView,
        JobView,
        ProcessInstanceView,
        ServerLine,
    )
    from camunda_worker.worker import ExecutionStrategy, JobWorker
    from camunda_worker.worker._registry import TaskDefinition

__all__ = ["BpmnResource", "EngineHarness", "Faults"]

BpmnResource = str | Path | tuple[str, bytes | str]
"""A BPMN resource to deploy: a file path, BPMN XML text, or a ``(name, content)`` pair."""

_MAX_PUMP_ROUNDS = 10_000
"""Rounds of mocked answers one pump gives at most (a loop of mocked tasks ends there)."""

Faults = FaultPlan | str | Iterable[str] | Callable[[FaultPlan], object] | None
"""Faults to inject: a :class:`FaultPlan`, ``ENDPOINT:KIND:RATE`` specs, or a function that
configures the engine's plan."""


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_USER_TASK_JOB_TYPE = "io.camunda.zeebe:userTask"
"""The job type of a job-based user task (a ``userTask`` without ``zeebe:userTask``)."""


def _milliseconds(span: dt.timedelta) -> int:
    """Whole milliseconds of a span, exactly (``total_seconds() * 1000`` loses one to rounding)."""
    return span // dt.timedelta(milliseconds=1)


def _configure_faults(plan: FaultPlan, faults: Faults) -> FaultPlan:
    if faults is None:
        return plan
    if isinstance(faults, FaultPlan):
        return faults
    if callable(faults):
        faults(plan)
        return plan
    specs = [faults] if isinstance(faults, str) else list(faults)
    for spec in specs:
        plan.error_rate(*parse_fault_spec(spec))
    return plan


class EngineHarness:
    """A fresh in-memory Camunda engine for one test, and everything a test does with it.

    Args:
        bpmn: BPMN resources to deploy at once: file paths (relative to ``base_dir``), BPMN XML
            text, or ``(name, content)`` pairs.
        faults: faults to inject: a :class:`~camunda_worker.engine.FaultPlan`, fault specs
            such as ``"complete:503:0.2"`` (``ENDPOINT:KIND:RATE``, as on the command line),
            or a function that configures :attr:`faults`.
        server_line: the Camunda line whose wire shapes the engine answers with.
        manual_clock: run the engine on a :class:`~camunda_worker.engine.ManualClock` (job
            timeouts and retry back-offs pass only with :meth:`advance`); ``False`` for the
            system clock.
        record: record every HTTP exchange (:attr:`requests`).
        search_lag_ms: searches see a command this long after it, on the engine's clock, as
            on a cluster (see :attr:`Engine.search_lag_ms
            <camunda_worker.engine.Engine.search_lag_ms>`); 0 (default): at once.
        base_dir: where relative BPMN paths are found (default: the working directory).
        assert_timeout: seconds the fluent assertions (:meth:`assert_that`) wait by default.
        record_flows: record the sequence flows instances take (``has_taken_flow``, coverage).

    Attributes:
        engine: the :class:`~camunda_worker.engine.Engine`.
        app: the :class:`~camunda_worker.engine.EngineApp` every client goes through (faults,
            recording).
        clock: the engine's clock.
        assert_timeout: seconds the fluent assertions wait by default.
    """

    def __init__(
        self,
        *,
        bpmn: Sequence[BpmnResource] = (),
        faults: Faults = None,
        server_line: ServerLine = DEFAULT_SERVER_LINE,
        manual_clock: bool = True,
        record: bool = True,
        search_lag_ms: int = 0,
        base_dir: str | Path | None = None,
        assert_timeout: float = DEFAULT_ASSERT_TIMEOUT,
        record_flows: bool = True,
    ) -> None:
        self.clock: ManualClock | SystemClock = ManualClock() if manual_clock else SystemClock()
        self.engine = Engine(clock=self.clock, server_line=server_line, search_lag_ms=search_lag_ms)
        self.engine.record_flows = record_flows
        self.assert_timeout = float(assert_timeout)
        self._mocks: dict[str, MockJobWorker] = {}
        self._pumping = False
        self.app = EngineApp(
            self.engine, faults=_configure_faults(FaultPlan(), faults), record=record
        )
        self._base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self._lock = threading.Lock()
        self._connections = Connections(self.app)
        self._workers: list[JobWorker] = []
        register_target(self)
        if bpmn:
            try:
                self.deploy(*bpmn)
            except BaseException:
                self.close()  # half made: not the engine later assertions look in
                raise

    def __repr__(self) -> str:
        return f"<EngineHarness {self.engine!r} workers={len(self._workers)}>"

    # -- the engine's parts ------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        """The fault plan every request goes through; change it at any time."""
        return self.app.faults

    @property
    def requests(self) -> list[Exchange]:
        """Every recorded HTTP exchange, oldest first."""
        return self.app.requests

    @property
    def workers(self) -> tuple[JobWorker, ...]:
        """The workers started with :meth:`start_worker`, oldest first."""
        with self._lock:
            return tuple(self._workers)

    def _manual_clock(self) -> ManualClock:
        if not isinstance(self.clock, ManualClock):
            raise RuntimeError(
                "this engine runs on the system clock; use a manual one to move time "
                "(@pytest.mark.camunda(manual_clock=True), the default)"
            )
        return self.clock

    def advance(self, duration: int | dt.timedelta) -> None:
        """Move the engine's manual clock forward; every timer due on the way fires, in order.

        The clock stops at each due time on the way (timer events, job timeouts, retry
        back-offs), the timers due then fire, mocked job workers answer, and the clock moves
        on: a timer armed by an earlier one within the span fires too, at its own time. So
        ``advance(dt.timedelta(days=2))`` is two days of the process in one call.
        Real workers answer in their own threads, after the call returns: a timer armed once
        a real worker's job is done counts from where the clock stopped (advance again).

        Args:
            duration: milliseconds, or a :class:`datetime.timedelta`.

        Raises:
            RuntimeError: the engine runs on the system clock.
            ValueError: a negative duration.
        """
        clock = self._manual_clock()
        milliseconds = _milliseconds(duration) if isinstance(duration, dt.timedelta) else duration
        if milliseconds < 0:
            raise ValueError(f"the clock only moves forward, got {milliseconds} ms")
        self._move_to(clock, clock.now_ms() + int(milliseconds))

    def set_time(self, moment: dt.datetime | int) -> None:
        """Set the engine's manual clock to a moment; timers due until then fire in order.

        Args:
            moment: an aware :class:`datetime.datetime` (naive: UTC) or epoch milliseconds.
                Earlier than now sets the clock back (no timer fires).
        """
        clock = self._manual_clock()
        if isinstance(moment, dt.datetime):
            aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
            target = _milliseconds(aware - _EPOCH)
        else:
            target = int(moment)
        if target < clock.now_ms():
            clock.set(target)
            self.pump()
            return
        self._move_to(clock, target)

    def now(self) -> dt.datetime:
        """The engine clock's time (UTC)."""
        return dt.datetime.fromtimestamp(self.clock.now_ms() / 1000, tz=dt.timezone.utc)

    def _move_to(self, clock: ManualClock, target: int) -> None:
        self.pump()
        last = None
        while (due := self.engine.next_timer_due_ms()) is not None and due <= target:
            if due == last and due <= clock.now_ms():
                break  # the engine kept a due timer it does not fire: never spin on it
            last = due
            clock.set(max(due, clock.now_ms()))
            self.pump()
        clock.set(target)
        self.pump()

    # -- deployments and instances -----------------------------------------------------------

    def _resource(self, index: int, resource: BpmnResource) -> tuple[str, bytes | str]:
        if isinstance(resource, tuple):
            return resource
        if isinstance(resource, str) and resource.lstrip().startswith("<"):
            return f"resource-{index}.bpmn", resource
        path = self._base_dir / resource
        return path.name, path.read_bytes()

    def deploy(self, *resources: BpmnResource, tenant_id: str | None = None) -> dict[str, Any]:
        """Deploy BPMN resources (file paths, XML text or ``(name, content)`` pairs).

        Returns:
            The ``DeploymentResult`` document (``deployments[i]["processDefinition"]``...).

        Raises:
            EngineError: 400 naming every offending element when BPMN is outside the subset.
            OSError: a file cannot be read.
        """
        named = [self._resource(index, resource) for index, resource in enumerate(resources)]
        return self.engine.deploy(named, tenant_id=tenant_id)

    def start_instance(
        self,
        process_definition_id: str,
        variables: Mapping[str, Any] | None = None,
        *,
        version: int = -1,
        tenant_id: str | None = None,
        start_at: str | Sequence[str] | None = None,
    ) -> str:
        """Start a process instance of the latest (or given) version; return its key.

        Args:
            process_definition_id: the BPMN process id.
            variables: its variables.
            version: the version (``-1``: the latest).
            tenant_id: the tenant.
            start_at: start at these elements (ids or names, of the process's own scope)
                instead of the none start event: Camunda's start instructions, to enter a long
                process in the middle.
        """
        elements = [start_at] if isinstance(start_at, str) else list(start_at or ())
        if elements:
            model = self.engine.process_model_of(
                process_definition_id, version=version, tenant_id=tenant_id
            )
            elements = [element_id(model, element) for element in elements]
        created = self.engine.create_process_instance(
            process_definition_id=process_definition_id,
            version=version,
            variables=variables,
            tenant_id=tenant_id,
            start_instructions=elements or None,
        )
        self.pump()
        return str(created["processInstanceKey"])

    def cancel_instance(self, process_instance_key: str) -> None:
        """Cancel an active process instance: it ends TERMINATED, its jobs are canceled."""
        self.engine.cancel_process_instance(str(process_instance_key))

    def modify(
        self,
        process_instance_key: str,
        *,
        activate: str | Sequence[str] = (),
        terminate: str | Sequence[str] = (),
    ) -> None:
        """Modify a running instance: terminate some elements' instances, activate others.

        See :meth:`Engine.modify_process_instance`; a test enters a process in the middle.

        Args:
            process_instance_key: the instance.
            activate: elements (ids or names) to put a token on, after the terminations.
            terminate: elements (ids or names) whose active instances are terminated.
        """
        key = str(process_instance_key)
        model = self.engine.process_model(self.engine.process_instance(key).process_definition_key)
        self.engine.modify_process_instance(
            key,
            activate=[
                element_id(model, e)
                for e in ([activate] if isinstance(activate, str) else activate)
            ],
            terminate=[
                element_id(model, e)
                for e in ([terminate] if isinstance(terminate, str) else terminate)
            ],
        )
        self.pump()

    # -- triggers ------------------------------------------------------------------------------

    def publish_message(
        self,
        name: str,
        correlation_key: str = "",
        variables: Mapping[str, Any] | None = None,
        *,
        time_to_live: int | dt.timedelta = 0,
        message_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish a message (buffered for ``time_to_live``); returns the publication result."""
        ttl = time_to_live
        result = self.engine.publish_message(
            name=name,
            correlation_key=correlation_key,
            variables=variables,
            time_to_live_ms=_milliseconds(ttl) if isinstance(ttl, dt.timedelta) else ttl,
            message_id=message_id,
        )
        self.pump()
        return result

    def correlate_message(
        self, name: str, correlation_key: str = "", variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Correlate a message now, unbuffered (404 ``EngineError`` when nothing takes it)."""
        result = self.engine.correlate_message(
            name=name, correlation_key=correlation_key, variables=variables
        )
        self.pump()
        return result

    def broadcast_signal(
        self, name: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Broadcast a signal to every element and start event waiting for it."""
        result = self.engine.broadcast_signal(signal_name=name, variables=variables)
        self.pump()
        return result

    def complete_user_task(
        self,
        element: str,
        variables: Mapping[str, Any] | None = None,
        *,
        instance: str | None = None,
    ) -> None:
        """Complete the open user task of an element (id or name), or one by its key.

        A job-based user task (a ``userTask`` without ``zeebe:userTask``: a job of type
        ``io.camunda.zeebe:userTask``) is completed the same way, through its job.

        Args:
            element: the element id or name, or a user task key.
            variables: the variables the task completes with.
            instance: the process instance, when several wait in that element.

        Raises:
            LookupError: no open user task fits, or several do (give ``instance``).
        """
        scope = None if instance is None else str(instance)
        open_tasks = [
            task.key
            for task in self.engine.user_tasks(state="CREATED", process_instance_key=scope)
            if element in (task.element_id, task.name, task.key)
        ]
        # A job-based user task (a <userTask> without <zeebe:userTask/>) is a job: the same line.
        task_jobs = [
            job.key
            for job in self.engine.jobs(
                job_type=_USER_TASK_JOB_TYPE, state="CREATED", process_instance_key=scope
            )
            if element in (job.element_id, job.key) or element == self._element_name(job)
        ]
        found = open_tasks + task_jobs
        if len(found) != 1:
            what = "no open user task" if not found else f"{len(found)} open user tasks"
            raise LookupError(f"{what} for {element!r}; give instance= or the task's key")
        if open_tasks:
            self.engine.complete_user_task(found[0], variables)
        else:
            self.engine.complete_job(found[0], variables)
        self.pump()

    def _element_name(self, job: JobView) -> str | None:
        if job.process_instance_key is None:
            return None
        instance = self.engine.process_instance(job.process_instance_key)
        node = self.engine.process_model(instance.process_definition_key).nodes.get(job.element_id)
        return None if node is None else node.name

    def resolve_incident(
        self, incident: str | None = None, *, instance: str | None = None, retries: int = 1
    ) -> None:
        """Resolve an incident (by key, or the only one of an instance); a job gets retries first.

        Args:
            incident: the incident key; ``None`` for the only open incident of ``instance``.
            instance: the process instance whose incident it is.
            retries: retries given to the job of a ``JOB_NO_RETRIES`` incident before.

        Raises:
            LookupError: no incident fits, or several do.
        """
        if incident is None:
            found = self.engine.incidents(
                process_instance_key=None if instance is None else str(instance)
            )
            if len(found) != 1:
                raise LookupError(f"{len(found)} open incidents; give the incident's key")
            view = found[0]
        else:
            matches = [i for i in self.engine.incidents() if i.key == str(incident)]
            if not matches:
                raise LookupError(f"no open incident {incident}")
            view = matches[0]
        if view.job_key is not None and view.error_type == "JOB_NO_RETRIES":
            self.engine.update_job(view.job_key, retries=retries)
        self.engine.resolve_incident(view.key)
        self.pump()

    # -- mocked job workers --------------------------------------------------------------------

    def mock_job_worker(self, job_type: str) -> MockJobWorker:
        """A mocked worker for a job type (``mockJobWorker``); the same one for the same type.

        Its jobs are answered in the test's thread whenever the test next drives the engine
        (see :class:`MockJobWorker`), with the answers chained on it by then.

        Raises:
            ValueError: a real worker started here serves the type (the two would race for its
                jobs); :meth:`start_worker` refuses a mocked type the same way.
        """
        with self._lock:
            mock = self._mocks.get(job_type)
            if mock is None and any(
                worker.job_type == job_type and worker.state.value not in ("stopped", "failed")
                for worker in self._workers
            ):
                raise ValueError(
                    f"a real worker serves job type {job_type!r}: a mock for it would race the "
                    "worker for its jobs; use one or the other in a test"
                )
            if mock is None:
                mock = self._mocks[job_type] = MockJobWorker(
                    self.engine, job_type, self.client, self.async_client
                )
        return mock  # no pump here: its answers are chained on after this returns

    @property
    def mocks(self) -> tuple[MockJobWorker, ...]:
        """The mocked job workers, oldest first."""
        with self._lock:
            return tuple(self._mocks.values())

    def pump(self) -> int:
        """Let the mocked job workers answer every job they can now; return how many they did.

        The harness calls it after each of its commands and while assertions wait; call it
        after driving the engine another way (a client) when no assertion follows.
        """
        mocks = self.mocks
        if not mocks or self._pumping:
            return 0
        self._pumping = True
        total = 0
        try:
            for _ in range(_MAX_PUMP_ROUNDS):
                served = sum(mock.serve() for mock in mocks)
                total += served
                if not served or any(mock.looping_job for mock in mocks):
                    break  # nothing more to answer, or answers that never end a job
        finally:
            self._pumping = False
        return total

    def idle(self) -> bool:
        """Whether only the test can move the engine now.

        True on a manual clock with no running worker and no TCP server: an assertion that
        does not hold then fails at once instead of waiting.
        """
        return manual_and_quiet(self.clock, self.workers, self._connections.serving)

    # -- assertions ----------------------------------------------------------------------------

    def assert_that(
        self, instance: object, *, timeout: float | None = None
    ) -> ProcessInstanceAssert:
        """See :func:`~camunda_worker.testing.assert_that` (on this engine)."""
        return assert_that(instance, engine=self, timeout=timeout)

    def assert_that_user_task(
        self, element: str, *, instance: object | None = None, timeout: float | None = None
    ) -> UserTaskAssert:
        """See :func:`~camunda_worker.testing.assert_that_user_task` (on this engine)."""
        return assert_that_user_task(element, instance=instance, engine=self, timeout=timeout)

    def assert_that_jobs(
        self, job_type: str, *, instance: object | None = None, timeout: float | None = None
    ) -> JobTypeAssert:
        """See :func:`~camunda_worker.testing.assert_that_jobs` (on this engine)."""
        return assert_that_jobs(job_type, instance=instance, engine=self, timeout=timeout)

    def create_job(
        self, job_type: str, variables: Mapping[str, Any] | None = None, **options: Any
    ) -> str:
        """Create a standalone job without BPMN (see :meth:`Engine.create_job`); return its key."""
        key = self.engine.create_job(job_type, variables=variables, **options)
        self.pump()
        return key

    # -- inspection ----------------------------------------------------------------------------

    def instance(self, process_instance_key: str) -> ProcessInstanceView:
        """A snapshot of one process instance (state, variables, active elements, incidents)."""
        return self.engine.process_instance(str(process_instance_key))

    def instances(self, **filters: Any) -> list[ProcessInstanceView]:
        """Snapshots of the process instances (filters of :meth:`Engine.process_instances`)."""
        return self.engine.process_instances(**filters)

    def variables(self, process_instance_key: str) -> dict[str, Any]:
        """The process instance's variables now (a copy)."""
        return dict(self.instance(process_instance_key).variables)

    def jobs(self, **filters: Any) -> list[JobView]:
        """Snapshots of the jobs (filters of :meth:`Engine.jobs`: ``job_type``, ``state``...)."""
        return self.engine.jobs(**filters)

    def incidents(self, **filters: Any) -> list[IncidentView]:
        """Snapshots of the active incidents (filters of :meth:`Engine.incidents`)."""
        return self.engine.incidents(**filters)

    def stats(self) -> EngineStats:
        """The engine's counters."""
        return self.engine.stats()

    # -- waiting -------------------------------------------------------------------------------

    def wait_for_completion(self, process_instance_key: str, **options: Any) -> ProcessInstanceView:
        """See :func:`~camunda_worker.testing.wait_for_completion` (its error lists the workers)."""
        __tracebackhide__ = True
        return _waiting.wait_for_completion(self, process_instance_key, **options)

    async def wait_for_completion_async(
        self, process_instance_key: str, **options: Any
    ) -> ProcessInstanceView:
        """See :func:`~camunda_worker.testing.wait_for_completion_async`."""
        __tracebackhide__ = True
        return await _waiting.wait_for_completion_async(self, process_instance_key, **options)

    def wait_for_incident(
        self, process_instance_key: str | None = None, **options: Any
    ) -> IncidentView:
        """See :func:`~camunda_worker.testing.wait_for_incident`."""
        __tracebackhide__ = True
        return _waiting.wait_for_incident(self, process_instance_key, **options)

    async def wait_for_incident_async(
        self, process_instance_key: str | None = None, **options: Any
    ) -> IncidentView:
        """See :func:`~camunda_worker.testing.wait_for_incident_async`."""
        __tracebackhide__ = True
        return await _waiting.wait_for_incident_async(self, process_instance_key, **options)

    # -- clients and the TCP server ------------------------------------------------------------

    def client(self) -> CamundaClient:
        """The blocking client bound to this engine in-process (one, shared; thread-safe)."""
        return self._connections.client()

    def async_client(self) -> CamundaAsyncClient:
        """A new async client bound to this engine in-process (any event loop, asyncio or trio)."""
        return self._connections.async_client()

    def serve(self) -> EngineServer:
        """Serve this engine over TCP on 127.0.0.1 (a free port); started once, then reused.

        Returns:
            The server: ``server.url`` (with ``/v2``) and ``server.address`` (for
            ``CAMUNDA_REST_ADDRESS``).
        """
        return self._connections.serve()

    def settings(self, **overrides: Any) -> CamundaSettings:
        """Settings that reach this engine over TCP (starts the server), for code under test.

        Args:
            **overrides: other :class:`~camunda_worker.CamundaSettings` fields.
        """
        return CamundaSettings(
            **{"worker_timeout": 30_000, **overrides, "rest_address": self.serve().url}
        )

    # -- workers -------------------------------------------------------------------------------

    def start_worker(
        self,
        handler: Callable[[Any], Any] | TaskDefinition,
        job_type: str | None = None,
        *,
        execution_strategy: ExecutionStrategy | None = None,
        config: WorkerConfig | None = None,
        settings: CamundaSettings | Mapping[str, Any] | None = None,
        **options: Any,
    ) -> JobWorker:
        """Start a worker against this engine, in a background thread; closed by :meth:`close`.

        Its clients reach the engine in-process; for the ``process`` strategy the engine is
        also served over TCP, for the children's clients. Settings never come from the
        environment; job timeout 30 s and drain timeout 5 s unless given.

        Args:
            handler: the handler, or a :class:`~camunda_worker.TaskDefinition` from ``@task``.
            job_type: the job type (taken from the task definition when omitted).
            execution_strategy: ``auto`` (default), ``async``, ``thread`` or ``process``.
            config: a whole :class:`~camunda_worker.WorkerConfig` instead of ``job_type``.
            settings: a :class:`~camunda_worker.CamundaSettings`, or field overrides.
            **options: ``WorkerConfig`` fields (``max_concurrent_jobs``,
                ``job_timeout_milliseconds``, ``fetch_variables``...) and ``JobWorker`` keyword
                arguments (``drain_timeout``, ``process_start_method``, ``logger``...).

        Returns:
            The started worker.
        """
        self._connections.check_open()
        worker = build_worker(
            self,
            handler,
            job_type,
            execution_strategy=execution_strategy,
            config=config,
            settings=settings,
            options=options,
            track_client=self._connections.track,
        )
        with self._lock:
            mocked = worker.job_type in self._mocks
            if not mocked:
                self._workers.append(worker)
        if mocked:
            worker.close()
            raise ValueError(
                f"job type {worker.job_type!r} is mocked (mock_job_worker): a real worker for it "
                "would race the mock for its jobs; use one or the other in a test"
            )
        worker.start()
        return worker

    def close_workers(self) -> None:
        """Stop every worker started here, let them drain side by side, and close them."""
        stop_all(self.workers)

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the workers (they drain), the clients, the TCP server and the engine. Idempotent."""
        unregister_target(self)
        self.close_workers()
        self._connections.close()
        self.app.close()
        self.engine.close()

    async def aclose(self) -> None:
        """Like :meth:`close`, without blocking the event loop (asyncio or trio)."""
        unregister_target(self)
        await anyio.to_thread.run_sync(self.close_workers)
        await self._connections.aclose()
        self.app.close()
        self.engine.close()

    def __enter__(self) -> EngineHarness:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> EngineHarness:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
