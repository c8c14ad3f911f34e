"""auto detection: a handler whose call returns an awaitable runs on the loop, others in threads."""

from __future__ import annotations

import functools
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import handlers
import pytest

from camunda_worker import ConfigurationError
from camunda_worker.worker._strategy import check_picklable, resolve_strategy, returns_awaitable


async def coroutine_function(job: Any) -> None:
    return None


def sync_function(job: Any) -> None:
    return None


class AsyncCallable:
    async def __call__(self, job: Any) -> None:
        return None


class SyncCallable:
    def __call__(self, job: Any) -> None:
        return None


class Service:
    async def handle(self, job: Any) -> None:
        return None

    def handle_sync(self, job: Any) -> None:
        return None

    @staticmethod
    async def static_handle(job: Any) -> None:
        return None


def logged(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A typical decorator: a sync wrapper that returns what the wrapped call returns."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


def async_logged(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    return wrapper


@logged
async def decorated_coroutine(job: Any) -> None:
    return None


@async_logged
async def async_decorated_coroutine(job: Any) -> None:
    return None


@logged
def decorated_sync(job: Any) -> None:
    return None


class DecoratedCall:
    @logged
    async def __call__(self, job: Any) -> None:
        return None


async def with_extra(job: Any, extra: int) -> None:
    return None


ASYNC_HANDLERS = {
    "coroutine function": coroutine_function,
    "object with async __call__": AsyncCallable(),
    "decorated coroutine function (sync wrapper)": decorated_coroutine,
    "decorated coroutine function (async wrapper)": async_decorated_coroutine,
    "partial of a coroutine function": functools.partial(with_extra, extra=1),
    "partial of an async callable object": functools.partial(AsyncCallable()),
    "partial of a partial": functools.partial(functools.partial(with_extra, extra=1)),
    "bound async method": Service().handle,
    "async staticmethod": Service.static_handle,
    "object whose __call__ is a decorated coroutine": DecoratedCall(),
    "AsyncMock": AsyncMock(),
}

SYNC_HANDLERS = {
    "function": sync_function,
    "callable object": SyncCallable(),
    "bound method": Service().handle_sync,
    "decorated function": decorated_sync,
    "partial of a function": functools.partial(sync_function),
    "lambda": lambda job: None,
    "builtin": print,
    "class": SyncCallable,
    "MagicMock": MagicMock(),
}


@pytest.mark.parametrize("handler", ASYNC_HANDLERS.values(), ids=ASYNC_HANDLERS.keys())
def test_async_callables_are_detected_and_run_on_the_loop(handler: Any) -> None:
    assert returns_awaitable(handler)
    assert resolve_strategy(handler, "auto") == "async"


@pytest.mark.parametrize("handler", SYNC_HANDLERS.values(), ids=SYNC_HANDLERS.keys())
def test_sync_callables_run_in_threads(handler: Any) -> None:
    assert not returns_awaitable(handler)
    assert resolve_strategy(handler, "auto") == "thread"


@pytest.mark.parametrize("strategy", ["async", "thread", "process"])
def test_an_explicit_strategy_is_kept(strategy: str) -> None:
    assert resolve_strategy(sync_function, strategy) == strategy


def test_an_unknown_strategy_is_a_configuration_error_naming_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="'fibers'") as info:
        resolve_strategy(sync_function, "fibers")
    assert info.value.variable == "CAMUNDA_WORKER_EXECUTION_STRATEGY"


def test_a_handler_that_is_not_callable_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="callable"):
        resolve_strategy("handler", "auto")  # type: ignore[arg-type]


def test_generator_handlers_are_refused_because_they_return_no_result() -> None:
    def gen(job: Any) -> Any:
        yield 1

    async def agen(job: Any) -> Any:
        yield 1

    for handler in (gen, agen):
        with pytest.raises(ConfigurationError, match="generator"):
            resolve_strategy(handler, "auto")


def test_module_level_functions_are_picklable() -> None:
    check_picklable(handlers.complete)
    check_picklable(handlers.complete_async)


@pytest.mark.parametrize(
    "handler",
    [lambda job: None, functools.partial(lambda job, x: None, x=1)],
    ids=["lambda", "partial of a lambda"],
)
def test_unpicklable_handlers_are_refused_with_advice(handler: Any) -> None:
    with pytest.raises(ConfigurationError, match="cannot be pickled") as info:
        check_picklable(handler)
    assert "module-level function" in str(info.value)


def test_a_nested_function_is_refused() -> None:
    def nested(job: Any) -> None:
        return None

    with pytest.raises(ConfigurationError, match="nested"):
        check_picklable(nested)


def test_asyncmock_detection_does_not_depend_on_the_python_version() -> None:
    assert returns_awaitable(AsyncMock()) is True, sys.version
