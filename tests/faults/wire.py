"""Helpers of the fault tests about the wire: event loop implementations, the order model.

:data:`LOOPS` names the asyncio event loop implementations the worker must run on: the default
loop and uvloop (what uvicorn picks whenever it is installed). :func:`run_on` runs a coroutine
to its end on a new loop of one of them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
from testing.bpmn import ORDER_BPMN

__all__ = ["LOOPS", "ORDER_BPMN", "eventually", "loop_factory", "run_on"]

T = TypeVar("T")

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

_UVLOOP = importlib.util.find_spec("uvloop") is not None


def _open_uvloop_pipe() -> None:
    # uvloop's first loop opens a pipe that stays open for the life of the process (libuv's,
    # shared by every later loop). Opened here, before any test, the leak guard does not take
    # it for a descriptor a test left behind.
    import uvloop  # only where it is installed

    uvloop.new_event_loop().close()


if _UVLOOP:
    _open_uvloop_pipe()


def loop_factory(name: str) -> LoopFactory:
    """The factory of new event loops called ``name`` (``asyncio`` or ``uvloop``)."""
    if name == "asyncio":
        return asyncio.new_event_loop
    import uvloop  # only where it is installed

    return uvloop.new_event_loop


LOOPS = [
    pytest.param("asyncio", id="asyncio"),
    pytest.param(
        "uvloop",
        id="uvloop",
        marks=pytest.mark.skipif(
            not _UVLOOP, reason="uvloop is not installed (no uvloop on Windows or PyPy)"
        ),
    ),
]
"""``parametrize`` values: every event loop implementation the worker is tested on."""


def run_on(name: str, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``make()`` to its end on a new event loop of implementation ``name``; close the loop."""
    loop = loop_factory(name)()
    try:
        return loop.run_until_complete(make())
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


async def eventually(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """Wait until ``condition()`` holds, up to ``limit`` seconds (generous: an end state)."""
    give_up = time.monotonic() + limit
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"the awaited end state never came within {limit} s")
        await asyncio.sleep(0.01)
