"""Liveness and readiness of job workers, computed from what each worker exposes.

A probe reads only :attr:`JobWorker.state`, :attr:`JobWorker.last_successful_poll`,
:attr:`JobWorker.error`, :attr:`JobWorker.stats`, :attr:`JobWorker.config`,
:attr:`JobWorker.handler_capacity`,
:attr:`JobWorker.poll_in_flight_seconds` and :attr:`JobWorker.event_loop_block`, all safe to
read from any thread, so a check costs the worker nothing and works while the worker's event
loop is blocked.

**Live** (restart me if not): the poll loop made progress within a bound. A worker is live while
it is created, draining, or backing off (the loop is retrying: restarting would not reach the
cluster any sooner), while every slot holds a job (waiting for capacity is not a stall), and
otherwise while its last successful activation (or, before the first, the probe's start) is no
older than the bound: by default 3 long polls plus the longest poll back-off. A stopped or failed
worker is not live.

**Ready** (I am doing my work): the worker is polling, its last activation did not fail and
the one in flight is not overdue. A worker is ``POLLING`` from its first activation request
until one fails (then it is ``BACKING_OFF`` until one succeeds again); so it is ready while its
first long poll waits for jobs, and not while starting, backing off, draining, stopped or failed
(e.g. its credentials were refused). A long poll answers within its ``requestTimeout``: one in
flight for longer than that plus :data:`~camunda_worker._transport.http.LONG_POLL_MARGIN` is
overdue (a connection that went silent, an event loop that cannot run), and the worker is not
ready until an activation succeeds again.

**Overdue handlers**: a worker all of whose handlers that can run at once
(:attr:`JobWorker.handler_capacity`) run past their job's deadline (``stats.overdue_handlers``)
can run no other job until one returns, while the engine hands those jobs to other workers: it
is not ready (but stays live: a restart would end handlers whose completion the engine may still
accept).

**A blocked event loop** (a synchronous call in an ``async`` handler; see
:attr:`JobWorker.event_loop_block`): a worker whose loop has not run for longer than its
threshold (``CAMUNDA_WORKER_LOOP_BLOCK_THRESHOLD``, 1 s by default) is not ready until the loop
runs again, and not live either once the block lasts longer than the liveness bound: nothing on
the loop makes progress, whether its slots are full or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs

from camunda_worker._base.errors import AuthenticationError, UnauthorizedError
from camunda_worker._transport.http import LONG_POLL_MARGIN
from camunda_worker.worker._state import WorkerState

if TYPE_CHECKING:
    from camunda_worker.worker import JobWorker

__all__ = ["MAX_POLL_BACKOFF_SECONDS", "HealthReport", "WorkerHealth", "check", "liveness_bound"]

MAX_POLL_BACKOFF_SECONDS = 10.0
"""The longest wait of a worker's poll loop between failed activations."""

_POLLS_PER_BOUND = 3
_ALWAYS_LIVE = frozenset({WorkerState.CREATED, WorkerState.BACKING_OFF, WorkerState.DRAINING})


@attrs.frozen
class WorkerHealth:
    """The health of one worker.

    Attributes:
        job_type: the worker's job type.
        state: its state when checked.
        live: whether its poll loop is making progress.
        ready: whether it is polling, its last activation did not fail and the one in flight
            is not overdue.
        reason: why it is not live or not ready (``None`` when it is both).
        last_successful_poll: when (UTC) an activation last succeeded.
        in_flight: jobs it holds.
        max_concurrent_jobs: its capacity.
        event_loop_blocked_seconds: how long its event loop has been blocked, once that is
            longer than its threshold; 0 while the loop is responsive.
        overdue_handlers: its handlers running past their job's deadline.
    """

    job_type: str
    state: WorkerState
    live: bool
    ready: bool
    reason: str | None
    last_successful_poll: datetime | None
    in_flight: int
    max_concurrent_jobs: int
    event_loop_blocked_seconds: float = 0.0
    overdue_handlers: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the health endpoints answer with)."""
        poll = self.last_successful_poll
        return {
            "job_type": self.job_type,
            "state": self.state.value,
            "live": self.live,
            "ready": self.ready,
            "reason": self.reason,
            "last_successful_poll": poll.isoformat() if poll else None,
            "in_flight": self.in_flight,
            "max_concurrent_jobs": self.max_concurrent_jobs,
            "event_loop_blocked_seconds": round(self.event_loop_blocked_seconds, 3),
            "overdue_handlers": self.overdue_handlers,
        }


@attrs.frozen
class HealthReport:
    """The health of a set of workers: live when all are live, ready when all are ready.

    Attributes:
        workers: one entry per worker, in the order given.
    """

    workers: tuple[WorkerHealth, ...]

    @property
    def live(self) -> bool:
        """Whether every worker is live (an empty set is live)."""
        return all(worker.live for worker in self.workers)

    @property
    def ready(self) -> bool:
        """Whether there is at least one worker and every worker is ready."""
        return bool(self.workers) and all(worker.ready for worker in self.workers)

    def reasons(self) -> list[str]:
        """Why a worker is not live or not ready, one line each (``job type: reason``)."""
        return [f"{w.job_type}: {w.reason}" for w in self.workers if w.reason is not None]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``live``, ``ready``, ``reasons`` and each worker's entry."""
        reasons = self.reasons()
        if not self.workers:
            reasons.append("no workers")
        return {
            "live": self.live,
            "ready": self.ready,
            "reasons": reasons,
            "workers": [worker.to_dict() for worker in self.workers],
        }


def liveness_bound(worker: JobWorker) -> float:
    """The default bound (seconds) on a worker's time without a successful activation.

    Three long polls (``request_timeout_milliseconds``) plus the longest poll back-off.
    """
    request_timeout = worker.config.request_timeout_milliseconds or 10_000
    return _POLLS_PER_BOUND * request_timeout / 1000 + MAX_POLL_BACKOFF_SECONDS


def _failure(error: BaseException | None) -> str:
    if isinstance(error, AuthenticationError | UnauthorizedError):
        return f"failed: authentication was refused ({type(error).__name__}: {error})"
    if error is None:
        return "failed"
    return f"failed: {type(error).__name__}: {error}"


def _liveness(
    worker: JobWorker,
    state: WorkerState,
    *,
    in_flight: int,
    bound: float,
    started_at: datetime | None,
    now: datetime,
) -> str | None:
    """``None`` when the worker is live, else why not."""
    if state is WorkerState.FAILED:
        return _failure(worker.error)
    if state is WorkerState.STOPPED:
        return "stopped"
    if state in _ALWAYS_LIVE or in_flight >= (worker.config.max_concurrent_jobs or 1):
        return None
    reference = worker.last_successful_poll or started_at
    if reference is None:
        return None
    idle = (now - reference).total_seconds()
    if idle <= bound:
        return None
    what = "no successful activation" if worker.last_successful_poll else "no activation yet"
    return f"{what} for {idle:.0f} s (bound {bound:g} s): the poll loop is not making progress"


def _poll_bound(worker: JobWorker) -> float:
    """Seconds an activation may wait for its answer before it is overdue.

    Its long poll (``request_timeout_milliseconds``) plus the client's margin for the trip.
    """
    request_timeout = worker.config.request_timeout_milliseconds or 10_000
    return request_timeout / 1000 + LONG_POLL_MARGIN


def _readiness(worker: JobWorker, state: WorkerState, *, overdue: int) -> str | None:
    """``None`` when the worker is ready, else why not."""
    if state is WorkerState.POLLING:
        running = worker.handler_capacity
        if overdue >= running:
            return (
                f"all {running} handler(s) that can run at once are running past their job's "
                "deadline: no other job can run until one returns"
            )
        waiting = worker.poll_in_flight_seconds
        bound = _poll_bound(worker)
        if waiting is not None and waiting > bound:
            return (
                f"the activation sent {waiting:.0f} s ago is unanswered (a long poll answers "
                f"within {bound:g} s): the connection may be stalled"
            )
        return None
    return {
        WorkerState.CREATED: "not started",
        WorkerState.STARTING: "starting: no activation sent yet",
        WorkerState.BACKING_OFF: "the last activation failed; retrying after a back-off",
        WorkerState.DRAINING: "draining: stopping",
        WorkerState.STOPPED: "stopped",
    }.get(state) or _failure(worker.error)


def _loop_block(worker: JobWorker, *, bound: float) -> tuple[float, str | None, str | None]:
    """How long the worker's loop is blocked, and why that makes it not live / not ready."""
    block = worker.event_loop_block
    if block is None:
        return 0.0, None, None
    reason = block.describe()
    return block.seconds, (reason if block.seconds > bound else None), reason


def check(
    workers: Sequence[JobWorker],
    *,
    started_at: datetime | None = None,
    liveness_bound_seconds: float | None = None,
    now: datetime | None = None,
) -> HealthReport:
    """Check the liveness and readiness of ``workers`` (see the module docstring for the rules).

    Args:
        workers: the workers to check.
        started_at: when (UTC) the workers were started: a worker that has not activated
            successfully since longer than the bound is not live. ``None``: such a worker is
            live until its first successful activation.
        liveness_bound_seconds: the longest time without a successful activation that is still
            live; ``None`` uses :func:`liveness_bound` of each worker. Raise it above the
            startup jitter if you use one.
        now: the time to check at (UTC); ``None`` means now.

    Returns:
        The report; ``report.live`` and ``report.ready`` are the probes' answers.
    """
    now = now or datetime.now(timezone.utc)
    entries = []
    for worker in workers:
        state = worker.state
        stats = worker.stats
        in_flight = stats.in_flight
        bound = liveness_bound_seconds
        if bound is None:
            bound = liveness_bound(worker)
        not_live = _liveness(
            worker, state, in_flight=in_flight, bound=bound, started_at=started_at, now=now
        )
        blocked, block_not_live, block_not_ready = _loop_block(worker, bound=bound)
        not_live = not_live or block_not_live
        not_ready = (
            not_live or block_not_ready or _readiness(worker, state, overdue=stats.overdue_handlers)
        )
        entries.append(
            WorkerHealth(
                job_type=worker.job_type,
                state=state,
                live=not_live is None,
                ready=not_ready is None,
                reason=not_ready,
                last_successful_poll=worker.last_successful_poll,
                in_flight=in_flight,
                max_concurrent_jobs=worker.config.max_concurrent_jobs or 0,
                event_loop_blocked_seconds=blocked,
                overdue_handlers=stats.overdue_handlers,
            )
        )
    return HealthReport(tuple(entries))
