"""The fast lane on uvloop: its own tests, run on a uvloop loop.

uvicorn runs on uvloop whenever it is installed, and so does a worker started in a FastAPI
lifespan. uvloop's transports derive from none of asyncio's classes and differ in details
(write buffering, resets, TLS), so every test of ``test_wire.py``, ``test_wire_failures.py``, ``test_wire_garbage.py`` and
``test_wire_parser.py`` that needs no fixture runs here again, with each of its parameters, on a
uvloop event loop. (Their own run is on the default loop.)
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Coroutine, Iterator
from types import ModuleType
from typing import Any

import pytest
import test_wire
import test_wire_failures
import test_wire_garbage
import test_wire_parser
from wire_servers import clear_proxies

uvloop = pytest.importorskip("uvloop", reason="uvloop is not installed (Windows, PyPy)")

TestFunction = Callable[..., Coroutine[Any, Any, None]]


def _parameter_sets(function: TestFunction) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every combination of the function's ``parametrize`` marks, with its id."""
    axes: list[list[tuple[str, dict[str, Any]]]] = []
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        axis = []
        for index, value in enumerate(values):
            if type(value).__name__ == "ParameterSet":  # pytest.param(...)
                row = tuple(value.values)
            else:
                row = (value,) if len(names) == 1 else tuple(value)
            axis.append((f"{names[0]}{index}", dict(zip(names, row, strict=True))))
        axes.append(axis)
    for combination in itertools.product(*axes):
        ident = "-".join(part for part, _ in combination)
        arguments: dict[str, Any] = {}
        for _, values in combination:
            arguments.update(values)
        yield ident, arguments


def _cases(*modules: ModuleType) -> Iterator[Any]:
    for module in modules:
        for name, function in sorted(vars(module).items()):
            if not name.startswith("test_") or not inspect.iscoroutinefunction(function):
                continue
            for ident, arguments in _parameter_sets(function):
                if set(inspect.signature(function).parameters) != set(arguments):
                    continue  # it needs a fixture: left to its own run
                case_id = f"{module.__name__}::{name}" + (f"[{ident}]" if ident else "")
                yield pytest.param(function, arguments, id=case_id)


CASES = list(_cases(test_wire, test_wire_failures, test_wire_garbage, test_wire_parser))


def test_most_of_the_network_tests_run_here() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("test", "arguments"), CASES)
def test_on_uvloop(
    test: TestFunction, arguments: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_proxies(monkeypatch)
    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(test(**arguments))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
