"""Results of other threads handed to an event loop in batches: one wake-up for all that are ready.

The thread strategy's pool threads and the process strategy's executor thread finish jobs one by
one; handing each result to the loop with ``call_soon_threadsafe`` costs a write to the loop's
wake-up pipe and a loop wake-up per job. A :class:`ResultHandback` queues them and wakes the
loop once for every result that is ready by the time it runs.
"""

from __future__ import annotations

import asyncio
import collections
import threading
from typing import Protocol

__all__ = ["ResultHandback", "Settles"]


class Settles(Protocol):
    """A finished piece of work whose :meth:`settle` runs on the loop."""

    def settle(self) -> None:
        """On the loop: hand the result to whoever waits for it."""


class ResultHandback:
    """Results of pool threads handed to the event loop in batches.

    A thread that finishes a call queues it and wakes the loop only when no wake-up is pending
    already: the loop then settles every call that is ready in one callback. With N handlers
    ending while the loop is busy, that is one ``call_soon_threadsafe`` (one write to the loop's
    wake-up pipe, one callback) instead of N.

    Args:
        loop: the loop whose futures the calls settle.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._ready: collections.deque[Settles] = collections.deque()
        self._lock = threading.Lock()
        self._scheduled = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the results go to."""
        return self._loop

    def put(self, call: Settles) -> bool:
        """Queue ``call`` (finished) for the loop; any thread.

        Returns:
            ``False`` when the loop is closed: the worker is gone, nobody settles ``call``.
        """
        if self._loop.is_closed():
            return False
        self._ready.append(call)
        with self._lock:
            if self._scheduled:
                return True
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # closed meanwhile
            return False
        return True

    def _deliver(self) -> None:
        with self._lock:
            self._scheduled = False  # from here on, a call that ends wakes the loop again
        ready = self._ready
        while ready:
            ready.popleft().settle()
