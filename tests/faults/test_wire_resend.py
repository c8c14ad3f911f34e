"""A request whose connection drops after the server read it is never sent twice by the client.

The engine's fault plan drops connections: ``drop`` after reading a request, before the engine
sees it; ``drop-after`` once the engine has acted on it. The client cannot tell which happened,
so it must not send a ``POST`` again by itself (a second process instance); the worker's
acknowledgements are sent again by its ack sender, and still end with the job completed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from wire_servers import clear_proxies

from camunda_worker import CamundaAsyncClient, TransportError, WorkerConfig
from camunda_worker.engine import Exchange
from camunda_worker.testing import EngineHarness
from camunda_worker.testing._recording_logger import RecordingLogger
from camunda_worker.worker import JobWorker, WorkerState

from .wire import LOOPS, ORDER_BPMN, eventually, run_on


@pytest.fixture(autouse=True)
def no_proxy_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment turns the fast lane off: these tests are about the lane."""
    clear_proxies(monkeypatch)


@pytest.mark.parametrize("loop", LOOPS)
def test_an_instance_whose_answer_was_lost_is_created_once(
    camunda_engine: EngineHarness, loop: str
) -> None:
    camunda_engine.deploy(ORDER_BPMN)
    url = camunda_engine.serve().url
    # The first creation is answered; the engine creates the second, and its answer is lost.
    camunda_engine.faults.script("create_instance", [None, "drop-after"])

    async def create_twice() -> tuple[str, TransportError]:
        async with CamundaAsyncClient(url) as client:
            if client._wire is None:
                raise AssertionError("the client does not use the fast lane")
            first = await client.create_process_instance(process_definition_id="order")
            with pytest.raises(TransportError) as lost:
                await client.create_process_instance(process_definition_id="order")
            return first.process_instance_key, lost.value

    answered, lost = run_on(loop, create_twice)

    instances = camunda_engine.instances(process_definition_id="order")
    assert len(instances) == 2  # the answered one and the one whose answer was lost: no third
    # The engine records a dropped exchange just after it dropped the connection.
    creations = _exchanges(camunda_engine, "create_instance", at_least=2)
    assert sorted(str(e.fault) for e in creations) == ["None", "drop-after"]
    assert answered in {instance.key for instance in instances}
    assert lost.retryable
    assert "POST" in str(lost)
    assert "process-instances" in str(lost)


def _exchanges(harness: EngineHarness, endpoint: str, *, at_least: int) -> list[Exchange]:
    give_up = time.monotonic() + 10
    while len(found := [e for e in harness.requests if e.endpoint == endpoint]) < at_least:
        if time.monotonic() > give_up:
            raise AssertionError(f"the engine recorded {found}, expected {at_least} at least")
        time.sleep(0.01)
    return found


def _run_worker(
    harness: EngineHarness, loop: str, instances: int, log: RecordingLogger
) -> tuple[JobWorker, list[str]]:
    harness.deploy(ORDER_BPMN)
    keys = [harness.start_instance("order", {"order": n}) for n in range(instances)]
    url = harness.serve().url

    async def handler(job: Any) -> dict[str, Any]:
        return {"charged": job.variables["order"]}

    async def serve() -> JobWorker:
        async with CamundaAsyncClient(url) as client:
            if client._wire is None:
                raise AssertionError("the client does not use the fast lane")
            worker = JobWorker(
                handler,
                WorkerConfig(job_type="charge", job_timeout_milliseconds=30_000),
                client=client,
                logger=log,
                settings={"rest_address": url},
            )
            async with worker:
                await eventually(
                    lambda: all(harness.instance(key).state != "ACTIVE" for key in keys)
                )
                state_while_running = worker.state
            if state_while_running is not WorkerState.POLLING:
                raise AssertionError(f"the worker was {state_while_running} while running")
            return worker

    return run_on(loop, serve), keys


@pytest.mark.parametrize("loop", LOOPS)
def test_a_completion_whose_answer_was_lost_is_sent_again_and_its_job_ends_completed(
    camunda_engine: EngineHarness, loop: str
) -> None:
    # The engine completes the job, then the connection drops: the worker cannot know the
    # completion took effect. Its ack sender sends it again; the engine no longer knows the job
    # (404), which tells the worker its first attempt took effect.
    camunda_engine.faults.script("complete", ["drop-after"])
    log = RecordingLogger()

    worker, [key] = _run_worker(camunda_engine, loop, 1, log)

    assert camunda_engine.instance(key).state == "COMPLETED"
    assert camunda_engine.variables(key)["charged"] == 0
    [job] = camunda_engine.jobs(job_type="charge")
    completions = _exchanges(camunda_engine, "complete", at_least=2)
    assert sorted((str(e.fault), e.status or 0) for e in completions) == [
        ("None", 404),
        ("drop-after", 0),
    ]
    assert all(e.path == f"/v2/jobs/{job.key}/completion" for e in completions)
    assert job.state == "COMPLETED"
    assert worker.state is WorkerState.STOPPED
    assert worker.error is None
    stats = worker.stats
    assert (stats.rejected, stats.acknowledgement_failures) == (1, 0)
    [refused] = [line for line in log.lines if "refused" in line]
    assert refused.startswith("WARNING: ")
    assert f"the completion of job {job.key} was refused when sent again" in refused
    assert "an earlier attempt, whose answer was lost, most likely took effect" in refused


@pytest.mark.parametrize("loop", LOOPS)
def test_a_completion_dropped_before_the_engine_saw_it_is_sent_again_and_completes(
    camunda_engine: EngineHarness, loop: str
) -> None:
    camunda_engine.faults.script("complete", ["drop", "drop"])

    worker, keys = _run_worker(camunda_engine, loop, 3, RecordingLogger())

    assert [camunda_engine.instance(key).state for key in keys] == ["COMPLETED"] * 3
    completions = _exchanges(camunda_engine, "complete", at_least=5)
    assert [e.fault for e in completions].count("drop") == 2
    assert len(completions) == 5  # three completions, two of them sent twice
    assert worker.error is None
    assert worker.stats.completed == 3
    assert worker.stats.acknowledgement_failures == 0
