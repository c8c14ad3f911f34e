"""Module-level handlers for the deadline and handler-exception fault tests.

Module level so that the ``process`` strategy can send them to its child processes.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

#: The exceptions a handler may raise that are not :class:`Exception` (or, for
#: ``CancelledError``, that asyncio uses to cancel tasks).
BASE_EXCEPTIONS = ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "CancelledError")


def _exception(name: str) -> BaseException:
    if name == "SystemExit":
        return SystemExit(3)
    if name == "KeyboardInterrupt":
        return KeyboardInterrupt()
    if name == "GeneratorExit":
        return GeneratorExit()
    if name == "CancelledError":
        return asyncio.CancelledError()
    raise ValueError(name)


def complete(job: Any) -> dict[str, Any]:
    return {"done": True}


async def complete_async(job: Any) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"done": True}


def raise_named(job: Any) -> dict[str, Any]:
    """Raise the exception named by the job's ``raise`` variable; complete without one."""
    name = job.variables.get("raise")
    if name:
        raise _exception(name)
    return {"done": True}


async def raise_named_async(job: Any) -> dict[str, Any]:
    """The async twin of :func:`raise_named` (raising after a real suspension point)."""
    await asyncio.sleep(0)
    name = job.variables.get("raise")
    if name:
        raise _exception(name)
    return {"done": True}


def sleep_and_tell(job: Any) -> dict[str, Any]:
    """Write this process's pid to the job's ``pid_file``, then sleep for ``sleep`` seconds."""
    with open(job.variables["pid_file"], "w", encoding="utf-8") as file:
        file.write(str(os.getpid()))
    time.sleep(float(job.variables["sleep"]))
    return {"pid": os.getpid()}
