"""What every strategy's runner shares, and the ``async`` runner itself.

A runner takes a job that holds a capacity slot and returns how the job ended (an
:data:`~._outcomes.Outcome`), or :data:`EXPIRED` when the job's deadline passed before its
handler could start. Runners never send acknowledgements: the worker's sender does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

import attrs

from camunda_worker._base.logs import bind_job_logger
from camunda_worker.worker._context import ConnectedJobContext
from camunda_worker.worker._invoke import invoke_async
from camunda_worker.worker._tracking import AsyncTrackingClient

if TYPE_CHECKING:
    from camunda_worker._api.models import ActivatedJob
    from camunda_worker._base.logs import JobLogger
    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker.worker._capacity import Slot
    from camunda_worker.worker._deadline import JobDeadline
    from camunda_worker.worker._outcomes import Outcome
    from camunda_worker.worker._tracing import JobTracing

__all__ = ["ABANDONED", "EXPIRED", "Abandoned", "AsyncRunner", "Expired", "Runner", "RunnerOptions"]


@attrs.frozen
class Expired:
    """The job's deadline passed before its handler started: it was not run."""


EXPIRED = Expired()


@attrs.frozen
class Abandoned:
    """The job could not be run and the worker is stopping: nothing is sent, it times out."""


ABANDONED = Abandoned()


@attrs.frozen
class RunnerOptions:
    """What a runner needs to know about its worker.

    Attributes:
        callback: the handler.
        job_type: the job type the worker serves.
        worker_name: the worker's name.
        logger: the worker's logger (jobs get it bound with their context).
        retry_back_off: back-off (ms) after an unexpected exception.
        tracing: the worker's tracing (``None``: off), whose job span pool threads make current.
    """

    callback: Callable[[Any], Any]
    job_type: str
    worker_name: str
    logger: JobLogger
    retry_back_off: int
    tracing: JobTracing | None = None

    def job_logger(self, job: ActivatedJob) -> JobLogger:
        """The logger a job's handler gets."""
        return bind_job_logger(
            self.logger,
            job_type=self.job_type,
            job_key=job.job_key,
            process_instance_key=job.process_instance_key,
            worker=self.worker_name,
        )


class Runner(Protocol):
    """Runs handlers for one strategy."""

    async def run(self, slot: Slot, deadline: JobDeadline) -> Outcome | Expired | Abandoned:
        """Run the handler for ``slot.job`` and say how the job ended."""

    async def aclose(self, *, abandon: bool) -> None:
        """Release the runner's pools; ``abandon`` when handlers still run past the drain timeout."""


class AsyncRunner:
    """The ``async`` strategy: the handler is awaited on the worker's event loop."""

    def __init__(self, options: RunnerOptions, client: CamundaAsyncClient) -> None:
        self._options = options
        self._client = client

    async def run(self, slot: Slot, deadline: JobDeadline) -> Outcome | Expired:
        """Await the handler with a :class:`ConnectedJobContext`."""
        if deadline.expired():
            return EXPIRED
        job = slot.job
        options = self._options
        tracker = AsyncTrackingClient(self._client, job.job_key)
        context = ConnectedJobContext(
            job=job,
            log=options.job_logger(job),
            client=cast("CamundaAsyncClient", tracker),
        )
        slot.stage = "running"
        return await invoke_async(
            options.callback,
            context,
            tracker,
            retries=job.retries,
            retry_back_off=options.retry_back_off,
        )

    async def aclose(self, *, abandon: bool) -> None:
        """Nothing to release: async handlers use no pool."""
