"""Choosing how a handler runs: on the event loop, in a thread, or in a child process.

``auto`` decides by what calling the handler returns. A handler is async when its call returns an
awaitable: coroutine functions, objects whose ``__call__`` is a coroutine function, functions
decorated with :func:`functools.wraps` around a coroutine function, and
:func:`functools.partial` objects of any of those. Everything else runs in threads. (The peer SDK
checked only ``inspect.iscoroutinefunction(handler)``, so an object with ``async def __call__``
was called without being awaited and its job completed with no variables.)
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import pickle
import sys
from collections.abc import Callable
from typing import Any, Final, Literal, get_args

from camunda_worker._base.errors import ConfigurationError

__all__ = [
    "ExecutionStrategy",
    "check_picklable",
    "resolve_strategy",
    "returns_awaitable",
]

ExecutionStrategy = Literal["auto", "async", "thread", "process"]
ExecutionStrategy.__doc__ = (  # the alias is an object: give it a docstring help() can show
    "How a handler runs: ``async`` on the worker's event loop, ``thread`` in a thread pool, "
    "``process`` in child processes; ``auto`` picks ``async`` for async callables and "
    "``thread`` otherwise."
)

ResolvedStrategy = Literal["async", "thread", "process"]

_STRATEGIES: Final = frozenset(get_args(ExecutionStrategy))
_MAX_UNWRAP: Final = 100


def _is_coroutine_function(obj: object) -> bool:
    if inspect.iscoroutinefunction(obj):
        return True
    # Before 3.12, objects such as unittest.mock.AsyncMock mark themselves only for asyncio.
    return sys.version_info < (3, 12) and asyncio.iscoroutinefunction(obj)


def returns_awaitable(callback: Callable[..., object]) -> bool:
    """Tell whether calling ``callback`` returns an awaitable, without calling it.

    Args:
        callback: a handler.

    Returns:
        ``True`` for coroutine functions, objects with an async ``__call__``, decorated coroutine
        functions (``__wrapped__``) and partials of those.
    """
    target: object = callback
    for _ in range(_MAX_UNWRAP):
        if _is_coroutine_function(target):
            return True
        if isinstance(target, functools.partial):
            target = target.func
            continue
        wrapped = getattr(target, "__wrapped__", None)
        if wrapped is not None and wrapped is not target:
            target = wrapped
            continue
        if inspect.isroutine(target) or inspect.isclass(target):
            return False
        # A callable object: what matters is its __call__ (which may itself be decorated).
        call = getattr(target, "__call__", None)  # noqa: B004 - we want the attribute itself
        if call is None:
            return False
        target = call
    return False


def resolve_strategy(callback: Callable[..., object], requested: str) -> ResolvedStrategy:
    """The strategy a worker uses for ``callback``.

    Args:
        callback: the handler.
        requested: ``auto``, ``async``, ``thread`` or ``process``.

    Returns:
        The concrete strategy (``auto`` resolved).

    Raises:
        ConfigurationError: ``requested`` is unknown, or ``callback`` is not callable or is a
            generator function (a handler must return its result).
    """
    if requested not in _STRATEGIES:
        raise ConfigurationError(
            f"execution_strategy={requested!r} is not one of auto, async, thread, process",
            variable="CAMUNDA_WORKER_EXECUTION_STRATEGY",
        )
    if not callable(callback):
        raise ConfigurationError(
            f"the job handler must be callable, got {type(callback).__name__}", variable="callback"
        )
    unwrapped = inspect.unwrap(callback) if inspect.isfunction(callback) else callback
    if inspect.isgeneratorfunction(unwrapped) or inspect.isasyncgenfunction(unwrapped):
        raise ConfigurationError(
            f"the job handler {_name(callback)} is a generator function; a handler must return "
            "its result (a dict, a pydantic model or None)",
            variable="callback",
        )
    if requested == "auto":
        return "async" if returns_awaitable(callback) else "thread"
    return requested  # type: ignore[return-value]  # checked against the literal's values above


def check_picklable(callback: object, what: str = "the job handler") -> None:
    """Check that ``callback`` can be sent to a child process, before any job is activated.

    Args:
        callback: the handler (or initializer) of a worker with the ``process`` strategy.
        what: how to name ``callback`` in the error.

    Raises:
        ConfigurationError: ``callback`` cannot be pickled (a lambda, a nested function, a bound
            method of an unpicklable object...); the message says what to do instead.
    """
    try:
        pickle.dumps(callback)
    except Exception as error:  # pickling raises many types; all mean the same here
        raise ConfigurationError(
            f"{what} {_name(callback)} cannot be sent to a child process for the "
            f"'process' execution strategy: it cannot be pickled ({type(error).__name__}: "
            f"{error}). Define it as a module-level function (not a lambda or a nested "
            "function), or use the 'thread' or 'async' strategy.",
            variable="callback",
        ) from error


def _name(callback: Any) -> str:
    name = getattr(callback, "__qualname__", None) or getattr(callback, "__name__", None)
    return repr(name) if name else repr(callback)
