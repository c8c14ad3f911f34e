"""The handler module ``camunda-worker run --processes N`` serves in the scale-out benchmark.

One CPU-bound sync handler (:func:`benchmarks._handlers.cpu_sync`) for the job type in
``BENCH_JOB_TYPE``, in the thread strategy with ``BENCH_MAX_CONCURRENT_JOBS`` in flight: one
process is held to one core by the GIL, so a second process is what can use the second core.
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks._handlers import cpu_sync
from camunda_worker import task


@task(
    os.environ.get("BENCH_JOB_TYPE", "bench-scale-out"),
    strategy="thread",
    max_concurrent_jobs=int(os.environ.get("BENCH_MAX_CONCURRENT_JOBS", "32")),
)
def burn(job: Any) -> dict[str, int]:
    """About 10 ms of pure-Python work, then completes with its result."""
    return cpu_sync(job)
