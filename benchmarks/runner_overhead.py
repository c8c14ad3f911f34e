"""CPU per job of each strategy's runner alone: no network, no engine, a no-op handler.

Run: ``python -m benchmarks.runner_overhead [--jobs 30000] [--runs 3]``.

What each strategy adds between a job taking its slot and its outcome being ready for the
acknowledgement: the async runner awaits the handler on the loop; the thread runner hands it
to a pool thread and back (a future, a hand-back, the GIL passing between threads); the process
runner pickles it to a child over a pipe and reads the answer. Jobs run 32 at a time, as in the
no-op benchmark, in alternating runs in one process; the figure is the best run's CPU per job:
the process's own (user and system; for ``process``, the worker's side) and, for ``process``,
its children's. The end-to-end benchmark (``python -m benchmarks``) says what these costs mean
for jobs per second; this says where a strategy's share of it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

from loguru import logger

from benchmarks._handlers import HANDLERS
from benchmarks._jobs import activated_job
from camunda_worker._api.models import ActivatedJob
from camunda_worker._config.settings import CamundaSettings
from camunda_worker.worker._capacity import Capacity
from camunda_worker.worker._deadline import JobDeadline
from camunda_worker.worker._options import ProcessOptions
from camunda_worker.worker._process_runner import ProcessRunner
from camunda_worker.worker._runners import AsyncRunner, Runner, RunnerOptions
from camunda_worker.worker._thread_runner import ThreadRunner

IN_FLIGHT = 32
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _job(key: int) -> ActivatedJob:
    return activated_job(key, {"order_id": f"A-{key}", "amount": 12.5})


def _children_cpu() -> float:
    """CPU seconds of this process's children so far (Linux; 0 elsewhere)."""
    total = 0.0
    try:
        for task in os.listdir(f"/proc/{os.getpid()}/task"):
            with open(f"/proc/{os.getpid()}/task/{task}/children") as children:
                for child in children.read().split():
                    with open(f"/proc/{child}/stat") as stat:
                        fields = stat.read().rpartition(")")[2].split()
                    total += (int(fields[11]) + int(fields[12])) / _TICK
    except OSError:
        return 0.0
    return total


async def measure(runner: Runner, jobs: int) -> tuple[float, float]:
    """Run ``jobs`` jobs, :data:`IN_FLIGHT` at a time; µs of CPU per job (own, children's)."""
    capacity = Capacity(IN_FLIGHT * 2)
    pool = [_job(key) for key in range(IN_FLIGHT)]
    free = asyncio.Semaphore(IN_FLIGHT)
    running: set[asyncio.Task[None]] = set()

    async def one(job: ActivatedJob) -> None:
        slot = capacity.take(job)
        try:
            await runner.run(slot, JobDeadline.from_now(60_000))
        finally:
            slot.release()
            free.release()

    own, children = time.process_time(), _children_cpu()
    for number in range(jobs):
        await free.acquire()
        task = asyncio.ensure_future(one(pool[number % IN_FLIGHT]))
        running.add(task)
        task.add_done_callback(running.discard)
    while running:
        await asyncio.wait(set(running))
    return (
        (time.process_time() - own) / jobs * 1e6,
        (_children_cpu() - children) / jobs * 1e6,
    )


def _options(callback: Callable[[Any], Any]) -> RunnerOptions:
    return RunnerOptions(
        callback=callback,
        job_type="bench",
        worker_name="bench",
        logger=logger,
        retry_back_off=0,
        tracing=None,
    )


async def run(jobs: int, runs: int) -> dict[str, tuple[float, float]]:
    """The best run's (own, children's) µs of CPU per job, per strategy."""
    logger.remove()  # no sink: what a worker logs per job is not what is measured here
    runners: dict[str, Runner] = {
        "async": AsyncRunner(_options(HANDLERS["noop_async"]), None),  # type: ignore[arg-type]
        "thread": ThreadRunner(
            _options(HANDLERS["noop_sync"]),
            max_workers=IN_FLIGHT,
            client_factory=lambda: None,  # type: ignore[arg-type, return-value]
            owner=object(),
        ),
        "process": ProcessRunner(
            _options(HANDLERS["noop_sync"]),
            ProcessOptions(start_method="spawn", pool_size=min(IN_FLIGHT, os.cpu_count() or 1)),
            settings=CamundaSettings(),
            log=logger,
        ),
    }
    best: dict[str, tuple[float, float]] = {}
    try:
        for runner in runners.values():  # warm-up: pools, children, first imports
            await measure(runner, min(jobs, 2_000))
        for round_ in range(runs):
            order = list(runners) if round_ % 2 == 0 else list(reversed(runners))
            for name in order:
                figures = await measure(runners[name], jobs)
                if name not in best or sum(figures) < sum(best[name]):
                    best[name] = figures
    finally:
        for runner in runners.values():
            await runner.aclose(abandon=False)
    return best


def main(argv: list[str] | None = None) -> None:
    """Measure and print µs of CPU per job per runner."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args(argv)
    best = asyncio.run(run(arguments.jobs, arguments.runs))
    base = best["async"][0]
    print(f"{'runner':<8} {'own µs/job':>11} {'children':>9} {'extra own':>10}  (best of runs)")
    for name, (own, children) in best.items():
        print(f"{name:<8} {own:11.2f} {children:9.2f} {own - base:+10.2f}")


if __name__ == "__main__":
    main()
