"""The handlers the benchmarks run: no-op, I/O-bound (50 ms sleep) and CPU-bound (~10 ms).

Module-level functions, so the ``process`` strategy can pickle them. The CPU-bound handler's
loop count is calibrated once by the harness (:func:`calibrate`) and reaches every process
through the ``BENCH_CPU_LOOPS`` environment variable, so thread and process strategies run
exactly the same work.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

IO_SECONDS = 0.05
CPU_SECONDS = 0.01
_CPU_LOOPS = int(os.environ.get("BENCH_CPU_LOOPS", "20000"))


async def noop_async(job: Any) -> None:
    """Completes the job at once, on the event loop."""


def noop_sync(job: Any) -> None:
    """Completes the job at once, in a thread or a child process."""


async def io_async(job: Any) -> None:
    """Waits 50 ms without using the CPU (an HTTP call to another service, say)."""
    await asyncio.sleep(IO_SECONDS)


def io_sync(job: Any) -> None:
    """Waits 50 ms in its thread."""
    time.sleep(IO_SECONDS)


def burn(loops: int) -> int:
    """Pure-Python work that holds the GIL: ``loops`` rounds of integer arithmetic."""
    total = 0
    for index in range(loops):
        total = (total + index * index) % 1_000_003
    return total


def cpu_sync(job: Any) -> dict[str, int]:
    """About 10 ms of pure-Python work (calibrated), then completes with its result."""
    return {"checksum": burn(_CPU_LOOPS)}


HANDLERS = {
    "noop_async": noop_async,
    "noop_sync": noop_sync,
    "io_async": io_async,
    "io_sync": io_sync,
    "cpu_sync": cpu_sync,
}


def calibrate(seconds: float = CPU_SECONDS) -> int:
    """The loop count of :func:`burn` that takes ``seconds`` here (best of a few tries)."""
    loops = 20_000
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        burn(loops)
        best = min(best, time.perf_counter() - started)
    return max(1, round(loops * seconds / best))
