"""Job records and the queues of activatable jobs.

A job has two states. ``status`` is its lifecycle in the broker (Zeebe's job state):
``ACTIVATABLE``, ``ACTIVATED``, ``FAILED`` (retry back-off pending, or no retries left: an
incident), ``ERROR_THROWN`` (BPMN error: caught, or uncaught with an incident), ``COMPLETED`` or
``CANCELED``. ``state`` is what the v2 search reports (``JobStateEnum``): the last thing that
happened to it, ``CREATED``, ``FAILED``, ``TIMED_OUT``, ``RETRIES_UPDATED``, ``COMPLETED``, ...
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

__all__ = [
    "ACTIVATABLE",
    "ACTIVATED",
    "CANCELED",
    "COMPLETED",
    "ERROR_THROWN",
    "FAILED",
    "NO_KEY",
    "JobRecord",
    "ReadyQueues",
]

ACTIVATABLE = "ACTIVATABLE"
ACTIVATED = "ACTIVATED"
FAILED = "FAILED"
ERROR_THROWN = "ERROR_THROWN"
COMPLETED = "COMPLETED"
CANCELED = "CANCELED"

#: The key Zeebe reports where a job has no process instance, definition or element instance.
NO_KEY = -1


@attrs.define(slots=True, eq=False)
class JobRecord:
    """Everything the engine knows about one job (mutable, guarded by the engine's lock)."""

    key: int
    job_type: str
    retries: int
    tenant_id: str
    custom_headers: dict[str, str]
    created_ms: int
    process_instance_key: int = NO_KEY
    process_definition_key: int = NO_KEY
    process_definition_id: str = "standalone-job"
    process_definition_version: int = -1
    element_id: str = "standalone-job"
    element_instance_key: int = NO_KEY
    #: The root of the call hierarchy when the job's instance was called (``None``: itself).
    root_process_instance_key: int | None = None
    #: The job's own variables (standalone jobs); BPMN jobs read their process instance's.
    variables: dict[str, Any] | None = None
    #: Variables set by a failure in the task's local scope, visible to later activations.
    local_variables: dict[str, Any] | None = None
    status: str = ACTIVATABLE
    state: str = "CREATED"
    worker: str = ""
    deadline_ms: int | None = None
    lease_token: str | None = None
    error_message: str | None = None
    error_code: str | None = None
    has_failed_with_retries_left: bool = False
    incident_key: int | None = None
    #: The variables sent with the last completion, failure or BPMN error (for inspection).
    result_variables: dict[str, Any] | None = None
    updated_ms: int = 0
    end_ms: int | None = None
    #: Bumped on every change of deadline or back-off; older timers are stale.
    timer_generation: int = 0
    #: Whether a live timer (deadline or back-off end) is armed for the job.
    timer_armed: bool = False
    #: Bumped on every activation; identifies the activation a waiter holds.
    activation: int = 0
    in_ready_queue: bool = False

    @property
    def finished(self) -> bool:
        """Whether the job is gone from the broker's point of view (commands answer 404)."""
        return self.end_ms is not None


class ReadyQueues:
    """The activatable jobs of every job type and tenant, lowest key first (as Zeebe hands them out).

    One heap per (type, tenant) with lazy removal: a job leaves its heap when popped; a job that
    stops being activatable while queued just clears ``in_ready_queue`` and is skipped later.
    """

    def __init__(self, jobs: dict[int, JobRecord]) -> None:
        self._jobs = jobs
        self._heaps: dict[str, dict[str, list[int]]] = {}
        self._counts: dict[str, int] = {}
        self._stale = 0

    def push(self, job: JobRecord) -> None:
        """Queue an activatable job (no-op when already queued)."""
        if job.in_ready_queue:
            return
        job.in_ready_queue = True
        by_tenant = self._heaps.setdefault(job.job_type, {})
        heapq.heappush(by_tenant.setdefault(job.tenant_id, []), job.key)
        self._counts[job.job_type] = self._counts.get(job.job_type, 0) + 1

    def discard(self, job: JobRecord) -> None:
        """Forget a queued job that is no longer activatable (completed, canceled, ...)."""
        if job.in_ready_queue:
            job.in_ready_queue = False
            self._counts[job.job_type] -= 1
            self._stale += 1
            if self._stale > 4096:
                self.compact()

    def count(self, job_type: str) -> int:
        """How many jobs of the type are activatable."""
        return self._counts.get(job_type, 0)

    def pop(self, job_type: str, tenant_ids: Iterable[str] | None, limit: int) -> list[JobRecord]:
        """Take up to ``limit`` activatable jobs of a type, lowest key first.

        Args:
            job_type: the job type.
            tenant_ids: the tenants to take from; ``None`` for every tenant.
            limit: the most jobs to take.

        Returns:
            The jobs, removed from the queue (the caller activates them).
        """
        if self._counts.get(job_type, 0) <= 0:
            return []
        by_tenant = self._heaps.get(job_type, {})
        heaps = [
            heap
            for tenant, heap in by_tenant.items()
            if heap and (tenant_ids is None or tenant in tenant_ids)
        ]
        taken: list[JobRecord] = []
        while heaps and len(taken) < limit:
            index = 0 if len(heaps) == 1 else min(range(len(heaps)), key=lambda i: heaps[i][0])
            heap = heaps[index]
            job = self._jobs.get(heapq.heappop(heap))
            if not heap:
                del heaps[index]
            if job is None or not job.in_ready_queue:
                self._stale = max(0, self._stale - 1)
                continue
            job.in_ready_queue = False
            self._counts[job_type] -= 1
            taken.append(job)
        return taken

    def compact(self) -> None:
        """Drop stale keys from every heap (keeps memory flat when jobs leave without activation)."""
        self._stale = 0
        for job_type, by_tenant in list(self._heaps.items()):
            for tenant, heap in list(by_tenant.items()):
                live = [key for key in heap if (job := self._jobs.get(key)) and job.in_ready_queue]
                if live:
                    heapq.heapify(live)
                    by_tenant[tenant] = live
                else:
                    del by_tenant[tenant]
            if not by_tenant:
                del self._heaps[job_type]

    def size(self) -> int:
        """The number of queued keys, stale ones included."""
        return sum(len(heap) for by_tenant in self._heaps.values() for heap in by_tenant.values())

    def job_types(self) -> Iterator[str]:
        """The job types with at least one activatable job."""
        return (job_type for job_type, count in self._counts.items() if count > 0)
