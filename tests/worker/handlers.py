"""Module-level handlers: picklable, so the process strategy can send them to child processes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from camunda_worker.worker import JobError, JobFailure


def complete(job: Any) -> dict[str, Any]:
    return {"done": True, "pid": os.getpid(), "seen": job.variables.get("n")}


async def complete_async(job: Any) -> dict[str, Any]:
    return {"done": True, "pid": os.getpid()}


def return_none(job: Any) -> None:
    return None


def throw_bpmn_error(job: Any) -> None:
    raise JobError("NO_STOCK", "nothing left", {"reason": "stock"})


def fail_explicitly(job: Any) -> None:
    raise JobFailure("try later", retries=5, retry_back_off=1234, variables={"attempt": 1})


def crash(job: Any) -> None:
    raise ValueError("boom")


def not_json(job: Any) -> dict[str, Any]:
    return {"when": {1, 2}}


def log_something(job: Any) -> dict[str, Any]:
    job.log.info("hello from the handler")
    return {"pid": os.getpid()}


def die(job: Any) -> None:
    if job.variables.get("die"):
        os._exit(int(job.variables.get("exit_code", 3)))
    if job.variables.get("segfault"):
        segfault(job)
    time.sleep(float(job.variables.get("sleep", 0)))


def sleep(job: Any) -> dict[str, Any]:
    time.sleep(float(job.variables.get("sleep", 0.2)))
    return {"slept": True}


def complete_via_client(job: Any) -> dict[str, Any]:
    job.client.complete_job(job.job_key, {"by": "handler"})
    return {"by": "worker"}


def initializer(path: str) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{os.getpid()}\n")


def return_model(job: Any) -> Any:
    import pydantic

    class Order(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(populate_by_name=True)
        order_id: str = pydantic.Field(alias="orderId")
        total: float

    return Order(order_id="A-1", total=9.5)


class AsyncOf:
    """An object with ``async def __call__`` wrapping a sync handler: picklable, detected as async."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    async def __call__(self, job: Any) -> Any:
        return self.handler(job)


async def complete_via_client_async(job: Any) -> dict[str, Any]:
    await job.client.complete_job(job.job_key, {"by": "handler"})
    return {"by": "worker"}


def add_one(job: Any) -> dict[str, Any]:
    return {"count": int(job.variables.get("count", 0)) + 1, f"pid_{job.element_id}": os.getpid()}


async def add_one_async(job: Any) -> dict[str, Any]:
    return add_one(job)


def segfault(job: Any) -> None:
    import ctypes

    ctypes.string_at(0)  # SIGSEGV in the child


def log_both_ways(job: Any) -> dict[str, Any]:
    import logging

    job.log.info("loguru record from the child")
    logging.getLogger("tests.child").warning("stdlib record from the child")
    return {"pid": os.getpid()}


def failing_initializer() -> None:
    raise RuntimeError("the initializer is broken")


def blocking_initializer(release: str) -> None:
    """Hangs (a connection that never answers, say) until the file ``release`` exists."""
    while not os.path.exists(release):
        time.sleep(0.01)


def pid(job: Any) -> dict[str, Any]:
    return {"pid": os.getpid()}


async def sleep_async(job: Any) -> dict[str, Any]:
    import asyncio

    await asyncio.sleep(float(job.variables.get("sleep", 0.2)))
    return {"slept": True}


def count_runs(job: Any) -> dict[str, Any]:
    """Note each run of the job in a file of its own (``runs_dir``), then behave like :func:`die`."""
    runs = Path(job.variables["runs_dir"], job.job_key)
    with runs.open("a", encoding="utf-8") as file:
        file.write("run\n")
    die(job)
    return {"pid": os.getpid()}


def wait_for_release(job: Any) -> dict[str, Any]:
    """Say it started (``started`` file), then wait until the ``release`` file exists."""
    Path(job.variables["started"]).write_text(str(os.getpid()))
    release = Path(job.variables["release"])
    while not release.exists():
        time.sleep(0.01)
    return {"pid": os.getpid()}


def count_then_wait(job: Any) -> dict[str, Any]:
    """Note the run (:func:`count_runs`), then wait for ``release`` when ``wait`` is set."""
    with Path(job.variables["runs_dir"], job.job_key).open("a", encoding="utf-8") as file:
        file.write("run\n")
    if job.variables.get("wait"):
        release = Path(job.variables["release"])
        while not release.exists():
            time.sleep(0.01)
    return {"pid": os.getpid()}


def scheduling_policy(job: Any) -> dict[str, Any]:
    return {"policy": os.sched_getscheduler(0), "nice": os.nice(0)}


def default_scheduling() -> None:
    """A process initializer that takes the default scheduling policy back."""
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def reach_all(claims: Any, count: int, go: Any, answers: Any) -> None:
    """A child's side of the claims race: reach jobs 0..count-1 in order; send those it ran."""
    go.wait()
    answers.send([number for number in range(count) if claims.reach(number)])
