"""Single flight: one token request in progress, awaited by threads and event loops alike."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio.to_thread

if TYPE_CHECKING:
    from camunda_worker._auth.token_cache import CachedToken

__all__ = ["Flight"]


class Flight:
    """A token request in progress; the caller that started it calls :meth:`finish`.

    Threads wait with :meth:`wait`; coroutines wait with :meth:`wait_async`, which wakes their
    own event loop from whichever thread finishes the flight (no thread is parked per waiter).

    Attributes:
        token: the token, once the flight succeeded.
        error: the exception, once the flight failed.
    """

    def __init__(self) -> None:
        self.token: CachedToken | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._wakers: list[Callable[[], None]] = []

    def finish(self, token: CachedToken | None, error: BaseException | None) -> None:
        """Record the outcome and wake every waiter."""
        with self._lock:
            self.token, self.error = token, error
            self._done.set()
            wakers, self._wakers = self._wakers, []
        for wake in wakers:
            wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Block the calling thread until the flight is over; ``False`` on timeout."""
        return self._done.wait(timeout)

    async def wait_async(self) -> None:
        """Wait for the flight without blocking the event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): park a worker thread instead
            await anyio.to_thread.run_sync(self._done.wait)
            return
        future: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            # RuntimeError: that loop is closed, so nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, future)

        with self._lock:
            if self._done.is_set():
                return
            self._wakers.append(wake)
        await future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
