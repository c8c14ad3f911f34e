"""SIGTERM and SIGINT to ``camunda-worker run`` with slow jobs, for every strategy.

Each test runs one real worker process per strategy (``async``, ``thread``, ``process`` with
``spawn`` and with ``fork``) side by side, each with one job of its own type, and signals them
once every handler has started:

- a handler that outlasts the drain timeout is abandoned: the process exits soon after the
  drain timeout (long before the handler would end) with exit code 4, says which job it
  abandoned, leaves no child process behind, and the job is activatable again after its timeout;
- a second signal abandons the drain at once, the same way;
- handlers that end within the drain timeout send their results: the jobs end completed and
  the process exits with 0.
"""

from __future__ import annotations

import signal
from pathlib import Path

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

EXIT_OK = 0
EXIT_ABANDONED = 4
EXITS_WITHIN = 20.0  # generous, and far below the 60 s the abandoned handlers would run

# variant: its strategy and start method
VARIANTS = {
    "async": ("async", "spawn"),
    "thread": ("thread", "spawn"),
    "process-spawn": ("process", "spawn"),
    "process-fork": ("process", "fork"),
}

SLOW = """
import asyncio
import os
import time
from pathlib import Path

import camunda_worker

STRATEGY = os.environ["SLOW_STRATEGY"]
JOB_TYPE = os.environ["SLOW_JOB_TYPE"]


def started(job):
    Path(os.environ["MARKS_DIR"], job.job_key).touch()


if STRATEGY == "async":

    @camunda_worker.task(JOB_TYPE)
    async def slow(job):
        started(job)
        await asyncio.sleep(job.variables["sleep"])
        return {"slept": job.variables["sleep"]}

else:

    @camunda_worker.task(JOB_TYPE, strategy=STRATEGY)
    def slow(job):
        started(job)
        time.sleep(job.variables["sleep"])
        return {"slept": job.variables["sleep"]}
"""


class Fleet:
    """One worker process per variant, each with one job that sleeps ``sleep`` seconds."""

    def __init__(
        self, served: ServedEngine, folder: Path, *, sleep: float, **settings: str
    ) -> None:
        module = write_module(folder, "slow_tasks.py", SLOW)
        self.marks = folder / "marks"
        self.marks.mkdir()
        self.served = served
        self.keys = {
            variant: served.engine.create_job(f"slow-{variant}", variables={"sleep": sleep})
            for variant in VARIANTS
        }
        self.workers = {
            variant: WorkerProcess(
                module,
                served.url,
                SLOW_STRATEGY=strategy,
                SLOW_JOB_TYPE=f"slow-{variant}",
                MARKS_DIR=str(self.marks),
                CAMUNDA_WORKER_PROCESS_START_METHOD=method,
                # Busy with its one job: the worker cannot take it again once it timed out.
                CAMUNDA_WORKER_MAX_CONCURRENT_JOBS="1",
                **settings,
            )
            for variant, (strategy, method) in VARIANTS.items()
        }
        self.below: dict[int, int] = {}

    def wait_for_the_handlers(self) -> None:
        """Wait until every handler runs; note every process below the workers."""
        wait_until(
            lambda: all((self.marks / key).exists() for key in self.keys.values()),
            what="every worker's handler runs",
        )
        for worker in self.workers.values():
            self.below.update(descendants(worker.pid))

    def signal(self, signum: int, variants: tuple[str, ...] = tuple(VARIANTS)) -> None:
        for variant in variants:
            self.workers[variant].signal(signum)

    def exit_codes(self) -> dict[str, int]:
        return {variant: worker.exit_code(EXITS_WITHIN) for variant, worker in self.workers.items()}

    def abandoned_reported(self) -> dict[str, bool]:
        """Per variant: whether its log names its job as abandoned."""
        return {
            variant: any(
                "abandoned" in line and self.keys[variant] in line
                for line in self.workers[variant].stderr.splitlines()
            )
            for variant in VARIANTS
        }

    def lifecycles(self) -> dict[str, str]:
        return {variant: job(self.served, key).lifecycle for variant, key in self.keys.items()}

    def close(self) -> None:
        for worker in self.workers.values():
            worker.kill()
        kill_all(self.below)


def all_variants(value: object) -> dict[str, object]:
    return dict.fromkeys(VARIANTS, value)


@needs_proc
def test_a_handler_that_outlasts_the_drain_timeout_is_abandoned_and_the_process_exits(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    fleet = Fleet(
        served_engine,
        tmp_path,
        sleep=60,
        CAMUNDA_WORKER_DRAIN_TIMEOUT="2",
        CAMUNDA_WORKER_TIMEOUT="5000",
    )
    try:
        fleet.wait_for_the_handlers()
        fleet.signal(signal.SIGTERM)
        assert fleet.exit_codes() == all_variants(EXIT_ABANDONED), fleet.workers["thread"].stderr
        assert fleet.abandoned_reported() == all_variants(True)
        assert still_running_after(fleet.below, 10) == {}  # children terminated, none left
        # Nothing was sent for them: the jobs come back after their timeout (5 s).
        wait_until(
            lambda: fleet.lifecycles() == all_variants("ACTIVATABLE"),
            what="every abandoned job is activatable again",
        )
    finally:
        fleet.close()


@needs_proc
def test_a_second_signal_abandons_the_drain_at_once(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    fleet = Fleet(
        served_engine,
        tmp_path,
        sleep=60,
        CAMUNDA_WORKER_DRAIN_TIMEOUT="60",
        CAMUNDA_WORKER_TIMEOUT="5000",
    )
    try:
        fleet.wait_for_the_handlers()
        fleet.signal(signal.SIGTERM)
        for worker in fleet.workers.values():
            wait_until(lambda worker=worker: "draining" in worker.stderr, what="draining")
        fleet.signal(signal.SIGTERM, ("async", "process-spawn"))
        fleet.signal(signal.SIGINT, ("thread", "process-fork"))
        assert fleet.exit_codes() == all_variants(EXIT_ABANDONED)
        assert fleet.abandoned_reported() == all_variants(True)
        assert still_running_after(fleet.below, 10) == {}
        wait_until(
            lambda: fleet.lifecycles() == all_variants("ACTIVATABLE"),
            what="every abandoned job is activatable again",
        )
    finally:
        fleet.close()


@needs_proc
def test_handlers_that_end_within_the_drain_timeout_send_their_results_and_exit_0(
    served_engine: ServedEngine, tmp_path: Path
) -> None:
    fleet = Fleet(
        served_engine,
        tmp_path,
        sleep=1.5,
        CAMUNDA_WORKER_DRAIN_TIMEOUT="30",
        CAMUNDA_WORKER_TIMEOUT="60000",
    )
    try:
        fleet.wait_for_the_handlers()
        fleet.signal(signal.SIGTERM)
        assert fleet.exit_codes() == all_variants(EXIT_OK)
        assert fleet.lifecycles() == all_variants("COMPLETED")
        results = {
            variant: job(served_engine, key).result_variables for variant, key in fleet.keys.items()
        }
        assert results == all_variants({"slept": 1.5})
        assert fleet.abandoned_reported() == all_variants(False)
    finally:
        fleet.close()
