"""Calling a handler and turning how it ended into an :data:`~._outcomes.Outcome`.

Shared by every strategy: on the event loop (:func:`invoke_async`), in a pool thread and in a
child process (:func:`invoke_sync`). The conversion (JSON check of the result, traceback
formatting) happens where the handler ran, so a thread or a child does that work, not the loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

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

    Cancellation is not caught: a cancelled handler has no outcome.

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
    except Exception as error:  # noqa: BLE001 - every handler error becomes a failure
        if tracker.acknowledged:
            return _ACKNOWLEDGED
        return outcome_from_exception(error, retries=retries, retry_back_off=retry_back_off)
    if tracker.acknowledged:
        return _ACKNOWLEDGED
    return outcome_from_result(result, retries=retries)


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
