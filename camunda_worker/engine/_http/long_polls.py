"""Long waits of the HTTP layer (job activation, ``awaitCompletion``) and how they end early.

A long poll ends on its own (jobs came, the request timeout passed), or early:

* the client went away: its connection closed (the server reports ``http.disconnect``), so the
  wait is cancelled and takes no job with it (the engine's waits are cancellation-safe);
* the server shuts down: :meth:`LongPolls.end_all` answers every waiting poll at once
  (activations with ``{"jobs": []}``) instead of letting the connection be cut.

Polls are tracked per asyncio task, so :meth:`LongPolls.end_all` works from any thread and for
polls in any event loop. Under trio (possible through the async in-process transport) a poll
still ends on disconnect and on its own, but :meth:`LongPolls.end_all` cannot end it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

__all__ = ["LongPolls"]

T = TypeVar("T")
Receive = Callable[[], Awaitable[dict[str, Any]]]
_Entry = tuple[asyncio.AbstractEventLoop, "asyncio.Task[Any]"]


class LongPolls:
    """The long polls waiting in one app."""

    def __init__(self) -> None:
        self._waiting: set[_Entry] = set()
        self._ended: set[_Entry] = set()

    async def guard(
        self,
        waiting: Awaitable[T],
        *,
        closed: Callable[[], T],
        receive: Receive | None = None,
    ) -> T:
        """Await ``waiting``, unless the client disconnects or :meth:`end_all` ends it first.

        Args:
            waiting: the engine's awaitable.
            closed: gives the answer when the wait ended early.
            receive: the request's ASGI ``receive``, watched for ``http.disconnect``.

        Returns:
            What ``waiting`` returned, or ``closed()``.
        """
        if receive is None:
            return await self._endable(waiting, closed)
        outcome: list[T] = []
        failure: list[Exception] = []
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                message = await receive()
                if message["type"] == "http.disconnect":
                    group.cancel_scope.cancel()

            group.start_soon(watch)
            try:
                outcome.append(await self._endable(waiting, closed))
            except Exception as error:  # noqa: BLE001 - raised below, not as an ExceptionGroup
                failure.append(error)
            group.cancel_scope.cancel()
        if failure:  # e.g. the 504 of an awaited instance that did not complete in time
            raise failure[0]
        return outcome[0] if outcome else closed()

    async def _endable(self, waiting: Awaitable[T], closed: Callable[[], T]) -> T:
        try:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
        except RuntimeError:  # not asyncio: cannot be ended from outside
            return await waiting
        if task is None:  # pragma: no cover - always inside a task
            return await waiting
        entry = (loop, task)
        self._waiting.add(entry)
        try:
            return await waiting
        except asyncio.CancelledError:
            if entry not in self._ended:
                raise
            uncancel = getattr(task, "uncancel", None)  # Python >= 3.11
            if uncancel is not None:
                uncancel()
            return closed()
        finally:
            self._waiting.discard(entry)
            self._ended.discard(entry)

    def end_all(self) -> None:
        """End every waiting long poll now. Safe to call from any thread."""
        for entry in list(self._waiting):
            with contextlib.suppress(RuntimeError):  # RuntimeError: that loop is closed
                entry[0].call_soon_threadsafe(self._end, entry)

    def _end(self, entry: _Entry) -> None:
        # Runs in the poll's own loop: the poll is either still waiting or already gone.
        if entry in self._waiting:
            self._ended.add(entry)
            entry[1].cancel()

    def __len__(self) -> int:
        return len(self._waiting)
