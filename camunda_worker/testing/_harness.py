"""An in-memory engine for one test, with its clock, clients, workers, helpers and clean-up.

:class:`EngineHarness` is what the ``camunda_engine`` fixture gives a test; without pytest,
``with EngineHarness() as camunda:`` does the same. Everything it starts (clients, workers, the
TCP server) it closes, workers first, so that a test leaves no thread, process or socket behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker._config.settings import CamundaSettings
from camunda_worker.engine import Engine, EngineApp, FaultPlan, ManualClock, SystemClock
from camunda_worker.engine._faults.injection import parse_fault_spec
from camunda_worker.testing import _waiting
from camunda_worker.testing._connections import Connections
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

Faults = FaultPlan | str | Iterable[str] | Callable[[FaultPlan], object] | None
"""Faults to inject: a :class:`FaultPlan`, ``ENDPOINT:KIND:RATE`` specs, or a function that
configures the engine's plan."""


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
        base_dir: where relative BPMN paths are found (default: the working directory).

    Attributes:
        engine: the :class:`~camunda_worker.engine.Engine`.
        app: the :class:`~camunda_worker.engine.EngineApp` every client goes through (faults,
            recording).
        clock: the engine's clock.
    """

    def __init__(
        self,
        *,
        bpmn: Sequence[BpmnResource] = (),
        faults: Faults = None,
        server_line: ServerLine = "8.10",
        manual_clock: bool = True,
        record: bool = True,
        base_dir: str | Path | None = None,
    ) -> None:
        self.clock: ManualClock | SystemClock = ManualClock() if manual_clock else SystemClock()
        self.engine = Engine(clock=self.clock, server_line=server_line)
        self.app = EngineApp(
            self.engine, faults=_configure_faults(FaultPlan(), faults), record=record
        )
        self._base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        self._lock = threading.Lock()
        self._connections = Connections(self.app)
        self._workers: list[JobWorker] = []
        if bpmn:
            self.deploy(*bpmn)

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

    def advance(self, milliseconds: int) -> None:
        """Move the engine's manual clock: job timeouts and retry back-offs that pass, pass now.

        Raises:
            RuntimeError: the engine runs on the system clock.
        """
        if not isinstance(self.clock, ManualClock):
            raise RuntimeError(
                "this engine runs on the system clock; use a manual one to move time "
                "(@pytest.mark.camunda(manual_clock=True), the default)"
            )
        self.clock.advance(milliseconds)

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
    ) -> str:
        """Start a process instance of the latest (or given) version; return its key."""
        created = self.engine.create_process_instance(
            process_definition_id=process_definition_id,
            version=version,
            variables=variables,
            tenant_id=tenant_id,
        )
        return str(created["processInstanceKey"])

    def create_job(
        self, job_type: str, variables: Mapping[str, Any] | None = None, **options: Any
    ) -> str:
        """Create a standalone job without BPMN (see :meth:`Engine.create_job`); return its key."""
        return self.engine.create_job(job_type, variables=variables, **options)

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
            self._workers.append(worker)
        worker.start()
        return worker

    def close_workers(self) -> None:
        """Stop every worker started here, let them drain side by side, and close them."""
        stop_all(self.workers)

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the workers (they drain), the clients, the TCP server and the engine. Idempotent."""
        self.close_workers()
        self._connections.close()
        self.app.close()
        self.engine.close()

    async def aclose(self) -> None:
        """Like :meth:`close`, without blocking the event loop (asyncio or trio)."""
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
