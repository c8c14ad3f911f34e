"""Workers for registered tasks, and running them until a signal, a limit or a time is reached.

Shared by ``camunda-worker run`` and ``camunda-worker demo``: one :class:`JobWorker` per
:class:`~camunda_worker.TaskDefinition`, all on one event loop sharing one client, drained
together; a worker that fails stops the others, so the process exits instead of half-working.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker, WorkerState, serve_workers

if TYPE_CHECKING:
    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker._config.settings import CamundaSettings
    from camunda_worker.worker import WorkerObserver
    from camunda_worker.worker._registry import TaskDefinition

__all__ = ["build_workers", "finished_jobs", "serve_until"]

_WATCH_INTERVAL = 0.05


def build_workers(
    definitions: Sequence[TaskDefinition],
    *,
    settings: CamundaSettings,
    client: CamundaAsyncClient | None,
    observers: Sequence[WorkerObserver] = (),
) -> list[JobWorker]:
    """One worker per task definition; nothing is activated yet.

    Args:
        definitions: the registered tasks.
        settings: the resolved settings (every option a task leaves unset comes from here).
        client: the client every worker shares (``None``: each builds its own).
        observers: observers every worker reports to (metrics).

    Returns:
        The workers, in the order of ``definitions``.

    Raises:
        ConfigurationError: a task cannot run as configured (no job timeout, a handler that
            cannot be pickled for the process strategy...); the message names its job type.
    """
    workers = []
    for definition in definitions:
        try:
            config = WorkerConfig(
                definition.job_type,
                job_timeout_milliseconds=definition.timeout,
                max_concurrent_jobs=definition.max_concurrent_jobs,
                fetch_variables=definition.fetch_variables,
            )
            worker = JobWorker(
                definition.handler,
                config,
                client=client,
                execution_strategy=definition.strategy,  # type: ignore[arg-type]
                settings=settings,
                observers=observers,
                retry_back_off=definition.retry_back_off,
                dependencies=definition.dependencies,
                bpmn_errors=definition.bpmn_errors,
                on_error=definition.on_error,
                middleware=definition.middleware,
                invalid_variables=definition.invalid_variables,
            )
        except ConfigurationError as error:
            raise ConfigurationError(
                f"job type {definition.job_type!r}: {error}", variable=error.variable
            ) from error
        workers.append(worker)
    return workers


def finished_jobs(workers: Sequence[JobWorker]) -> int:
    """Jobs the workers are done with: acknowledged (by them or their handler), or given up."""
    total = 0
    for worker in workers:
        stats = worker.stats
        total += (
            stats.completed
            + stats.failed
            + stats.errors_thrown
            + stats.acknowledged_by_handler
            + stats.rejected
            + stats.acknowledgement_failures
        )
    return total


async def _watch(
    workers: Sequence[JobWorker],
    *,
    limit: int | None,
    run_timeout: float | None,
    stop_when: Callable[[], bool] | None,
) -> None:
    deadline = None if run_timeout is None else time.monotonic() + run_timeout
    while True:
        if (
            any(worker.state is WorkerState.FAILED for worker in workers)
            or (limit is not None and finished_jobs(workers) >= limit)
            or (deadline is not None and time.monotonic() >= deadline)
            or (stop_when is not None and stop_when())
        ):
            for worker in workers:
                worker.stop()
            return
        await asyncio.sleep(_WATCH_INTERVAL)


async def serve_until(
    workers: Sequence[JobWorker],
    *,
    limit: int | None = None,
    run_timeout: float | None = None,
    stop_when: Callable[[], bool] | None = None,
    handle_signals: bool = True,
) -> None:
    """Run ``workers`` on this loop until a signal, or until a stop condition, then drain them.

    Args:
        workers: workers not started yet.
        limit: stop once this many jobs are finished (jobs in flight then still finish).
        run_timeout: stop after this many seconds.
        stop_when: stop once this returns true (checked every 50 ms).
        handle_signals: drain on SIGINT/SIGTERM (main thread only).

    Raises:
        Exception: the error that stopped the first failed worker (after all have stopped).
    """
    watcher = asyncio.ensure_future(
        _watch(workers, limit=limit, run_timeout=run_timeout, stop_when=stop_when)
    )
    try:
        await serve_workers(*workers, handle_signals=handle_signals)
    finally:
        watcher.cancel()
        await asyncio.wait([watcher])  # does not raise the watcher's cancellation
