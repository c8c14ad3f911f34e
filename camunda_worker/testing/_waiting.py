"""Waiting in tests until a process instance completes or an incident appears.

The waits poll the engine's inspection views on real time, up to a timeout, and end early when
the awaited state can no longer come (an instance that terminated, or got an incident while the
test waits for its completion). When they give up they raise
:class:`ProcessInstanceStateError`, whose message shows the instance's state, where its tokens
wait, its variables, incidents and jobs, and the workers the test started.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

import anyio

from camunda_worker._base.errors import CamundaError
from camunda_worker.engine import Engine
from camunda_worker.testing._report import describe_engine, describe_instance, describe_workers

if TYPE_CHECKING:
    from camunda_worker.engine import IncidentView, JobView, ProcessInstanceView
    from camunda_worker.worker import JobWorker

__all__ = [
    "ProcessInstanceStateError",
    "wait_for_completion",
    "wait_for_completion_async",
    "wait_for_incident",
    "wait_for_incident_async",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0
"""Seconds a wait gives the engine by default (generous: CI machines are slow)."""

_FIRST_POLL = 0.002
_MAX_POLL = 0.02


class ProcessInstanceStateError(CamundaError, AssertionError):
    """A process instance did not reach the state a test waited for.

    Raised by the ``wait_for_*`` helpers on timeout, or at once when that state can no longer
    come. An :class:`AssertionError`, so pytest reports it as a failed assertion; the message
    shows the state of the instance (or of the engine) and of the test's workers.

    Attributes:
        instance: the instance as it was when the wait gave up (``None`` when the wait was for
            any instance).
        jobs: the instance's jobs (or every job) at that moment.
    """

    def __init__(
        self,
        message: str,
        *,
        instance: ProcessInstanceView | None = None,
        jobs: Sequence[JobView] = (),
    ) -> None:
        super().__init__(message)
        self.instance = instance
        self.jobs = tuple(jobs)


class EngineWithWorkers(Protocol):
    """An engine and the workers a test started against it (an :class:`EngineHarness`)."""

    @property
    def engine(self) -> Engine:
        """The engine."""
        ...

    @property
    def workers(self) -> Sequence[JobWorker]:
        """The workers started against it."""
        ...


def _split(target: Engine | EngineWithWorkers) -> tuple[Engine, Sequence[JobWorker]]:
    if isinstance(target, Engine):
        return target, ()
    return target.engine, target.workers


def _pumped(
    target: object, check: Callable[[], tuple[T | None, str | None]]
) -> Callable[[], tuple[T | None, str | None]]:
    """``check``, after the harness's mocked job workers answered what they can (if any)."""
    pump = getattr(target, "pump", None)
    if pump is None:
        return check

    def pumped() -> tuple[T | None, str | None]:
        pump()
        return check()

    return pumped


def _no_running_loop(name: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"{name}() blocks, and this thread runs an event loop: a worker or client on this loop "
        f"could not make progress. Use `await {name}_async(...)` in async code."
    )


# -- what each wait checks ---------------------------------------------------------------------


def _stopped_worker(engine: Engine, key: str, workers: Sequence[JobWorker]) -> str | None:
    """Why the instance waits for a worker that has stopped with an error, if it does."""
    failed = {worker.job_type: worker.error for worker in workers if worker.error is not None}
    if not failed:
        return None
    running = {worker.job_type for worker in workers if worker.error is None}
    for job in engine.jobs(process_instance_key=key, lifecycle="ACTIVATABLE"):
        error = failed.get(job.type)
        if error is not None and job.type not in running:
            return (
                f"it waits for a job of type {job.type!r}, and the worker for that type "
                f"stopped: {type(error).__name__}: {error}"
            )
    return None


def _completion_check(
    engine: Engine, key: str, fail_on_incident: bool, workers: Sequence[JobWorker]
) -> Callable[[], tuple[ProcessInstanceView | None, str | None]]:
    """Returns (result, None) when done, (None, reason) when it can no longer happen."""

    def check() -> tuple[ProcessInstanceView | None, str | None]:
        instance = engine.process_instance(key)
        if instance.state == "COMPLETED":
            return instance, None
        if instance.state == "TERMINATED":
            return None, "it was terminated (canceled)"
        if fail_on_incident and instance.incidents:
            return None, "it has an incident, and cannot complete until the incident is resolved"
        return None, _stopped_worker(engine, key, workers)

    return check


def _incident_check(
    engine: Engine, key: str | None, error_type: str | None
) -> Callable[[], tuple[IncidentView | None, str | None]]:
    def check() -> tuple[IncidentView | None, str | None]:
        for incident in engine.incidents(process_instance_key=key):
            if error_type is None or incident.error_type == error_type:
                return incident, None
        if key is not None:
            state = engine.process_instance(key).state
            if state != "ACTIVE":
                return None, f"it ended ({state}) without one"
        return None, None

    return check


def _failure(
    engine: Engine,
    workers: Sequence[JobWorker],
    key: str | None,
    headline: str,
) -> ProcessInstanceStateError:
    if key is not None:
        instance = engine.process_instance(key)
        jobs = engine.jobs(process_instance_key=key)
        lines = [headline, *describe_instance(instance, jobs)]
    else:
        instance = None
        jobs = engine.jobs()
        lines = [headline, *describe_engine(engine.process_instances(), jobs, engine.incidents())]
    lines.extend(describe_workers(workers))
    return ProcessInstanceStateError("\n".join(lines), instance=instance, jobs=jobs)


def _poll_sync(
    check: Callable[[], tuple[T | None, str | None]], timeout: float
) -> tuple[T | None, str]:
    deadline = time.monotonic() + timeout
    pause = _FIRST_POLL
    while True:
        result, reason = check()
        if result is not None:
            return result, ""
        if reason is not None:
            return None, reason
        if time.monotonic() >= deadline:
            return None, ""
        time.sleep(pause)
        pause = min(pause * 2, _MAX_POLL)


async def _poll_async(
    check: Callable[[], tuple[T | None, str | None]],
    timeout: float,  # noqa: ASYNC109 - a deadline checked between polls, not a cancel scope
) -> tuple[T | None, str]:
    deadline = time.monotonic() + timeout
    pause = _FIRST_POLL
    while True:
        result, reason = check()
        if result is not None:
            return result, ""
        if reason is not None:
            return None, reason
        if time.monotonic() >= deadline:
            return None, ""
        await anyio.sleep(pause)
        pause = min(pause * 2, _MAX_POLL)


def _completion_headline(key: str, reason: str, timeout: float, state: str) -> str:
    if reason:
        return f"process instance {key} will not complete: {reason}"
    return f"process instance {key} did not complete within {timeout:g} s (it is {state})"


def _incident_headline(key: str | None, error_type: str | None, reason: str, timeout: float) -> str:
    kind = f"incident of type {error_type}" if error_type else "incident"
    where = f"process instance {key}" if key is not None else "the engine"
    if reason:
        return f"{where} will not get an {kind}: {reason}"
    return f"{where} got no {kind} within {timeout:g} s"


# -- the public waits --------------------------------------------------------------------------


def wait_for_completion(
    target: Engine | EngineWithWorkers,
    process_instance_key: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    fail_on_incident: bool = True,
) -> ProcessInstanceView:
    """Wait until a process instance completes; return it (with its final variables).

    Args:
        target: the :class:`~camunda_worker.engine.Engine`, or the ``camunda_engine`` fixture
            (an :class:`EngineHarness`: the error then also shows its workers).
        process_instance_key: the instance's key.
        timeout: seconds of real time to wait at most.
        fail_on_incident: give up at once when the instance gets an incident (it cannot
            complete until someone resolves it); ``False`` keeps waiting. A wait through the
            harness also gives up when the instance needs a job type whose only workers have
            stopped with an error.

    Returns:
        The completed instance.

    Raises:
        ProcessInstanceStateError: it did not complete in time, was terminated, or got an
            incident; the message shows its state and its jobs.
        RuntimeError: called from a thread that runs an event loop (use
            :func:`wait_for_completion_async`).
    """
    __tracebackhide__ = True  # pytest: the diagnostic, not our frames, comes first
    _no_running_loop("wait_for_completion")
    engine, workers = _split(target)
    key = str(process_instance_key)
    instance, reason = _poll_sync(
        _pumped(target, _completion_check(engine, key, fail_on_incident, workers)), timeout
    )
    if instance is not None:
        return instance
    state = engine.process_instance(key).state
    raise _failure(engine, workers, key, _completion_headline(key, reason, timeout, state))


async def wait_for_completion_async(
    target: Engine | EngineWithWorkers,
    process_instance_key: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - reported in the error, see the sync twin
    fail_on_incident: bool = True,
) -> ProcessInstanceView:
    """Like :func:`wait_for_completion`, without blocking the event loop (asyncio or trio).

    Args:
        target: the engine, or the ``camunda_engine`` fixture.
        process_instance_key: the instance's key.
        timeout: seconds of real time to wait at most.
        fail_on_incident: give up at once when the instance gets an incident.

    Returns:
        The completed instance.

    Raises:
        ProcessInstanceStateError: see :func:`wait_for_completion`.
    """
    __tracebackhide__ = True  # pytest: the diagnostic, not our frames, comes first
    engine, workers = _split(target)
    key = str(process_instance_key)
    instance, reason = await _poll_async(
        _pumped(target, _completion_check(engine, key, fail_on_incident, workers)), timeout
    )
    if instance is not None:
        return instance
    state = engine.process_instance(key).state
    raise _failure(engine, workers, key, _completion_headline(key, reason, timeout, state))


def wait_for_incident(
    target: Engine | EngineWithWorkers,
    process_instance_key: str | None = None,
    *,
    error_type: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> IncidentView:
    """Wait until an incident appears (on one instance, or anywhere); return it.

    Args:
        target: the engine, or the ``camunda_engine`` fixture.
        process_instance_key: the instance to watch; ``None`` for any incident in the engine.
        error_type: only an incident of this type (``JOB_NO_RETRIES``,
            ``UNHANDLED_ERROR_EVENT``, ``CONDITION_ERROR``...).
        timeout: seconds of real time to wait at most.

    Returns:
        The first matching active incident (lowest key).

    Raises:
        ProcessInstanceStateError: none appeared in time, or the instance ended without one;
            the message shows its state and its jobs (or the whole engine's).
        RuntimeError: called from a thread that runs an event loop (use
            :func:`wait_for_incident_async`).
    """
    __tracebackhide__ = True  # pytest: the diagnostic, not our frames, comes first
    _no_running_loop("wait_for_incident")
    engine, workers = _split(target)
    key = None if process_instance_key is None else str(process_instance_key)
    incident, reason = _poll_sync(
        _pumped(target, _incident_check(engine, key, error_type)), timeout
    )
    if incident is not None:
        return incident
    raise _failure(engine, workers, key, _incident_headline(key, error_type, reason, timeout))


async def wait_for_incident_async(
    target: Engine | EngineWithWorkers,
    process_instance_key: str | None = None,
    *,
    error_type: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - reported in the error, see the sync twin
) -> IncidentView:
    """Like :func:`wait_for_incident`, without blocking the event loop (asyncio or trio).

    Args:
        target: the engine, or the ``camunda_engine`` fixture.
        process_instance_key: the instance to watch; ``None`` for any incident.
        error_type: only an incident of this type.
        timeout: seconds of real time to wait at most.

    Returns:
        The first matching active incident.

    Raises:
        ProcessInstanceStateError: see :func:`wait_for_incident`.
    """
    __tracebackhide__ = True  # pytest: the diagnostic, not our frames, comes first
    engine, workers = _split(target)
    key = None if process_instance_key is None else str(process_instance_key)
    incident, reason = await _poll_async(
        _pumped(target, _incident_check(engine, key, error_type)), timeout
    )
    if incident is not None:
        return incident
    raise _failure(engine, workers, key, _incident_headline(key, error_type, reason, timeout))
