"""Running several workers together in this thread, one event loop, until a signal.

``run_workers(orders, invoices)`` is what a worker process's ``main`` calls: every worker polls
on the same loop (so they may share one client), SIGINT and SIGTERM make all of them drain, a
second signal abandons the drain, and the first error that stopped a worker is raised once all
have stopped, so the process exits non-zero.

Abandoning the drain does not wait for any handler: the jobs still in flight are reported,
counted (``stats.abandoned``) and left to time out, and the call returns (see
:meth:`~._runtime.WorkerRuntime.abandon`).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from camunda_worker.worker._worker import JobWorker

__all__ = ["run_workers", "serve_workers"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_workers(*workers: JobWorker) -> None:
    """Run ``workers`` in this thread until SIGINT/SIGTERM or until all stop, then drain.

    Args:
        *workers: workers that were not started yet (each for its own job type).

    Raises:
        RuntimeError: a worker was already started or is closed.
        Exception: the error that stopped the first failed worker, after all have stopped.
    """
    asyncio.run(serve_workers(*workers, handle_signals=True))


async def serve_workers(*workers: JobWorker, handle_signals: bool = False) -> None:
    """Run ``workers`` in the current event loop until all have stopped.

    Args:
        *workers: workers that were not started yet.
        handle_signals: drain on SIGINT/SIGTERM (only possible in the main thread); a second
            signal abandons the drain: jobs still in flight are abandoned at once.

    Raises:
        RuntimeError: a worker was already started or is closed.
        Exception: the error that stopped the first failed worker, after all have stopped.
    """
    for worker in workers:
        worker._claim()  # the group is part of the life cycle
    loop = asyncio.get_running_loop()
    signals = 0
    installed: list[signal.Signals] = []
    try:
        async with anyio.create_task_group() as group:

            def on_signal() -> None:
                nonlocal signals
                signals += 1
                if signals == 1:
                    for worker in workers:
                        worker.stop()
                else:  # a second signal: stop waiting for in-flight jobs
                    for worker in workers:
                        worker._abandon("a second signal")

            if handle_signals:
                installed = _install(loop, on_signal)
            for worker in workers:
                group.start_soon(worker._serve)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    errors = [worker.error for worker in workers if worker.error is not None]
    if errors:
        raise errors[0]


def _install(loop: asyncio.AbstractEventLoop, handler: Callable[[], None]) -> list[signal.Signals]:
    if threading.current_thread() is not threading.main_thread():
        return []
    installed = []
    for sig in _SIGNALS:
        try:
            loop.add_signal_handler(sig, handler)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - Windows
            continue
        installed.append(sig)
    return installed
