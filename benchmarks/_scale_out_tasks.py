"""The task module ``benchmarks.scale_out`` runs with ``camunda-worker run``: CPU-bound, sync.

Its job type comes from ``SCALE_OUT_JOB_TYPE`` (one per measured run), its work from
``BENCH_CPU_LOOPS`` (calibrated by the harness, the same in every process).
"""

from __future__ import annotations

import os
from typing import Any

import camunda_worker
from benchmarks._handlers import cpu_sync


@camunda_worker.task(os.environ.get("SCALE_OUT_JOB_TYPE", "scale-out"), strategy="thread")
def burn_cpu(job: Any) -> dict[str, int]:
    """About 10 ms of pure-Python work, holding the GIL."""
    return cpu_sync(job)
