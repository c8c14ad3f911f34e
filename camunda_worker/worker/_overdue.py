"""Handlers still running after their job's deadline: noticed, logged, counted.

Camunda gives a job back to the activatable ones once its deadline passes: another worker (or
this one) may then activate it again, and this handler's completion is accepted only if nobody
did. Meanwhile the slot stays taken (no strategy can end a handler safely from outside), so a
handler that hangs shrinks the worker for good, and one hanging in every slot stops it from
activating anything. Nothing in the job's path would say so: :func:`watch_overdue` looks once a
second (while the worker polls, and while it drains), warns when a handler becomes overdue with
what to do about it, and keeps ``stats.overdue_handlers`` (which the health check's readiness
reads) up to date.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from camunda_worker._base.logs import JobLogger
    from camunda_worker.worker._capacity import Capacity

__all__ = ["OVERDUE_CHECK_INTERVAL", "watch_overdue"]

OVERDUE_CHECK_INTERVAL = 1.0
"""Seconds between two looks for overdue handlers (a handler is noticed at most this late)."""


async def watch_overdue(
    capacity: Capacity,
    log: JobLogger,
    *,
    job_timeout_ms: int,
    interval: float = OVERDUE_CHECK_INTERVAL,
) -> None:
    """Mark and report overdue handlers every ``interval`` seconds, until cancelled.

    Args:
        capacity: the worker's slots.
        log: the worker's logger (a warning each time a handler becomes overdue).
        job_timeout_ms: the job timeout the worker activates with, for the warning.
        interval: seconds between two looks.
    """
    while True:
        await anyio.sleep(interval)
        now = time.monotonic()
        for slot in capacity.mark_overdue(now):
            late = now - slot.deadline.monotonic if slot.deadline is not None else 0.0
            log.warning(
                f"the handler of job {slot.job.job_key} is still running {late:.1f} s past the "
                f"job's deadline (job timeout {job_timeout_ms} ms): the job may be activated "
                "again meanwhile, and its slot stays taken until the handler returns "
                f"({capacity.overdue} of {capacity.maximum} slot(s) now); raise the job "
                "timeout or turn on auto_extend_timeout if the handler is only slow"
            )
