"""Running a blocking call (a pool shutdown) without blocking the event loop, and leaving no thread.

``anyio.to_thread`` and the loop's default executor keep idle threads around after the call;
a worker that is created and closed a thousand times must leave none. So each call gets its own
short-lived thread, joined once the call returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable

__all__ = ["current_worker", "handler_owner", "mark_handler_thread", "run_blocking"]

_thread_local = threading.local()

current_worker: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "camunda_worker_current_worker", default=None
)
"""The worker whose job the current task handles (set in each job's task)."""


def mark_handler_thread(owner: object | None) -> None:
    """Note (or clear) that this thread runs a handler of the worker ``owner``."""
    _thread_local.worker = owner


def handler_owner() -> object | None:
    """The worker whose handler runs in this thread or task, if any."""
    owner = getattr(_thread_local, "worker", None)
    return owner if owner is not None else current_worker.get()


async def run_blocking(fn: Callable[[], object], *, name: str) -> None:
    """Call ``fn()`` in a new thread and wait for it without blocking the loop.

    Args:
        fn: the blocking call; its exceptions are re-raised here.
        name: the thread's name.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def report(error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def target() -> None:
        error: BaseException | None = None
        try:
            fn()
        except BaseException as raised:  # noqa: BLE001 - handed to the awaiting task
            error = raised
        # The loop may have closed while we worked: then nobody waits any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(report, error)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    await done
    thread.join()
