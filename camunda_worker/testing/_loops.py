"""Running a coroutine to its end from sync test code, whether or not this thread runs a loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["in_running_loop", "run_coroutine"]

T = TypeVar("T")


def in_running_loop() -> bool:
    """Whether this thread runs an event loop right now."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``make()``'s coroutine to its end in a fresh event loop and return its result.

    The loop runs in this thread, or in a short-lived thread of its own when this thread already
    runs one (sync test helpers called from async tests); its exception is re-raised here.
    """
    if not in_running_loop():
        return asyncio.run(make())
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(make()))
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller
            errors.append(error)

    thread = threading.Thread(target=target, name="camunda-worker testing loop")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]
