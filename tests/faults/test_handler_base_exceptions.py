"""Handlers that raise ``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit`` or
``CancelledError``: the job fails with a message naming the exception, the worker goes on.

None of these is an :class:`Exception`. Raised by a handler they are the handler's failure, not
a request to stop the worker: a real Ctrl-C or SIGTERM reaches the worker as a signal, handled by
its runner (``run()``, ``run_workers``, the CLI), and a cancellation the worker did not ask for
is not a stop either.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.testing import EngineHarness
from camunda_worker.worker import JobWorker, WorkerState

from .deadline_handlers import BASE_EXCEPTIONS, raise_named, raise_named_async, sleep_and_tell

CASES = [
    pytest.param("async", raise_named_async, id="async"),
    pytest.param("async", raise_named, id="async-with-a-sync-handler"),
    pytest.param("thread", raise_named, id="thread"),
    pytest.param("thread", raise_named_async, id="thread-with-an-async-handler"),
    pytest.param("process", raise_named, id="process"),
    pytest.param("process", raise_named_async, id="process-with-an-async-handler"),
]

#: The retries of the jobs; a handler failure leaves one fewer.
RETRIES = 3
#: The back-off of a handler failure: on the manual clock it never ends, so a failed job is not
#: activated again while the test looks at it.
RETRY_BACK_OFF_MS = 60_000


def wait_for(predicate: Any, worker: JobWorker, what: str, limit: float = 30.0) -> None:
    give_up = time.monotonic() + limit
    while not predicate():
        if worker.state in (WorkerState.STOPPED, WorkerState.FAILED):
            raise AssertionError(
                f"the worker stopped ({worker.state}, error {worker.error!r}) before: {what}"
            )
        if time.monotonic() > give_up:
            raise AssertionError(f"not within {limit:g} s: {what}")
        time.sleep(0.02)


@pytest.mark.parametrize(("strategy", "handler"), CASES)
def test_a_handler_raising_a_base_exception_fails_its_job_and_the_worker_goes_on(
    strategy: str, handler: Any
) -> None:
    process = {"process_start_method": "fork", "process_pool_size": 2}
    with EngineHarness() as harness:
        raising = {
            name: harness.create_job("base", {"raise": name}, retries=RETRIES)
            for name in BASE_EXCEPTIONS
        }
        worker = harness.start_worker(
            handler,
            "base",
            execution_strategy=strategy,  # type: ignore[arg-type]
            max_concurrent_jobs=len(BASE_EXCEPTIONS),
            retry_back_off=RETRY_BACK_OFF_MS,
            **(process if strategy == "process" else {}),
        )

        def jobs() -> dict[str, Any]:
            return {job.key: job for job in harness.jobs(job_type="base")}

        wait_for(
            lambda: all(jobs()[key].state == "FAILED" for key in raising.values()),
            worker,
            "every raising job failed",
        )
        for name, key in raising.items():
            job = jobs()[key]
            assert job.retries == RETRIES - 1, name
            assert job.error_message is not None, name
            assert job.error_message.startswith(name), job.error_message
            assert job.incident_key is None, name
        # The engine records a failure before its answer reaches the worker, which counts it
        # then: the count follows within moments, never more than the raising jobs.
        wait_for(
            lambda: worker.stats.failed == len(BASE_EXCEPTIONS) and worker.stats.in_flight == 0,
            worker,
            "the worker counted every failure",
        )
        assert worker.state is WorkerState.POLLING
        assert worker.error is None
        assert worker.stats.failed == len(BASE_EXCEPTIONS)

        after = harness.create_job("base", {}, retries=RETRIES)
        wait_for(lambda: jobs()[after].state == "COMPLETED", worker, "the next job completed")
        assert jobs()[after].result_variables == {"done": True}
        assert worker.state is WorkerState.POLLING
        assert worker.error is None

        worker.close()  # drains normally
        assert worker.state is WorkerState.STOPPED
        assert worker.error is None
        assert worker.stats.in_flight == 0


def test_a_ctrl_c_that_reaches_a_child_process_does_not_fail_its_job(tmp_path: Path) -> None:
    # Ctrl-C in a terminal sends SIGINT to the whole foreground process group: the worker's
    # child processes get it too. Stopping is the worker's decision (its runner drains on the
    # signal); the job a child runs must not fail with a KeyboardInterrupt it did not raise.
    pid_file = tmp_path / "pid"
    with EngineHarness() as harness:
        key = harness.create_job(
            "interrupted", {"pid_file": str(pid_file), "sleep": 1.0}, retries=RETRIES
        )
        worker = harness.start_worker(
            sleep_and_tell,
            "interrupted",
            execution_strategy="process",
            process_start_method="fork",
            process_pool_size=1,
            retry_back_off=RETRY_BACK_OFF_MS,
        )
        wait_for(lambda: pid_file.exists() and pid_file.read_text() != "", worker, "it runs")
        child = int(pid_file.read_text())
        assert child != os.getpid()
        os.kill(child, signal.SIGINT)  # that child only, never this process's group

        def job() -> Any:
            return next(job for job in harness.jobs(job_type="interrupted") if job.key == key)

        wait_for(lambda: job().state in ("COMPLETED", "FAILED"), worker, "the job ended")
        assert job().state == "COMPLETED", job().error_message
        assert job().result_variables == {"pid": child}
        assert worker.state is WorkerState.POLLING
        assert worker.error is None
