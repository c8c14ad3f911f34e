"""Clocks of the in-memory engine: the system's, or a manual one tests move by hand.

Job deadlines, retry back-offs and every timestamp the engine reports are read from its clock.
With a :class:`ManualClock` a test passes a job timeout or a back-off without sleeping:
``clock.advance(30_000)`` moves time and makes every engine that uses the clock re-evaluate its
deadlines and back-offs at once (jobs become activatable and waiting long polls receive them).

The long-poll request timeout (``requestTimeout`` of job activation) is not engine time: it always
runs on the real monotonic clock, also under a :class:`ManualClock`, so a waiting poll still ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["DEFAULT_MANUAL_EPOCH_MS", "Clock", "ManualClock", "SystemClock"]

#: Where a :class:`ManualClock` starts unless told otherwise: 2025-01-01T00:00:00Z.
DEFAULT_MANUAL_EPOCH_MS = 1_735_689_600_000


@runtime_checkable
class Clock(Protocol):
    """What the engine needs from a clock: the current time in epoch milliseconds."""

    def now_ms(self) -> int:
        """Return the current time as milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The wall clock (``time.time``): time passes on its own."""

    def now_ms(self) -> int:
        """Return the current wall-clock time in epoch milliseconds."""
        return time.time_ns() // 1_000_000

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to; thread-safe.

    Engines built with this clock subscribe to it: every :meth:`advance` or :meth:`set` makes them
    time out expired jobs, end elapsed retry back-offs and wake waiting long polls right away.

    Args:
        epoch_ms: the starting time in epoch milliseconds (default 2025-01-01T00:00:00Z).
    """

    def __init__(self, epoch_ms: int = DEFAULT_MANUAL_EPOCH_MS) -> None:
        self._lock = threading.Lock()
        self._now = int(epoch_ms)
        self._listeners: dict[int, Callable[[], None]] = {}
        self._next_listener = 0

    def now_ms(self) -> int:
        """Return the clock's current time in epoch milliseconds."""
        with self._lock:
            return self._now

    def advance(self, milliseconds: int) -> None:
        """Move time forward and let subscribed engines re-evaluate timeouts and back-offs.

        Args:
            milliseconds: how far to move; must not be negative.

        Raises:
            ValueError: when ``milliseconds`` is negative.
        """
        if milliseconds < 0:
            msg = f"a ManualClock only moves forward, got advance({milliseconds})"
            raise ValueError(msg)
        with self._lock:
            self._now += int(milliseconds)
        self._notify()

    def set(self, epoch_ms: int) -> None:
        """Jump to the given time (also backwards) and let subscribed engines re-evaluate.

        Args:
            epoch_ms: the new time in epoch milliseconds.
        """
        with self._lock:
            self._now = int(epoch_ms)
        self._notify()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change of time; returns a function that unsubscribes.

        Args:
            listener: called without arguments, outside the clock's lock, on the changing thread.
        """
        with self._lock:
            token = self._next_listener
            self._next_listener += 1
            self._listeners[token] = listener

        def unsubscribe() -> None:
            with self._lock:
                self._listeners.pop(token, None)

        return unsubscribe

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners.values())
        for listener in listeners:
            listener()

    def __repr__(self) -> str:
        return f"ManualClock(epoch_ms={self.now_ms()})"
