"""Running several workers together in this thread, one event loop, until a signal.

This is the mechanism behind :func:`~camunda_worker.run_workers` and
:func:`~camunda_worker.serve_workers` (defined with the worker, which hands each of its life-cycle
steps to the group as a :class:`GroupMember`, so this module needs nothing of the worker's).

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
import contextlib
import signal
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio
import attrs

from camunda_worker.worker._gc import larger_young_generation

__all__ = ["GroupMember", "run_group", "serve_group"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@attrs.frozen
class GroupMember:
    """What the group does with one worker: its life-cycle steps, as the worker hands them over.

    Attributes:
        claim: marks the worker started (raises if it was started or is closed).
        unclaim: undoes ``claim`` when the group cannot start (another member refused).
        serve: serves until the worker stops.
        stop: asks for a drain.
        abandon: ends the drain at once, with the reason to report.
        error: the error that stopped the worker, if any.
    """

    claim: Callable[[], None]
    unclaim: Callable[[], None]
    serve: Callable[[], Coroutine[Any, Any, None]]
    stop: Callable[[], None]
    abandon: Callable[[str], None]
    error: Callable[[], BaseException | None]


def run_group(members: Sequence[GroupMember]) -> None:
    """Serve ``members`` in a new event loop in this thread, draining on SIGINT/SIGTERM."""
    asyncio.run(serve_group(members, handle_signals=True))


async def serve_group(members: Sequence[GroupMember], *, handle_signals: bool = False) -> None:
    """Serve ``members`` in the current event loop until all have stopped.

    Args:
        members: the workers, not started yet.
        handle_signals: drain on SIGINT/SIGTERM (only possible in the main thread); a second
            signal abandons the drain: jobs still in flight are abandoned at once.

    Raises:
        RuntimeError: a worker was already started or is closed.
        Exception: the error that stopped the first failed worker, after all have stopped.
    """
    claimed: list[GroupMember] = []
    try:
        for member in members:
            member.claim()  # the group is part of the life cycle
            claimed.append(member)
    except BaseException:
        # One refused (started already, closed, or given twice): the group never runs, and
        # the others are left as they were, to be run, started or closed later.
        for member in claimed:
            member.unclaim()
        raise
    loop = asyncio.get_running_loop()
    signals = 0
    installed: list[signal.Signals] = []
    tuning = contextlib.ExitStack()
    try:
        async with anyio.create_task_group() as group:

            def on_signal() -> None:
                nonlocal signals
                signals += 1
                if signals == 1:
                    for member in members:
                        member.stop()
                else:  # a second signal: stop waiting for in-flight jobs
                    for member in members:
                        member.abandon("a second signal")

            if handle_signals:
                installed = _install(loop, on_signal)
            if installed:  # the group owns the process: its collector too (see _gc)
                tuning.enter_context(larger_young_generation())
            for member in members:
                group.start_soon(member.serve)
    finally:
        tuning.close()
        for sig in installed:
            loop.remove_signal_handler(sig)
    errors = [error for member in members if (error := member.error()) is not None]
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
