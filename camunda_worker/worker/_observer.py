"""The observer seam: how metrics, health checks and tests watch a worker without slowing it.

``JobWorker(..., observers=[...])`` takes :class:`WorkerObserver` objects; the worker calls them
from the few places where it already counts (``WorkerStats``): activations, poll back-offs,
handler outcomes, acknowledgements and their retries; and when its event loop runs again after
a block. A worker without observers pays one ``is None`` check at each of those places.

Observers are called on the worker's event loop and must return quickly without blocking (update
a counter, append to a list). An exception raised by an observer is logged once per observer and
otherwise ignored: watching a worker can never break it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from camunda_worker._base.logs import JobLogger
    from camunda_worker.worker._state import WorkerState, WorkerStats

__all__ = [
    "AcknowledgementResult",
    "JobOutcome",
    "ObservedWorker",
    "ObserverGroup",
    "WorkerObserver",
]

JobOutcome = Literal[
    "completed", "failed", "bpmn_error", "acknowledged_by_handler", "expired", "abandoned"
]
"""How a job's handler ended: its result was a completion, a failure or a BPMN error to send;
the handler acknowledged the job itself; the job's deadline passed before its handler could start
(``expired``); or the worker stopped without waiting for it (``abandoned``)."""

AcknowledgementResult = Literal["sent", "rejected", "gave_up"]
"""What became of an acknowledgement: ``sent``; ``rejected`` with 404/409 (the job was no longer
this worker's); ``gave_up`` after retrying until the job's deadline."""


class ObservedWorker(Protocol):
    """What an observer sees of the worker it watches: a :class:`~camunda_worker.JobWorker`.

    The hooks that receive the worker itself are typed with this protocol, so the observer seam
    does not depend on the worker's module; every ``JobWorker`` satisfies it.
    """

    @property
    def job_type(self) -> str:
        """The job type the worker activates."""
        ...

    @property
    def state(self) -> WorkerState:
        """Where the worker is in its life cycle."""
        ...

    @property
    def stats(self) -> WorkerStats:
        """A snapshot of the worker's counters."""
        ...

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped a ``FAILED`` worker."""
        ...

    @property
    def last_successful_poll(self) -> datetime | None:
        """When (UTC) an activation last succeeded."""
        ...


class WorkerObserver:
    """Receives a worker's events. Subclass it and override what you need: each method does nothing.

    Every method is called on the worker's event loop: return quickly, never block. One observer
    may watch several workers (each event names the job type).
    """

    def worker_started(self, worker: ObservedWorker) -> None:
        """The worker started serving, before its first activation."""

    def worker_stopped(self, worker: ObservedWorker) -> None:
        """The worker stopped serving (drained, or failed: see ``worker.error``)."""

    def activation_finished(
        self, job_type: str, *, duration: float, jobs: int, error: BaseException | None
    ) -> None:
        """An activation request ended after ``duration`` seconds, with ``jobs`` jobs or ``error``.

        A long poll that found no job ends with ``jobs == 0`` and no error.
        """

    def backing_off(self, job_type: str, *, delay: float, error: BaseException) -> None:
        """The poll loop waits ``delay`` seconds after an activation failed with ``error``."""

    def job_finished(self, job_type: str, *, outcome: JobOutcome, duration: float) -> None:
        """A job's handler ended with ``outcome`` after ``duration`` seconds.

        ``duration`` runs from the start of the job's run (including the wait for a thread or a
        child process) to its end. For ``expired`` jobs the handler never started.
        """

    def job_acknowledged(
        self,
        job_type: str,
        *,
        outcome: Literal["completed", "failed", "bpmn_error"],
        result: AcknowledgementResult,
    ) -> None:
        """The worker's acknowledgement (completion, failure, BPMN error) of a job was settled."""

    def acknowledgement_retried(
        self,
        job_type: str,
        *,
        outcome: Literal["completed", "failed", "bpmn_error"],
        error: BaseException,
    ) -> None:
        """Sending an acknowledgement failed with a retryable ``error``; it is sent again."""

    def event_loop_blocked(self, job_type: str, *, duration: float) -> None:
        """The worker's event loop did not run for ``duration`` seconds (beyond its threshold).

        Called once per episode, when the loop runs again, for every worker on that loop (all
        of them were stalled); the warning logged during the episode names the job that
        blocked it.
        """


class ObserverGroup:
    """Fans each event out to several observers; an observer that raises is logged once.

    Args:
        observers: the observers, called in order.
        log: where an observer's first exception is logged.
    """

    __slots__ = ("_broken", "_log", "_observers")

    def __init__(self, observers: Iterable[WorkerObserver], log: JobLogger) -> None:
        if isinstance(observers, WorkerObserver):
            raise TypeError(
                f"observers must be a list of observers, got one {type(observers).__name__}: "
                "pass observers=[observer]"
            )
        self._observers = tuple(observers)
        self._log = log
        self._broken: set[int] = set()

    @classmethod
    def of(cls, observers: Iterable[WorkerObserver], log: JobLogger) -> ObserverGroup | None:
        """A group, or ``None`` when there is no observer (the hot path checks for ``None``)."""
        group = cls(observers, log)
        return group if group._observers else None

    def _call(self, method: str, *args: object, **kwargs: object) -> None:
        for observer in self._observers:
            try:
                getattr(observer, method)(*args, **kwargs)
            except Exception:  # noqa: BLE001 - an observer must not break the worker
                if id(observer) not in self._broken:
                    self._broken.add(id(observer))
                    self._log.exception(
                        f"the worker observer {observer!r} raised in {method}; it is ignored "
                        "(further errors of this observer are not logged)"
                    )

    def worker_started(self, worker: ObservedWorker) -> None:
        """See :meth:`WorkerObserver.worker_started`."""
        self._call("worker_started", worker)

    def worker_stopped(self, worker: ObservedWorker) -> None:
        """See :meth:`WorkerObserver.worker_stopped`."""
        self._call("worker_stopped", worker)

    def activation_finished(
        self, job_type: str, *, duration: float, jobs: int, error: BaseException | None
    ) -> None:
        """See :meth:`WorkerObserver.activation_finished`."""
        self._call("activation_finished", job_type, duration=duration, jobs=jobs, error=error)

    def backing_off(self, job_type: str, *, delay: float, error: BaseException) -> None:
        """See :meth:`WorkerObserver.backing_off`."""
        self._call("backing_off", job_type, delay=delay, error=error)

    def job_finished(self, job_type: str, *, outcome: JobOutcome, duration: float) -> None:
        """See :meth:`WorkerObserver.job_finished`."""
        self._call("job_finished", job_type, outcome=outcome, duration=duration)

    def job_acknowledged(
        self,
        job_type: str,
        *,
        outcome: Literal["completed", "failed", "bpmn_error"],
        result: AcknowledgementResult,
    ) -> None:
        """See :meth:`WorkerObserver.job_acknowledged`."""
        self._call("job_acknowledged", job_type, outcome=outcome, result=result)

    def acknowledgement_retried(
        self,
        job_type: str,
        *,
        outcome: Literal["completed", "failed", "bpmn_error"],
        error: BaseException,
    ) -> None:
        """See :meth:`WorkerObserver.acknowledgement_retried`."""
        self._call("acknowledgement_retried", job_type, outcome=outcome, error=error)

    def event_loop_blocked(self, job_type: str, *, duration: float) -> None:
        """See :meth:`WorkerObserver.event_loop_blocked`."""
        self._call("event_loop_blocked", job_type, duration=duration)
