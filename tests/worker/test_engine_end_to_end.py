"""A BPMN process whose tasks run async, in threads and in processes; faults lose no job."""

from __future__ import annotations

import os
import time
from typing import Any

import handlers
import pytest
from conftest import wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.engine import FaultPlan
from camunda_worker.worker import JobWorker, serve_workers

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="three-strategies" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="on_loop" />
    <bpmn:serviceTask id="on_loop">
      <bpmn:extensionElements><zeebe:taskDefinition type="step-async" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="on_loop" targetRef="in_thread" />
    <bpmn:serviceTask id="in_thread">
      <bpmn:extensionElements><zeebe:taskDefinition type="step-thread" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="in_thread" targetRef="in_process" />
    <bpmn:serviceTask id="in_process">
      <bpmn:extensionElements><zeebe:taskDefinition type="step-process" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="in_process" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def build(handler: Any, job_type: str, client: Any, **kwargs: Any) -> JobWorker:
    return JobWorker(
        handler,
        WorkerConfig(job_type=job_type, job_timeout_milliseconds=30_000, max_concurrent_jobs=4),
        client=client,
        settings=CamundaSettings(),
        **kwargs,
    )


@pytest.mark.asyncio
async def test_a_process_with_an_async_a_thread_and_a_process_task_runs_to_the_end(
    engine: Any, client: Any
) -> None:
    import anyio

    engine.deploy([("three.bpmn", BPMN)])
    keys = [
        engine.create_process_instance(
            process_definition_id="three-strategies", variables={"count": 0}
        )["processInstanceKey"]
        for _ in range(5)
    ]
    workers = [
        build(handlers.add_one_async, "step-async", client),
        build(handlers.add_one, "step-thread", client),
        build(
            handlers.add_one,
            "step-process",
            client,
            execution_strategy="process",
            process_start_method="fork",
            process_pool_size=2,
        ),
    ]
    assert [w.strategy for w in workers] == ["async", "thread", "process"]

    async def stop_when_done() -> None:
        while not all(engine.process_instance(key).state == "COMPLETED" for key in keys):  # noqa: ASYNC110
            await anyio.sleep(0.02)
        for worker in workers:
            worker.stop()

    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            group.start_soon(stop_when_done)
            await serve_workers(*workers)  # all three on this loop, sharing one client
    for key in keys:
        variables = engine.process_instance(key).variables
        assert variables["count"] == 3
        assert variables["pid_on_loop"] == variables["pid_in_thread"] == os.getpid()
        assert variables["pid_in_process"] != os.getpid()


@pytest.mark.parametrize("strategy", ["async", "thread"])
def test_backpressure_and_transport_faults_lose_no_job(
    engine: Any, engine_app: Any, client: Any, strategy: str
) -> None:
    faults: FaultPlan = engine_app.faults
    faults.error_rate("activate", "503", 0.2)
    faults.error_rate("activate", "drop", 0.05)
    faults.error_rate("activate", "drop-after", 0.05)  # jobs activated, answer lost: they time out
    faults.error_rate("complete", "503", 0.2)
    faults.error_rate("complete", "429", 0.05)
    faults.error_rate("complete", "500", 0.05)
    faults.error_rate("complete", "drop", 0.05)
    faults.error_rate("complete", "drop-after", 0.05)  # completed, answer lost: the retry gets 404
    keys = {engine.create_job("work", variables={"n": i}) for i in range(60)}
    handler = handlers.complete if strategy == "thread" else handlers.complete_async
    worker = JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=400, max_concurrent_jobs=8),
        client=client,
        settings=CamundaSettings(),
    )
    with worker:
        wait_until(
            lambda: (
                sum(1 for job in engine.jobs(job_type="work") if job.state == "COMPLETED") == 60
            ),
            timeout=60,
        )
    jobs = {job.key: job for job in engine.jobs(job_type="work")}
    assert set(jobs) == keys
    assert all(job.state == "COMPLETED" for job in jobs.values())  # none lost, none failed
    assert worker.stats.failed == 0
    stats = engine.stats()
    assert stats.jobs_completed == 60
    assert worker.error is None
    assert any(exchange.fault for exchange in engine_app.requests)  # faults did happen


def test_failed_completions_of_a_dropped_answer_are_not_turned_into_failures(
    engine: Any, engine_app: Any, client: Any
) -> None:
    engine_app.faults.script("complete", ["drop-after"])  # completed, but the answer never comes
    engine.create_job("work")
    worker = JobWorker(
        handlers.complete,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000),
        client=client,
        settings=CamundaSettings(),
    )
    with worker:
        wait_until(lambda: worker.stats.activated == 1 and worker.stats.in_flight == 0)
    (job,) = engine.jobs(job_type="work")
    assert job.state == "COMPLETED"
    assert worker.stats.failed == 0
    assert worker.stats.rejected + worker.stats.completed == 1


def test_a_job_that_times_out_while_the_worker_is_away_is_activated_again(
    engine: Any, client: Any
) -> None:
    """A worker that stops without acknowledging (drain timeout) leaves the job to time out."""
    engine.create_job("work", variables={"sleep": 1.0})
    slow = JobWorker(
        handlers.sleep,
        WorkerConfig(job_type="work", job_timeout_milliseconds=300),
        client=client,
        settings=CamundaSettings(),
        drain_timeout=0.05,
    )
    with slow:
        wait_until(lambda: slow.stats.in_flight == 1)
    time.sleep(0.4)  # past the job timeout
    fast = JobWorker(
        handlers.complete,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000),
        client=client,
        settings=CamundaSettings(),
    )
    with fast:
        wait_until(lambda: fast.stats.completed == 1)
    (job,) = engine.jobs(job_type="work")
    assert job.state == "COMPLETED"


@pytest.mark.parametrize("strategy", ["async", "thread", "process"])
def test_closing_drains_jobs_in_flight_and_sends_their_results(
    engine: Any, client: Any, strategy: str
) -> None:
    for _ in range(3):
        engine.create_job("work", variables={"sleep": 0.3})
    handler = handlers.sleep_async if strategy == "async" else handlers.sleep
    worker = JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=3),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="process" if strategy == "process" else "auto",
        process_start_method="fork",
        process_pool_size=3,
    )
    with worker:
        wait_until(lambda: worker.stats.in_flight == 3)
    # close() returned after the drain: every job ran to its end and was completed
    assert [job.state for job in engine.jobs(job_type="work")] == ["COMPLETED"] * 3
    assert worker.stats.completed == 3
