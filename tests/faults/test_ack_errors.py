"""An acknowledgement path that fails with an unexpected exception does not look healthy.

An exception that is neither a :class:`CamundaError` nor a transport error, raised while sending
a completion, is a bug (the uvloop ``AssertionError`` of issue 11 was one): retrying cannot fix
it. One such failure gives that job up (it is activated again after its timeout); when every
acknowledgement keeps failing so, the worker stops (``FAILED``, ``JobWorker.error``) so that
its health turns red and ``run()`` raises, instead of polling forever and completing nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from camunda_worker import WorkerConfig, health
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

from .wire import ORDER_BPMN


def _wait(condition: Callable[[], bool], limit: float = 30.0) -> None:
    give_up = time.monotonic() + limit
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"the awaited end state never came within {limit} s")
        time.sleep(0.01)


def _broken_completions(harness: EngineHarness, failures: int) -> Any:
    """The harness's client, whose first ``failures`` completions raise ``AssertionError``."""
    client = harness.async_client()
    complete = client.complete_job
    left = [failures]

    async def complete_job(job_key: str, variables: Any = None) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise AssertionError("a bug in the acknowledgement path")
        await complete(job_key, variables)

    client.complete_job = complete_job  # type: ignore[method-assign]
    return client


def _worker(harness: EngineHarness, client: Any, log: RecordingLogger) -> JobWorker:
    async def handler(job: Any) -> dict[str, Any]:
        return {"charged": True}

    return JobWorker(
        handler,
        WorkerConfig(job_type="charge", job_timeout_milliseconds=30_000, max_concurrent_jobs=2),
        client=client,
        logger=log,
        settings={"rest_address": "http://127.0.0.1:1/v2"},
    )


def test_a_worker_whose_every_acknowledgement_fails_unexpectedly_stops_failed(
    camunda_engine: EngineHarness,
) -> None:
    camunda_engine.deploy(ORDER_BPMN)
    keys = [camunda_engine.start_instance("order", {"n": n}) for n in range(6)]
    log = RecordingLogger()
    worker = _worker(camunda_engine, _broken_completions(camunda_engine, 1_000), log)

    with worker:
        _wait(lambda: worker.state is WorkerState.FAILED)
        report = health.check([worker])

    assert worker.state is WorkerState.FAILED
    assert isinstance(worker.error, RuntimeError)
    assert isinstance(worker.error.__cause__, AssertionError)
    assert "AssertionError: a bug in the acknowledgement path" in str(worker.error)
    assert (report.ready, report.live) == (False, False)
    assert "AssertionError" in report.reasons()[0]
    assert any("the worker stops" in line for line in log.lines)
    # No job was completed or failed: each one is activated again after its timeout.
    assert {camunda_engine.instance(key).state for key in keys} == {"ACTIVE"}
    assert {job.lifecycle for job in camunda_engine.jobs(job_type="charge")} <= {
        "ACTIVATED",
        "ACTIVATABLE",
    }
    camunda_engine.advance(30_001)
    assert {job.lifecycle for job in camunda_engine.jobs(job_type="charge")} == {"ACTIVATABLE"}


def test_one_unexpected_acknowledgement_error_gives_that_job_up_and_the_worker_goes_on(
    camunda_engine: EngineHarness,
) -> None:
    camunda_engine.deploy(ORDER_BPMN)
    keys = [camunda_engine.start_instance("order", {"n": n}) for n in range(4)]
    log = RecordingLogger()
    worker = _worker(camunda_engine, _broken_completions(camunda_engine, 1), log)

    with worker:
        _wait(lambda: worker.stats.completed == 3 and worker.stats.in_flight == 0)
        assert worker.stats.acknowledgement_failures == 1
        # The job whose completion was given up comes back after its timeout, and completes.
        camunda_engine.advance(30_001)
        _wait(lambda: all(camunda_engine.instance(key).state == "COMPLETED" for key in keys))
        state = worker.state

    assert state is WorkerState.POLLING
    assert worker.error is None
    assert worker.stats.completed == 4
    assert any("AssertionError: a bug in the acknowledgement path" in line for line in log.lines)
