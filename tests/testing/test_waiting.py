"""Waiting for a process instance to complete or for an incident, and what a failed wait shows."""

from __future__ import annotations

from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

import pytest

from camunda_worker.testing import (
    EngineHarness,
    ProcessInstanceStateError,
    wait_for_completion,
    wait_for_completion_async,
    wait_for_incident,
    wait_for_incident_async,
)
from camunda_worker.worker import JobError

from .bpmn import ORDER_BPMN

pytestmark = pytest.mark.camunda(ORDER_BPMN)


def charge(job: Any) -> dict[str, Any]:
    amount = job.variables["amount"]
    if amount > 100:
        raise JobError("DECLINED", "card declined")
    if amount < 0:
        raise ValueError("negative amount")
    return {"charged": amount}


def test_wait_for_completion_returns_the_instance_with_its_final_variables(
    camunda_engine: EngineHarness, job_worker: Callable[..., Any]
) -> None:
    job_worker(charge, "charge")
    key = camunda_engine.start_instance("order", {"amount": 10})
    instance = camunda_engine.wait_for_completion(key)
    assert (instance.state, instance.variables) == ("COMPLETED", {"amount": 10, "charged": 10})


def test_a_timeout_shows_where_the_instance_waits_and_which_job_nobody_activated(
    camunda_engine: EngineHarness,
) -> None:
    key = camunda_engine.start_instance("order", {"amount": 10})
    with pytest.raises(ProcessInstanceStateError) as caught:
        wait_for_completion(camunda_engine.engine, key, timeout=0.05)
    message = str(caught.value)
    assert f"process instance {key} did not complete within 0.05 s (it is ACTIVE)" in message
    assert "waiting in: charge" in message
    assert "variables: {'amount': 10}" in message
    assert "never activated: is a worker for 'charge' running?" in message
    assert caught.value.instance is not None
    assert caught.value.instance.state == "ACTIVE"
    assert [job.type for job in caught.value.jobs] == ["charge"]


def test_an_incident_ends_the_wait_at_once_with_the_failure_and_the_workers(
    camunda_engine: EngineHarness, job_worker: Callable[..., Any]
) -> None:
    job_worker(charge, "charge")
    key = camunda_engine.start_instance("order", {"amount": -5})
    with pytest.raises(ProcessInstanceStateError) as caught:
        camunda_engine.wait_for_completion(key, timeout=30)
    message = str(caught.value)
    assert "will not complete: it has an incident" in message
    assert "JOB_NO_RETRIES on charge" in message
    assert "ValueError: negative amount" in message
    assert "workers:" in message
    assert "'charge' (thread): polling" in message


def test_waiting_on_despite_an_incident_is_possible(camunda_engine: EngineHarness) -> None:
    key = camunda_engine.start_instance("order", {"amount": 1})
    (job,) = camunda_engine.jobs(process_instance_key=key)
    camunda_engine.engine.fail_job(job.key, retries=0, error_message="down")
    with pytest.raises(ProcessInstanceStateError, match="did not complete within"):
        camunda_engine.wait_for_completion(key, timeout=0.05, fail_on_incident=False)


def test_a_terminated_instance_will_never_complete(camunda_engine: EngineHarness) -> None:
    key = camunda_engine.start_instance("order", {"amount": 1})
    camunda_engine.engine.cancel_process_instance(key)
    with pytest.raises(ProcessInstanceStateError, match="terminated"):
        camunda_engine.wait_for_completion(key, timeout=30)


def test_wait_for_incident_returns_the_incident(
    camunda_engine: EngineHarness, job_worker: Callable[..., Any]
) -> None:
    job_worker(charge, "charge")
    key = camunda_engine.start_instance("order", {"amount": -1})
    incident = wait_for_incident(camunda_engine, key, error_type="JOB_NO_RETRIES")
    assert (incident.element_id, incident.process_instance_key) == ("charge", key)
    assert "negative amount" in incident.error_message


def test_wait_for_incident_anywhere_reports_the_whole_engine(camunda_engine: EngineHarness) -> None:
    camunda_engine.start_instance("order", {"amount": 1})
    with pytest.raises(ProcessInstanceStateError) as caught:
        camunda_engine.wait_for_incident(timeout=0.05)
    message = str(caught.value)
    assert "the engine got no an incident" not in message
    assert "the engine got no incident within 0.05 s" in message
    assert "process instances: 1 (1 active)" in message
    assert "unfinished jobs:" in message


def test_an_instance_that_completes_will_not_get_an_incident(
    camunda_engine: EngineHarness, job_worker: Callable[..., Any]
) -> None:
    job_worker(charge, "charge")
    key = camunda_engine.start_instance("order", {"amount": 1})
    with pytest.raises(ProcessInstanceStateError, match=r"ended \(COMPLETED\) without one"):
        camunda_engine.wait_for_incident(key, timeout=30)


@pytest.mark.asyncio
async def test_the_sync_waits_refuse_to_block_a_running_loop(camunda_engine: EngineHarness) -> None:
    key = camunda_engine.start_instance("order", {"amount": 1})
    with pytest.raises(RuntimeError, match="wait_for_completion_async"):
        camunda_engine.wait_for_completion(key)
    with pytest.raises(RuntimeError, match="wait_for_incident_async"):
        camunda_engine.wait_for_incident(key)


@pytest.mark.asyncio
async def test_the_async_waits_under_pytest_asyncio(
    camunda_engine: EngineHarness, job_worker: Callable[..., Any]
) -> None:
    job_worker(charge, "charge")
    done = camunda_engine.start_instance("order", {"amount": 2})
    broken = camunda_engine.start_instance("order", {"amount": -2})
    assert (await wait_for_completion_async(camunda_engine, done)).state == "COMPLETED"
    incident = await wait_for_incident_async(camunda_engine.engine, broken)
    assert incident.error_type == "JOB_NO_RETRIES"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "anyio_backend",
    [
        "asyncio",
        pytest.param(
            "trio",
            marks=pytest.mark.skipif(find_spec("trio") is None, reason="trio is not installed"),
        ),
    ],
)
async def test_the_async_waits_under_anyio(
    anyio_backend: str, camunda_engine: EngineHarness, job_worker: Callable[..., Any]
) -> None:
    job_worker(charge, "charge")
    declined = camunda_engine.start_instance("order", {"amount": 500})
    instance = await camunda_engine.wait_for_completion_async(declined)
    with pytest.raises(ProcessInstanceStateError, match="did not complete within"):
        await camunda_engine.wait_for_completion_async(
            camunda_engine.start_instance("order", {"amount": 1}), timeout=0
        )
    assert instance.state == "COMPLETED"
    assert "charged" not in instance.variables  # the error boundary event took the token
