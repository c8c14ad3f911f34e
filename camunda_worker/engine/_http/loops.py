"""Which event loop the engine's server runs on: asyncio's own, or uvloop when installed.

As uvicorn's ``--loop auto`` does, ``"auto"`` picks uvloop when it can be imported (the
``camunda-worker[fast]`` extra installs it on CPython outside Windows) and asyncio's loop
otherwise; ``"asyncio"`` opts out, ``"uvloop"`` insists (and fails when it is missing). The
engine's HTTP/1.1 server uses only documented asyncio APIs, so it runs the same on both; uvloop
answers activations and completions faster (its transports and selector are C).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import Coroutine
from typing import Any, Literal, get_args

__all__ = ["LOOPS", "LoopName", "resolve_loop", "run_on"]

LoopName = Literal["auto", "asyncio", "uvloop"]
LOOPS: tuple[LoopName, ...] = get_args(LoopName)
_UVLOOP_HINT = "the uvloop event loop is not installed: pip install 'camunda-worker[fast]'"


def resolve_loop(loop: str) -> Literal["asyncio", "uvloop"]:
    """The loop ``loop`` names: ``"auto"`` becomes ``"uvloop"`` when it is installed.

    Args:
        loop: ``"auto"``, ``"asyncio"`` or ``"uvloop"``.

    Raises:
        ValueError: for another name.
        ModuleNotFoundError: ``"uvloop"`` when it is not installed.
    """
    if loop == "asyncio":
        return "asyncio"
    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {', '.join(LOOPS)}, got {loop!r}")
    installed = importlib.util.find_spec("uvloop") is not None
    if loop == "uvloop" and not installed:
        raise ModuleNotFoundError(_UVLOOP_HINT, name="uvloop")
    return "uvloop" if installed else "asyncio"


def run_on(loop: Literal["asyncio", "uvloop"], main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` to its end on a new event loop of kind ``loop``, in this thread."""
    if loop == "uvloop":
        uvloop: Any = importlib.import_module("uvloop")
        uvloop.run(main)
    else:
        asyncio.run(main)
