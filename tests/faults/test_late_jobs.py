"""Jobs that arrive late in a long poll, and local clocks off by minutes: every job still runs.

The engine counts a job's timeout from the moment it activated the job. In a long poll that may
be seconds after the worker sent the request: a worker that counts from the request thinks such
a job expired before it got it, skips it, and the job comes back one timeout later, again into an
old poll, forever.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

from .deadline_handlers import complete, complete_async

JOB_TIMEOUT_MS = 2_000
REQUEST_TIMEOUT_MS = 8_000
#: How long into the open long poll the jobs are created: more than the job timeout.
LATE_BY = 2.5

STRATEGIES = [
    pytest.param("async", complete_async, id="async"),
    pytest.param("thread", complete, id="thread"),
    pytest.param("process", complete, id="process"),
]


def wait_for(predicate: Any, what: str, limit: float = 30.0) -> None:
    give_up = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > give_up:
            raise AssertionError(f"not within {limit:g} s: {what}")
        time.sleep(0.02)


def start(harness: EngineHarness, strategy: str, handler: Any, log: RecordingLogger) -> JobWorker:
    process = {"process_start_method": "fork", "process_pool_size": 2}
    return harness.start_worker(
        handler,
        "late",
        execution_strategy=strategy,  # type: ignore[arg-type]
        job_timeout_milliseconds=JOB_TIMEOUT_MS,
        request_timeout_milliseconds=REQUEST_TIMEOUT_MS,
        max_concurrent_jobs=4,
        logger=log,
        **(process if strategy == "process" else {}),
    )


def all_completed(harness: EngineHarness, keys: set[str]) -> bool:
    return all(job.state == "COMPLETED" for job in harness.jobs() if job.key in keys)


@pytest.mark.parametrize(("strategy", "handler"), STRATEGIES)
def test_jobs_activated_late_in_a_long_poll_run_at_once(strategy: str, handler: Any) -> None:
    log = RecordingLogger()
    with EngineHarness(manual_clock=False) as harness:
        worker = start(harness, strategy, handler, log)
        wait_for(lambda: harness.stats().waiting_polls == 1, "the worker's long poll waits")
        time.sleep(LATE_BY)  # the poll is older than the job timeout when the jobs arrive
        keys = {harness.create_job("late", {"n": n}) for n in range(3)}
        wait_for(lambda: all_completed(harness, keys), "every job completed")
        # Each job ran on its first activation: none was skipped as expired, none timed out.
        assert worker.stats.expired == 0
        assert harness.stats().jobs_timed_out == 0
        assert harness.stats().jobs_activated == 3
        assert not [line for line in log.lines if "deadline passed" in line]
        assert worker.state is WorkerState.POLLING
        assert worker.error is None


@pytest.mark.parametrize("skew", [-600.0, 600.0], ids=["local-clock-behind", "local-clock-ahead"])
@pytest.mark.parametrize(
    ("strategy", "handler"),
    [
        pytest.param("async", complete_async, id="async"),
        pytest.param("process", complete, id="process"),
    ],
)
def test_a_local_wall_clock_ten_minutes_off_the_servers_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, strategy: str, handler: Any, skew: float
) -> None:
    # The engine's clock reads time.time_ns(); the worker (and its forked children) see a
    # time.time() ten minutes off it.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + skew)
    log = RecordingLogger()
    with EngineHarness(manual_clock=False) as harness:
        keys = {harness.create_job("late", {"n": n}) for n in range(3)}
        worker = start(harness, strategy, handler, log)
        wait_for(lambda: all_completed(harness, keys), "every job completed")
        assert worker.stats.expired == 0
        assert harness.stats().jobs_timed_out == 0
        assert worker.state is WorkerState.POLLING
        assert worker.error is None
