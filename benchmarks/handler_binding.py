"""Per-job cost of a handler whose parameters are bound from its signature, against the plain form.

Run: ``python -m benchmarks.handler_binding [--jobs 20000] [--runs 5]``.

What a pool thread does for one job, without network: build the job's :class:`SyncJobContext`
and call :func:`invoke_sync` (the handler, then its result turned into an outcome). Four
handlers, measured in alternation, run by run, in one process:

* ``plain``: ``def handler(job): return {"total": job.variables["amount"] * 2}``, called as is;
* ``bound``: ``def handler(amount: float, order_id: str, job: JobContext)``: two variables
  validated by pydantic, the context injected;
* ``bound_model``: ``def handler(order: Order)``: all the variables as a pydantic model;
* ``bound_middleware``: ``bound`` with one middleware and a ``bpmn_errors`` policy.

The result is microseconds per job (best of the runs' medians) and the extra cost over ``plain``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from benchmarks._jobs import activated_job
from camunda_worker import JobContext, SyncJobContext
from camunda_worker._api.models import ActivatedJob
from camunda_worker.worker._binding import bind_handler
from camunda_worker.worker._invoke import invoke_sync
from camunda_worker.worker._policies import OutcomePolicy


class Order(BaseModel):
    order_id: str
    amount: float


class _Tracker:
    acknowledged = False


def plain(job: Any) -> dict[str, Any]:
    return {"total": job.variables["amount"] * 2}


def bound(amount: float, order_id: str, job: JobContext) -> dict[str, Any]:
    return {"total": amount * 2}


def bound_model(order: Order) -> dict[str, Any]:
    return {"total": order.amount * 2}


def passing(job: Any, call_next: Callable[[], Any]) -> Any:
    return call_next()


class DeclinedError(Exception):
    pass


def _job(key: int) -> ActivatedJob:
    return activated_job(key, {"order_id": f"A-{key}", "amount": 12.5, "note": "x" * 40})


def _callbacks() -> dict[str, Callable[[Any], Any]]:
    return {
        "plain": bind_handler(plain)[0],
        "bound": bind_handler(bound)[0],
        "bound_model": bind_handler(bound_model)[0],
        "bound_middleware": bind_handler(
            bound,
            middleware=[passing],
            policy=OutcomePolicy(bpmn_errors={DeclinedError: "DECLINED"}),
        )[0],
    }


def _per_job(callback: Callable[[Any], Any], jobs: list[ActivatedJob]) -> float:
    tracker = _Tracker()
    start = time.perf_counter()
    for job in jobs:
        context = SyncJobContext(job=job, log=None, client=None)  # type: ignore[arg-type]
        invoke_sync(callback, context, tracker, retries=job.retries, retry_back_off=0)
    return (time.perf_counter() - start) / len(jobs) * 1e6


def main(argv: list[str] | None = None) -> None:
    """Measure and print µs/job per handler form."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args(argv)
    jobs = [_job(key) for key in range(arguments.jobs)]
    callbacks = _callbacks()
    samples: dict[str, list[float]] = {name: [] for name in callbacks}
    for _ in range(arguments.runs):
        for name, callback in callbacks.items():
            samples[name].append(_per_job(callback, jobs))
    base = min(samples["plain"])
    print(f"{'handler':<18} {'µs/job':>8} {'extra':>8}  (best of {arguments.runs} runs)")
    for name, values in samples.items():
        best = min(values)
        print(f"{name:<18} {best:8.2f} {best - base:+8.2f}  median {statistics.median(values):.2f}")


if __name__ == "__main__":
    main()
