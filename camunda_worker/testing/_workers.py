"""Short-lived workers against a test's engine: built, started, and always closed.

A worker started here talks to the engine in-process (no socket), and its thread handlers get an
in-process blocking client as ``job.client``. A child process cannot reach an in-process
transport, so a ``process`` worker makes the engine serve over TCP on 127.0.0.1 (a free port,
started once per engine) and its children build their clients for that address; the worker's own
polling and acknowledgements stay in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.engine import AsyncInProcessTransport, EngineApp, EngineServer
from camunda_worker.worker import JobWorker
from camunda_worker.worker._registry import TaskDefinition

if TYPE_CHECKING:
    from camunda_worker.worker import ExecutionStrategy

__all__ = [
    "IN_PROCESS_URL",
    "TEST_DRAIN_TIMEOUT",
    "TEST_JOB_TIMEOUT_MS",
    "build_worker",
    "stop_all",
]

IN_PROCESS_URL = "http://camunda-engine.invalid/v2"
"""The base URL of in-process clients (never resolved: requests go straight to the app)."""

TEST_JOB_TIMEOUT_MS = 30_000
"""The job timeout of test workers unless given."""

TEST_DRAIN_TIMEOUT = 5.0
"""Seconds a test worker's in-flight jobs get to finish at teardown unless given."""


def _settings(
    given: CamundaSettings | Mapping[str, Any] | None, rest_address: str
) -> CamundaSettings:
    # Built, never resolved from the environment: a machine's CAMUNDA_* variables must not
    # change what a test does.
    if isinstance(given, CamundaSettings):
        return given.model_copy(update={"rest_address": rest_address})
    fields: dict[str, Any] = {
        "worker_timeout": TEST_JOB_TIMEOUT_MS,
        "worker_drain_timeout": TEST_DRAIN_TIMEOUT,
        **dict(given or {}),
        "rest_address": rest_address,
    }
    return CamundaSettings(**fields)


_CONFIG_OPTIONS = (
    "job_timeout_milliseconds",
    "max_concurrent_jobs",
    "fetch_variables",
    "request_timeout_milliseconds",
    "worker_name",
)


def _config(
    definition: TaskDefinition | None,
    job_type: str | None,
    config: WorkerConfig | None,
    options: Mapping[str, Any],
) -> WorkerConfig:
    if config is not None:
        given = sorted(name for name in _CONFIG_OPTIONS if name in options)
        if given:
            raise ValueError(f"give {', '.join(given)} in the WorkerConfig, not beside it")
        if job_type is not None and job_type != config.job_type:
            raise ValueError(
                f"job_type {job_type!r} contradicts config.job_type {config.job_type!r}"
            )
        return config
    if job_type is None and definition is not None:
        job_type = definition.job_type
    if job_type is None:
        raise ValueError("give the job type: job_worker(handler, 'job-type')")
    return WorkerConfig(
        job_type=job_type,
        job_timeout_milliseconds=options.get("job_timeout_milliseconds")
        or (definition.timeout if definition else None),
        max_concurrent_jobs=options.get("max_concurrent_jobs")
        or (definition.max_concurrent_jobs if definition else None),
        fetch_variables=options.get("fetch_variables")
        or (definition.fetch_variables if definition else None),
        request_timeout_milliseconds=options.get("request_timeout_milliseconds"),
        worker_name=options.get("worker_name"),
    )


class WorkerHost(Protocol):
    """What a worker needs of a test's engine (an :class:`EngineHarness` has it).

    Its app, a TCP server for child processes, and the shared blocking client.
    """

    @property
    def app(self) -> EngineApp:
        """The engine's ASGI app, for in-process transports."""
        ...

    def serve(self) -> EngineServer:
        """The engine served over TCP on 127.0.0.1 (started once)."""
        ...

    def client(self) -> CamundaClient:
        """The blocking in-process client."""
        ...


def build_worker(
    harness: WorkerHost,
    handler: Callable[[Any], Any] | TaskDefinition,
    job_type: str | None,
    *,
    execution_strategy: ExecutionStrategy | None,
    config: WorkerConfig | None,
    settings: CamundaSettings | Mapping[str, Any] | None,
    options: Mapping[str, Any],
    track_client: Callable[[CamundaAsyncClient], None],
) -> JobWorker:
    """Build (not start) a worker whose clients reach ``harness``'s engine.

    Args:
        harness: the engine.
        handler: the handler, or a :class:`~camunda_worker.TaskDefinition` (from ``@task``)
            whose job type and settings are used unless given here.
        job_type: the job type.
        execution_strategy: the strategy; ``process`` makes the engine serve over TCP.
        config: the whole worker configuration instead of ``job_type`` and its fields.
        settings: a :class:`~camunda_worker.CamundaSettings`, or field overrides; never read
            from the environment.
        options: ``WorkerConfig`` fields and other ``JobWorker`` keyword arguments.
        track_client: called with the async client built for the worker, to close it later.

    Returns:
        The worker, not started.
    """
    definition = handler if isinstance(handler, TaskDefinition) else None
    callback: Callable[[Any], Any] = definition.handler if definition else handler  # type: ignore[assignment]
    strategy = execution_strategy
    if strategy is None and definition is not None and definition.strategy is not None:
        strategy = definition.strategy  # type: ignore[assignment]  # checked by TaskDefinition
    worker_config = _config(definition, job_type, config, options)
    worker_options = {k: v for k, v in options.items() if k not in _CONFIG_OPTIONS}
    requested = strategy or _requested_in(settings)
    address = harness.serve().url if requested == "process" else IN_PROCESS_URL
    resolved = _settings(settings, address)
    client = CamundaAsyncClient(address, transport=AsyncInProcessTransport(harness.app))
    track_client(client)
    return JobWorker(
        callback,
        worker_config,
        client=client,
        execution_strategy=strategy,
        settings=resolved,
        sync_client=harness.client(),
        **worker_options,
    )


def _requested_in(settings: CamundaSettings | Mapping[str, Any] | None) -> str | None:
    if isinstance(settings, CamundaSettings):
        return settings.worker_execution_strategy
    if settings:
        value = settings.get("worker_execution_strategy")
        return str(value) if value is not None else None
    return None


def stop_all(workers: Sequence[JobWorker]) -> None:
    """Stop every worker (they drain side by side), then wait for each to close."""
    for worker in workers:
        worker.stop()
    for worker in workers:
        worker.close()
