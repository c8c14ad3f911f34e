"""Time-based job transitions: deadlines of activated jobs and ends of retry back-offs.

One heap of ``(due_ms, sequence, job_key, generation)``. A timer is stale when its job's
``timer_generation`` moved on (completed, re-activated, deadline updated, ...); stale timers are
skipped when due, and the heap is rebuilt when they outnumber live ones, so memory stays flat.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from camunda_worker.engine._runtime.jobs import JobRecord

__all__ = ["TimerQueue"]


class TimerQueue:
    """A min-heap of job timers with lazy invalidation.

    Attributes:
        on_earlier: called (under the engine's lock) when a timer is armed that is due before
            ``watch_ms`` (or while ``watch_ms`` is ``None``): the real-time task's wake-up.
        watch_ms: when whoever set ``on_earlier`` next wakes up anyway.
    """

    def __init__(self, jobs: dict[int, JobRecord]) -> None:
        self._jobs = jobs
        self._heap: list[tuple[int, int, int, int]] = []
        self._sequence = itertools.count()
        self._stale = 0
        self.on_earlier: Callable[[], None] | None = None
        self.watch_ms: int | None = None

    def schedule(self, job: JobRecord, due_ms: int) -> None:
        """Arm a timer for the job; any older timer of the job becomes stale."""
        if self.on_earlier is not None and (self.watch_ms is None or due_ms < self.watch_ms):
            self.watch_ms = due_ms
            self.on_earlier()
        self.invalidate(job)
        job.timer_armed = True
        heapq.heappush(self._heap, (due_ms, next(self._sequence), job.key, job.timer_generation))

    def next_due_ms(self) -> int | None:
        """When the earliest live timer is due, or ``None`` without one.

        Stale timers on top of the heap are dropped on the way, so a waiting long poll never
        wakes for the deadline of a job that was completed long ago.
        """
        heap = self._heap
        jobs = self._jobs
        while heap:
            _, _, key, generation = heap[0]
            job = jobs.get(key)
            if job is not None and job.timer_generation == generation:
                return heap[0][0]
            heapq.heappop(heap)
            self._stale = max(0, self._stale - 1)
        return None

    def pop_due(self, now_ms: int) -> list[JobRecord]:
        """Remove and return the jobs whose live timers are due at ``now_ms``, earliest first."""
        due: list[JobRecord] = []
        heap = self._heap
        jobs = self._jobs
        while heap and heap[0][0] <= now_ms:
            _, _, key, generation = heapq.heappop(heap)
            job = jobs.get(key)
            if job is not None and job.timer_generation == generation:
                job.timer_generation += 1
                job.timer_armed = False
                due.append(job)
            else:
                self._stale = max(0, self._stale - 1)
        return due

    def invalidate(self, job: JobRecord) -> None:
        """Make the job's current timer (if any) stale."""
        job.timer_generation += 1
        if job.timer_armed:
            job.timer_armed = False
            self._stale += 1
            if self._stale > 1024 and self._stale > len(self._heap) // 2:
                self._compact()

    def _compact(self) -> None:
        jobs = self._jobs
        self._heap = [
            entry
            for entry in self._heap
            if (job := jobs.get(entry[2])) is not None and job.timer_generation == entry[3]
        ]
        heapq.heapify(self._heap)
        self._stale = 0

    def __len__(self) -> int:
        return len(self._heap)
