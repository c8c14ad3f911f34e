"""The fixtures as a user's tests use them, configured by @pytest.mark.camunda."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from camunda_worker import (
    BackpressureError,
    CamundaAsyncClient,
    CamundaClient,
    TaskRegistry,
    WorkerConfig,
)
from camunda_worker._client.retry import is_testing
from camunda_worker.engine import EngineServer, FaultPlan
from camunda_worker.testing import EngineHarness, ProcessInstanceStateError
from camunda_worker.worker import JobFailure, JobWorker

from .bpmn import ORDER_BPMN


def charge(job: Any) -> dict[str, Any]:
    return {"charged": job.variables.get("amount", 0)}


@pytest.mark.camunda(ORDER_BPMN)
def test_camunda_engine_deploys_starts_and_inspects(camunda_engine: EngineHarness) -> None:
    key = camunda_engine.start_instance("order", {"amount": 3})
    assert camunda_engine.instance(key).active_element_ids == ("charge",)
    assert camunda_engine.variables(key) == {"amount": 3}
    (job,) = camunda_engine.jobs(job_type="charge")
    assert (job.process_instance_key, job.lifecycle) == (key, "ACTIVATABLE")
    assert camunda_engine.incidents() == []
    assert camunda_engine.stats().process_instances_created == 1
    assert [i.key for i in camunda_engine.instances(state="ACTIVE")] == [key]


@pytest.mark.camunda(bpmn=[("orders/order.bpmn", ORDER_BPMN)], server_line="8.8")
def test_the_marker_takes_named_resources_and_a_server_line(camunda_engine: EngineHarness) -> None:
    assert camunda_engine.engine.server_line == "8.8"
    assert camunda_engine.start_instance("order")


def test_the_clock_is_manual_job_timeouts_pass_when_the_test_says(
    camunda_engine: EngineHarness, camunda_client: CamundaClient
) -> None:
    key = camunda_engine.create_job("slow")
    (job,) = camunda_client.activate_jobs(
        job_type="slow", max_jobs_to_activate=1, timeout=60_000, worker="gone"
    )
    assert job.job_key == key
    camunda_engine.advance(59_999)
    assert camunda_engine.jobs()[0].lifecycle == "ACTIVATED"
    camunda_engine.advance(1)
    assert (camunda_engine.jobs()[0].state, camunda_engine.jobs()[0].lifecycle) == (
        "TIMED_OUT",
        "ACTIVATABLE",
    )


def busy_once(job: Any) -> dict[str, Any]:
    if job.retries == 3:
        raise JobFailure("busy", retries=2, retry_back_off=30_000)
    return {"done": True}


def test_a_retry_back_off_passes_when_the_test_advances_the_clock(
    camunda_engine: EngineHarness, job_worker: Callable[..., JobWorker]
) -> None:
    job_worker(busy_once, "busy")
    key = camunda_engine.create_job("busy")
    deadline = time.monotonic() + 30
    while camunda_engine.jobs()[0].state != "FAILED":
        assert time.monotonic() < deadline, "the handler's failure never arrived"
        time.sleep(0.005)
    camunda_engine.advance(29_999)
    assert camunda_engine.jobs()[0].lifecycle == "FAILED"  # still backing off
    camunda_engine.advance(1)
    while camunda_engine.jobs()[0].state != "COMPLETED":
        assert time.monotonic() < deadline, "the job was not activated again"
        time.sleep(0.005)
    assert camunda_engine.jobs()[0].key == key


@pytest.mark.camunda(ORDER_BPMN, search_lag_ms=1_000)
def test_the_marker_takes_a_search_lag(
    camunda_engine: EngineHarness, camunda_client: CamundaClient
) -> None:
    key = camunda_engine.start_instance("order")

    at_once = camunda_client.search_process_instances().items
    camunda_engine.advance(1_000)
    later = camunda_client.search_process_instances().items

    assert at_once == []
    assert [instance.process_instance_key for instance in later] == [key]


@pytest.mark.camunda(manual_clock=False)
def test_a_system_clock_cannot_be_moved(camunda_engine: EngineHarness) -> None:
    with pytest.raises(RuntimeError, match="system clock"):
        camunda_engine.advance(1_000)


@pytest.mark.camunda(faults=["topology:503:1"])
def test_faults_from_specs(camunda_client: CamundaClient) -> None:
    with pytest.raises(BackpressureError):
        camunda_client.topology()


@pytest.mark.camunda(faults=lambda plan: plan.script("topology", ["503", None]))
def test_faults_from_a_function(camunda_client: CamundaClient) -> None:
    with pytest.raises(BackpressureError):
        camunda_client.topology()
    assert camunda_client.topology().gateway_version == "8.9.0"


@pytest.mark.camunda(faults=FaultPlan().error_rate("status", "500", 1.0))
def test_faults_from_a_plan_and_changed_during_the_test(
    camunda_engine: EngineHarness, camunda_client: CamundaClient
) -> None:
    camunda_engine.faults.script("topology", ["503"])
    with pytest.raises(BackpressureError):
        camunda_client.topology()
    assert [exchange.fault for exchange in camunda_engine.requests] == ["503"]


def test_back_off_delays_are_off_during_a_test(camunda_engine: EngineHarness) -> None:
    assert is_testing()


@pytest.mark.camunda(backoff=True)
def test_back_off_delays_can_stay_on(camunda_engine: EngineHarness) -> None:
    assert not is_testing()


@pytest.mark.asyncio
@pytest.mark.camunda(ORDER_BPMN)
async def test_the_async_client_in_an_asyncio_test(
    camunda_engine: EngineHarness,
    camunda_async_client: CamundaAsyncClient,
    job_worker: Callable[..., JobWorker],
) -> None:
    job_worker(charge, "charge")
    created = await camunda_async_client.create_process_instance(
        process_definition_id="order",
        variables={"amount": 7},
        await_completion=True,
        request_timeout=30_000,
    )
    assert created.variables == {"amount": 7, "charged": 7}


@pytest.mark.camunda(ORDER_BPMN)
def test_code_under_test_reaches_the_engine_over_a_real_socket(
    camunda_engine: EngineHarness,
    camunda_server: EngineServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The application reads its address from the environment, as in production.
    monkeypatch.setenv("CAMUNDA_REST_ADDRESS", camunda_server.address)
    monkeypatch.setenv("CAMUNDA_WORKER_TIMEOUT", "30000")
    key = camunda_engine.start_instance("order", {"amount": 4})
    with JobWorker(charge, WorkerConfig("charge")):
        done = camunda_engine.wait_for_completion(key)
    assert done.variables["charged"] == 4
    with CamundaClient(camunda_server.url) as client:
        assert client.topology().gateway_version == "8.9.0"
    assert camunda_engine.settings().rest_address == camunda_server.url


@pytest.mark.camunda(ORDER_BPMN)
def test_job_worker_takes_a_registered_task(
    camunda_engine: EngineHarness, job_worker: Callable[..., JobWorker]
) -> None:
    registry = TaskRegistry()
    definition = registry.add(charge, "charge", timeout=45_000, max_concurrent_jobs=2)
    worker = job_worker(definition)
    assert (worker.job_type, worker.config.job_timeout_milliseconds) == ("charge", 45_000)
    assert worker.config.max_concurrent_jobs == 2
    key = camunda_engine.start_instance("order", {"amount": 1})
    assert camunda_engine.wait_for_completion(key).variables["charged"] == 1


def test_job_worker_needs_a_job_type_and_one_place_for_the_config(
    job_worker: Callable[..., JobWorker],
) -> None:
    with pytest.raises(ValueError, match="give the job type"):
        job_worker(charge)
    with pytest.raises(ValueError, match="max_concurrent_jobs in the WorkerConfig"):
        job_worker(charge, config=WorkerConfig("charge"), max_concurrent_jobs=3)
    with pytest.raises(ValueError, match="contradicts"):
        job_worker(charge, "other", config=WorkerConfig("charge"))


@pytest.mark.camunda(ORDER_BPMN, faults=["activate:401:1"])
def test_a_worker_stopped_by_an_error_shows_in_a_failed_wait(
    camunda_engine: EngineHarness, job_worker: Callable[..., JobWorker]
) -> None:
    worker = job_worker(charge, "charge")
    key = camunda_engine.start_instance("order", {"amount": 1})
    with pytest.raises(ProcessInstanceStateError) as caught:
        camunda_engine.wait_for_completion(key, timeout=30)
    assert worker.error is not None
    assert "the worker for that type stopped: UnauthorizedError" in str(caught.value)
    assert "'charge' (thread): failed" in str(caught.value)
    assert "stopped by UnauthorizedError" in str(caught.value)
