"""The garbage collector's young generation, made larger while a worker owns the process.

Every job a worker runs allocates some tens of container objects (its task and coroutines, its
context, its deadline and slot, the parsed job) that live exactly as long as the job. CPython's
collector passes over the young generation every 700 net allocations of such objects: with a
few jobs in flight, each one ends before a pass sees it; with hundreds in flight for tens of
milliseconds each (an I/O-bound handler), every job's objects survive several passes, are
promoted, and are traversed again by the older generations' passes until a full collection
frees them. Measured (``benchmarks``, async worker, 512 jobs in flight, handler sleeping 50 ms):
the collector took about a fifth of the worker's CPU; a young generation of 10,000 objects gave
11-17 % more jobs per second, and nothing measurable with a no-op handler.

So the runners that own the process (the ones that handle its signals: ``JobWorker.run()``,
``run_workers``, ``serve_workers(handle_signals=True)`` in the main thread, and
``camunda-worker run``) raise the young generation's threshold for as long as they run, and put
it back afterwards. Only the interpreter's default is changed: a process that set its own
thresholds (or disabled the collector) keeps them.
"""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["DEFAULT_THRESHOLDS", "WORKER_YOUNG_THRESHOLD", "larger_young_generation"]

DEFAULT_THRESHOLDS = (700, 10, 10)
"""CPython's thresholds (3.10 to 3.13) when nobody changed them: the only ones changed here."""

WORKER_YOUNG_THRESHOLD = 10_000
"""The young generation's threshold while a worker owns the process."""


@contextlib.contextmanager
def larger_young_generation() -> Iterator[None]:
    """Raise the young generation's threshold for the block, if it is still the default.

    The thresholds are put back on exit unless someone changed them in the meantime.
    """
    before = gc.get_threshold()
    if before != DEFAULT_THRESHOLDS or not gc.isenabled():
        yield
        return
    during = (WORKER_YOUNG_THRESHOLD, *before[1:])
    gc.set_threshold(*during)
    try:
        yield
    finally:
        if gc.get_threshold() == during:  # a handler that set its own keeps it
            gc.set_threshold(*before)
