"""SIGKILL of a ``process``-strategy worker: its child processes must not run on without it.

The worker process is killed while each of its handlers (one per start method) writes a side
effect every 50 ms. Every process below it (pool children, multiprocessing's resource tracker and
forkserver) must be gone soon after, the side effects must stop, and the jobs, activated again
after their timeout, are completed by a second worker.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from camunda_worker import WorkerConfig
from camunda_worker.worker import JobWorker

from .processes import (
    ServedEngine,
    WorkerProcess,
    descendants,
    job,
    kill_all,
    needs_proc,
    served_engine,
    still_running_after,
    wait_until,
    write_module,
)

__all__ = ["served_engine"]  # the fixture, imported for the tests below

START_METHODS = ("spawn", "fork", "forkserver")
GONE_WITHIN = 20.0  # generous: a child that notices its parent is gone exits at once

TICKING = """
import os
import time

import camunda_worker


@camunda_worker.task(os.environ["TICK_JOB_TYPE"], strategy="process")
def tick(job):
    path = os.path.join(os.environ["TICKS_DIR"], job.job_key)
    while True:  # a side effect every 50 ms, until the process is gone
        with open(path, "a") as ticks:
            ticks.write(".")
        time.sleep(0.05)
"""


def finish(job: Any) -> dict[str, str]:
    return {"by": "second"}


@needs_proc
def test_sigkill_of_a_process_strategy_worker_leaves_no_child_running(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    module = write_module(tmp_path, "tick_tasks.py", TICKING)
    ticks = tmp_path / "ticks"
    ticks.mkdir()
    keys = {method: served_engine.engine.create_job(f"tick-{method}") for method in START_METHODS}
    workers = {
        method: WorkerProcess(
            module,
            served_engine.url,
            TICK_JOB_TYPE=f"tick-{method}",
            TICKS_DIR=str(ticks),
            CAMUNDA_WORKER_PROCESS_START_METHOD=method,
            CAMUNDA_WORKER_TIMEOUT="4000",
            CAMUNDA_WORKER_NAME="first",
            CAMUNDA_WORKER_MAX_CONCURRENT_JOBS="1",  # the job, once timed out, goes elsewhere
        )
        for method in START_METHODS
    }
    below: dict[int, int] = {}
    try:
        wait_until(
            lambda: all((ticks / key).exists() for key in keys.values()),
            what="every worker's handler runs",
        )
        for method, worker in workers.items():
            tree = descendants(worker.pid)
            assert tree, f"{method}: no child process below the worker"
            below.update(tree)
            worker.kill()  # SIGKILL: no drain, no clean-up, nothing to tell the children

        alive = still_running_after(below, GONE_WITHIN)
        assert not alive, f"still running {GONE_WITHIN:g} s after the worker was killed: {alive}"
        ticked = {key: (ticks / key).stat().st_size for key in keys.values()}

        # The jobs come back after their timeout (4 s), and another worker completes them.
        with contextlib.ExitStack() as stack:
            for method in START_METHODS:
                second = JobWorker(
                    finish,
                    WorkerConfig(f"tick-{method}", job_timeout_milliseconds=30_000),
                    execution_strategy="thread",
                    settings={"CAMUNDA_REST_ADDRESS": served_engine.url, "worker_name": "second"},
                )
                stack.enter_context(second)
            wait_until(
                lambda: all(
                    job(served_engine, key).lifecycle == "COMPLETED" for key in keys.values()
                ),
                what="the second worker completes every job",
            )
        for key in keys.values():
            view = job(served_engine, key)
            assert (view.worker, view.result_variables) == ("second", {"by": "second"})
        # Nothing ran the first worker's handlers once its children were gone.
        assert {key: (ticks / key).stat().st_size for key in keys.values()} == ticked
    finally:
        for worker in workers.values():
            worker.kill()
        kill_all(below)
