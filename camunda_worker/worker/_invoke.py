"""Calling a handler and turning how it ended into an :data:`~._outcomes.Outcome`.

Shared by every strategy: on the event loop (:func:`invoke_async`), in a pool thread and in a
child process (:func:`invoke_sync`). The conversion (JSON check of the result, traceback
formatting) happens where the handler ran, so a thread or a child does that work, not the loop.

Whatever a handler raises is its job's failure, ``BaseException`` included: ``SystemExit``
(``sys.exit()`` in a handler), ``KeyboardInterrupt`` and ``GeneratorExit`` raised by the handler
fail its job (one retry fewer, the message names the exception) and the worker goes on with
other jobs, whichever the strategy. Stopping is the runner's business: a real Ctrl-C or SIGTERM
reaches ``run()``, ``run_workers`` and the CLI as a signal, which drains the worker. The one
exception that passes through is the cancellation of the handler by the worker (the drain
timeout, a cancelled worker task); a ``CancelledError`` the handler raises while nobody cancels
it (e.g. it awaited a future someone else cancelled) is a failure like any other.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import anyio
import attrs

from camunda_worker.worker._outcomes import (
    Acknowledged,
    Outcome,
    outcome_from_exception,
    outcome_from_result,
)

__all__ = ["PendingAwaitable", "invoke_async", "invoke_sync", "settle"]

_ACKNOWLEDGED = Acknowledged()


@attrs.frozen
class PendingAwaitable:
    """A handler run as sync returned an awaitable: the worker awaits it on its event loop."""

    awaitable: Awaitable[Any]


class _Acknowledges(Protocol):
    """Anything with an ``acknowledged`` flag (the tracking client of the handler's context)."""

    @property
    def acknowledged(self) -> bool:
        """Whether the handler acknowledged its own job."""


def invoke_sync(
    callback: Callable[[Any], Any],
    context: object,
    tracker: _Acknowledges,
    *,
    retries: int,
    retry_back_off: int,
) -> Outcome | PendingAwaitable:
    """Call a handler that runs in this thread, and say how its job ends.

    Every exception is caught, ``SystemExit`` included: a handler that calls ``sys.exit()`` in a
    pool thread or a child fails its own job, it does not stop the worker.

    Args:
        callback: the handler.
        context: the context to pass it.
        tracker: the context's client, which knows whether the handler acknowledged its job.
        retries: the job's retries.
        retry_back_off: back-off (ms) after an unexpected exception.

    Returns:
        The outcome, or :class:`PendingAwaitable` when the handler returned an awaitable.
    """
    try:
        result = callback(context)
    except BaseException as error:  # noqa: BLE001 - see the docstring
        if tracker.acknowledged:
            return _ACKNOWLEDGED
        return outcome_from_exception(error, retries=retries, retry_back_off=retry_back_off)
    if tracker.acknowledged:
        return _ACKNOWLEDGED
    if inspect.isawaitable(result):
        return PendingAwaitable(result)
    return outcome_from_result(result, retries=retries)


async def invoke_async(
    callback: Callable[[Any], Any],
    context: object,
    tracker: _Acknowledges,
    *,
    retries: int,
    retry_back_off: int,
) -> Outcome:
    """Call a handler on the event loop (awaiting what it returns), and say how its job ends.

    Every exception is caught, ``BaseException`` included (see the module docstring), except
    the cancellation of this task: a handler the worker cancels has no outcome.

    Args:
        callback: the handler.
        context: the context to pass it.
        tracker: the context's client, which knows whether the handler acknowledged its job.
        retries: the job's retries.
        retry_back_off: back-off (ms) after an unexpected exception.

    Returns:
        The outcome.
    """
    try:
        result = callback(context)
        if inspect.isawaitable(result):
            result = await result
    except BaseException as error:
        if isinstance(error, asyncio.CancelledError) and _being_cancelled():
            raise
        if tracker.acknowledged:
            return _ACKNOWLEDGED
        return outcome_from_exception(error, retries=retries, retry_back_off=retry_back_off)
    if tracker.acknowledged:
        return _ACKNOWLEDGED
    return outcome_from_result(result, retries=retries)


def _being_cancelled() -> bool:
    """Whether the current task is being cancelled (rather than its handler raising the error).

    True when ``task.cancel()`` was called on it (Python 3.11+ counts those) or when a cancel
    scope around it was cancelled (anyio's worker task groups, every Python version).
    """
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)  # Python 3.11+
    if cancelling is not None and cancelling() > 0:
        return True
    return anyio.current_effective_deadline() == -math.inf


async def settle(
    outcome: Outcome | PendingAwaitable,
    tracker: _Acknowledges,
    *,
    retries: int,
    retry_back_off: int,
) -> Outcome:
    """Await a :class:`PendingAwaitable` on the loop; pass any other outcome through.

    Args:
        outcome: what :func:`invoke_sync` returned.
        tracker: the context's client.
        retries: the job's retries.
        retry_back_off: back-off (ms) after an unexpected exception.

    Returns:
        The final outcome.
    """
    if not isinstance(outcome, PendingAwaitable):
        return outcome
    awaitable = outcome.awaitable
    return await invoke_async(
        lambda _context: awaitable, None, tracker, retries=retries, retry_back_off=retry_back_off
    )
