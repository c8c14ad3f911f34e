"""What the payload tests share: nested values, handlers (picklable), waiting for end states.

The handlers are module-level functions, so the ``process`` strategy can send them to its
children (the tests fork them). Values are built without recursion, so a test can make a value
deeper than Python could encode or decode.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpx
from pydantic import BaseModel

from camunda_worker.engine import JobView
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobError, JobFailure

__all__ = [
    "BIG",
    "ECHO",
    "ENGINE_REFUSES",
    "FAR_TOO_DEEP",
    "BodyLimit",
    "Ratio",
    "depth_of",
    "nest",
    "report_depth",
    "respond",
    "respond_async",
    "results",
    "seen",
    "unsendable",
    "wait_for_end",
]

BIG = 100_000
"""Characters of a result that a server with a 64 KiB body limit refuses."""

FAR_TOO_DEEP = 5000
"""Levels no JSON encoder or decoder of the standard library (nor pydantic's) can handle."""

ENGINE_REFUSES = 250
"""Levels the engine cannot read in a request body (its parser stops at 200) but Python can
encode, decode and pickle."""


def nest(depth: int, leaf: Any = 1) -> Any:
    """``{"a": {"a": ... leaf}}``, ``depth`` objects deep."""
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def depth_of(value: Any) -> int:
    """How many objects and arrays deep ``value`` nests (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


# -- handlers ----------------------------------------------------------------------------------


def report_depth(job: Any) -> dict[str, Any]:
    """Complete with how deep the job's ``deep`` variable nests, and its ``n``."""
    return {"depth": depth_of(job.variables.get("deep")), "n": job.variables.get("n")}


class Ratio(BaseModel):
    """A result model with a float: ``inf`` passes pydantic, not JSON."""

    ratio: float


def _local_dict() -> dict[str, Any]:
    class Local(dict[str, Any]):  # JSON can encode it; pickle cannot find its class
        pass

    return Local(x=1)


def unsendable(job: Any) -> Any:
    """Return (or raise with) a result that cannot be sent, as the job's ``make`` says."""
    make = job.variables["make"]
    results: dict[str, Any] = {
        "deep": lambda: {"ok": 1, "items": nest(FAR_TOO_DEEP)},
        "engine-deep": lambda: {"items": nest(ENGINE_REFUSES)},
        "nan": lambda: {"ok": 1, "ratio": math.nan},
        "infinite-model": lambda: Ratio(ratio=math.inf),
        "set": lambda: {"tags": {1, 2}},
        "object": lambda: {"thing": object()},
        "surrogate": lambda: {"text": "caf\ud800"},
        "bytes": lambda: {"raw": b"\x00"},
        "unpicklable": lambda: {"thing": _local_dict()},
        "big": lambda: {"ok": 1, "blob": "x" * BIG},
        "ok": lambda: {"ok": True},
    }
    if make == "bpmn-deep":
        raise JobError("DEEP", "too deep", {"items": nest(FAR_TOO_DEEP)})
    if make == "failure-deep":
        raise JobFailure("too deep", variables={"items": nest(FAR_TOO_DEEP)})
    if make == "surrogate-error":
        raise ValueError("caf\ud800 is not valid Unicode")
    if make == "big-error":
        raise JobError("BIG", "too big", {"blob": "x" * BIG})
    if make == "big-failure":
        raise JobFailure("the handler failed", retry_back_off=5, variables={"blob": "x" * BIG})
    return results[make]()


# What the property tests' handlers return, by the job's ``case`` variable. A test registers a
# result before it creates the job, so the handler (on the worker's loop or in a pool thread of
# this process) finds it.
results: dict[int, Any] = {}
_results_lock = threading.Lock()


seen: dict[int, dict[str, Any]] = {}
"""The variables each ``case`` whose result is :data:`ECHO` saw."""

ECHO = object()
"""A registered result that records the job's variables in :data:`seen` and completes."""


def respond(job: Any) -> Any:
    """Return the registered result of the job's ``case`` (or record what it saw)."""
    case = job.variables["case"]
    with _results_lock:
        result = results[case]
        if result is ECHO:
            seen[case] = job.variables
            return {"echoed": True}
    return result


async def respond_async(job: Any) -> Any:
    """:func:`respond` as a coroutine (for the ``async`` strategy)."""
    return respond(job)


# -- transports --------------------------------------------------------------------------------


class BodyLimit(httpx.AsyncBaseTransport):
    """Answers 413 with a problem detail for a request body over ``limit`` bytes, as a server
    with a body limit does; passes every other request to ``inner``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self._inner = inner
        self._limit = limit
        self.refused: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Refuse a large body, pass the rest on."""
        body = await request.aread()
        if len(body) > self._limit:
            self.refused.append(request.url.path)
            return httpx.Response(
                413,
                json={
                    "type": "about:blank",
                    "title": "Payload Too Large",
                    "status": 413,
                    "detail": f"the request body exceeds {self._limit} bytes",
                    "instance": request.url.path,
                },
                headers={"content-type": "application/problem+json"},
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()


# -- waiting -----------------------------------------------------------------------------------

_UNFINISHED = ("ACTIVATABLE", "ACTIVATED")


def wait_for_end(
    harness: EngineHarness,
    keys: Iterable[str],
    log: RecordingLogger | None = None,
    timeout: float = 30.0,
    process_instance_key: str | None = None,
) -> dict[str, JobView]:
    """Wait until every job in ``keys`` has ended (completed, failed, BPMN error) and return them.

    A job the worker dropped stays activated: on the engine's manual clock it never times out,
    so the wait would only give up after ``timeout``. It stops waiting for a job at once
    instead when ``log`` shows an error naming it: its end state is then asserted as it is.
    With ``process_instance_key`` only that instance's jobs are looked at (cheaper than copying
    every job the engine holds, after many examples).
    """
    wanted = set(keys)
    give_up = time.monotonic() + timeout
    while True:
        found = harness.jobs(process_instance_key=process_instance_key)
        jobs = {job.key: job for job in found if job.key in wanted}
        errors = [
            line for line in (log.lines if log is not None else ()) if line.startswith("ERROR")
        ]
        waiting = [
            key
            for key, job in jobs.items()
            if job.lifecycle in _UNFINISHED and not any(key in line for line in errors)
        ]
        if not waiting or time.monotonic() > give_up:
            return jobs
        time.sleep(0.005)
