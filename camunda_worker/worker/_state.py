"""What a worker is doing, and what it has done: its state and its counters.

Both are written on the worker's event loop and may be read from any thread: every field is a
plain attribute whose assignment is atomic under the GIL, and :meth:`Counters.snapshot` copies
them into an immutable :class:`WorkerStats`.
"""

from __future__ import annotations

import enum

import attrs

__all__ = ["Counters", "WorkerState", "WorkerStats"]


class WorkerState(enum.Enum):
    """The life cycle of a :class:`~camunda_worker.JobWorker`.

    ``CREATED`` -> ``STARTING`` -> ``POLLING`` <-> ``BACKING_OFF`` -> ``DRAINING`` ->
    ``STOPPED`` (or ``FAILED`` when a fatal error stopped it: see ``JobWorker.error``).
    """

    CREATED = "created"
    """Built, not started yet."""
    STARTING = "starting"
    """Started; waiting for its startup jitter or its first activation."""
    POLLING = "polling"
    """Activating jobs (or waiting for free capacity) and running them."""
    BACKING_OFF = "backing_off"
    """The last activation failed (transport error, backpressure): waiting before the next one."""
    DRAINING = "draining"
    """Stopping: no more activations; in-flight jobs finish and send their results."""
    STOPPED = "stopped"
    """Stopped and closed; a stopped worker cannot be started again."""
    FAILED = "failed"
    """Stopped by an error that retrying cannot fix (401 after token refresh, bad configuration)."""


@attrs.frozen
class WorkerStats:
    """A snapshot of a worker's counters (since it was created).

    Attributes:
        activated: jobs received from activations.
        completed: jobs completed by the worker.
        failed: jobs failed by the worker (handler raised, or its result could not be sent).
        errors_thrown: BPMN errors thrown by the worker (handler raised ``JobError``).
        acknowledged_by_handler: jobs the handler completed, failed or threw an error for itself.
        expired: jobs not run because their deadline passed before their handler could start.
        rejected: acknowledgements answered 404 or 409: the job was no longer this worker's (or,
            when sent again after an attempt whose answer was lost, that attempt took effect).
        acknowledgement_failures: acknowledgements given up after retries until the deadline.
        in_flight: jobs activated and not yet finished (handler running or result being sent).
        free_capacity: what the next activation asks for: ``max_concurrent_jobs`` minus the
            jobs whose handler runs (a job whose result is being sent no longer counts, up to
            ``max_concurrent_jobs`` of them: see "Capacity" in the worker docs).
        abandoned: jobs still in flight when the worker stopped waiting for them at shutdown
            (drain timeout, or a second signal): nothing was sent for them, they are activated
            again after their deadline.
        overdue_handlers: handlers running now although their job's deadline has passed
            (noticed within a second; see "Overdue handlers" in the worker docs): each holds its
            slot until it returns, while the engine may give its job to another worker.
    """

    activated: int = 0
    completed: int = 0
    failed: int = 0
    errors_thrown: int = 0
    acknowledged_by_handler: int = 0
    expired: int = 0
    rejected: int = 0
    acknowledgement_failures: int = 0
    in_flight: int = 0
    free_capacity: int = 0
    abandoned: int = 0
    overdue_handlers: int = 0


@attrs.define
class Counters:
    """The mutable counters behind :class:`WorkerStats` (written on the worker's loop only)."""

    activated: int = 0
    completed: int = 0
    failed: int = 0
    errors_thrown: int = 0
    acknowledged_by_handler: int = 0
    expired: int = 0
    rejected: int = 0
    acknowledgement_failures: int = 0
    abandoned: int = 0

    def snapshot(self, in_flight: int, free_capacity: int, overdue: int = 0) -> WorkerStats:
        """An immutable copy, with the jobs in flight, the free capacity and overdue handlers now."""
        return WorkerStats(
            **attrs.asdict(self),
            in_flight=in_flight,
            free_capacity=free_capacity,
            overdue_handlers=overdue,
        )
