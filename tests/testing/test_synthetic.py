"""run_handler / run_handler_async: one handler, one synthetic job, the worker's own outcome rules."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import BaseModel

from camunda_worker import CamundaAsyncClient, CamundaClient, ConfigurationError
from camunda_worker.testing import (
    EngineHarness,
    HandlerOutcome,
    run_handler,
    run_handler_async,
    synthetic_job,
)
from camunda_worker.worker import JobError, JobFailure


class Receipt(BaseModel):
    order_id: str
    total: float


def charge(job: Any) -> dict[str, Any]:
    job.log.info(f"charging {job.variables['amount']} for order {job.variables['order']}")
    if job.variables["amount"] > 100:
        raise JobError("DECLINED", "card declined", {"reason": "limit"})
    if job.variables["amount"] < 0:
        raise JobFailure("bank offline", retries=5, retry_back_off=2_000, variables={"n": 1})
    return {"charged": job.variables["amount"]}


async def charge_async(job: Any) -> Receipt:
    return Receipt(order_id=job.variables["order"], total=job.variables["amount"])


def crash(job: Any) -> None:
    raise KeyError("amount")


def test_a_returned_dict_completes_the_job_with_those_variables() -> None:
    outcome = run_handler(charge, {"amount": 10, "order": "A-1"})
    assert outcome == HandlerOutcome(
        "completed", variables={"charged": 10}, logs=("INFO: charging 10 for order A-1",)
    )
    assert outcome.completed
    assert not outcome.failed
    assert not outcome.bpmn_error


def test_job_error_throws_a_bpmn_error_with_code_message_and_variables() -> None:
    outcome = run_handler(charge, {"amount": 500, "order": "A-1"})
    assert outcome.bpmn_error
    assert (outcome.error_code, outcome.error_message) == ("DECLINED", "card declined")
    assert outcome.variables == {"reason": "limit"}


def test_job_failure_fails_the_job_with_its_retries_back_off_and_variables() -> None:
    outcome = run_handler(charge, {"amount": -1, "order": "A-1"})
    assert outcome.failed
    assert (outcome.retries, outcome.retry_back_off) == (5, 2_000)
    assert outcome.error_message == "bank offline"
    assert outcome.variables == {"n": 1}


def test_an_unexpected_exception_fails_with_one_retry_fewer_and_the_traceback() -> None:
    outcome = run_handler(crash, job=synthetic_job(retries=2), retry_back_off=750)
    assert outcome.failed
    assert outcome.retries == 1
    assert outcome.retry_back_off == 750
    assert outcome.error_message is not None
    assert outcome.error_message.startswith("KeyError: 'amount'")
    assert "in crash" in outcome.error_message


def test_a_result_that_is_not_json_fails_the_job_and_says_why() -> None:
    outcome = run_handler(lambda job: {"when": {1, 2}})
    assert outcome.failed
    assert "cannot be sent as JSON" in (outcome.error_message or "")


def test_an_async_handler_gets_awaited_and_a_pydantic_result_is_dumped() -> None:
    outcome = run_handler(charge_async, {"amount": 3.5, "order": "B-2"})
    assert outcome.variables == {"order_id": "B-2", "total": 3.5}


@pytest.mark.asyncio
async def test_run_handler_works_inside_a_running_loop_too() -> None:
    assert run_handler(charge_async, {"amount": 1, "order": "C"}).completed


@pytest.mark.asyncio
async def test_run_handler_async_runs_sync_and_async_handlers_under_asyncio() -> None:
    sync = await run_handler_async(charge, {"amount": 1, "order": "D"})
    async_ = await run_handler_async(charge_async, {"amount": 2, "order": "D"})
    assert (sync.variables, async_.variables) == (
        {"charged": 1},
        {"order_id": "D", "total": 2},
    )


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_run_handler_async_works_under_anyio(anyio_backend: str) -> None:
    outcome = await run_handler_async(crash, job=synthetic_job(retries=1))
    assert (outcome.status, outcome.retries) == ("failed", 0)


def test_the_handler_sees_the_job_fields_it_was_given() -> None:
    seen: dict[str, Any] = {}

    def look(job: Any) -> None:
        seen.update(
            type=job.job_type,
            headers=job.custom_headers,
            retries=job.retries,
            tenant=job.tenant_id,
            process=job.process_definition_id,
            context=type(job).__name__,
        )

    job = synthetic_job(
        {"x": 1},
        job_type="ship",
        retries=7,
        custom_headers={"carrier": "ups"},
        tenant_id="acme",
        process_definition_id="shipping",
    )
    assert run_handler(look, job=job).completed
    assert seen == {
        "type": "ship",
        "headers": {"carrier": "ups"},
        "retries": 7,
        "tenant": "acme",
        "process": "shipping",
        "context": "SyncJobContext",
    }


def test_using_job_client_without_a_client_fails_the_job_and_says_how_to_give_one() -> None:
    outcome = run_handler(lambda job: job.client.topology())
    assert outcome.failed
    assert "pass client=..." in (outcome.error_message or "")


def test_a_handler_that_completes_its_own_job_is_acknowledged_and_nothing_more() -> None:
    with EngineHarness() as camunda:
        key = camunda.create_job("ship")
        client = camunda.client()
        jobs = client.activate_jobs(
            job_type="ship", max_jobs_to_activate=1, timeout=30_000, worker="test"
        )

        def complete_myself(job: Any) -> dict[str, Any]:
            job.client.complete_job(job.job_key, {"by": "handler"})
            return {"by": "worker"}

        outcome = run_handler(complete_myself, job=jobs[0], client=client)
        assert outcome.status == "acknowledged"
        (job,) = camunda.jobs()
        assert (job.key, job.state, job.result_variables) == (key, "COMPLETED", {"by": "handler"})


@pytest.mark.asyncio
async def test_an_async_handler_gets_the_async_client() -> None:
    async with EngineHarness() as camunda:
        client: CamundaAsyncClient = camunda.async_client()

        async def ask(job: Any) -> dict[str, Any]:
            topology = await job.client.topology()
            return {"version": topology.gateway_version}

        outcome = await run_handler_async(ask, client=client)
    assert outcome.variables == {"version": "8.9.0"}


def test_the_process_strategy_checks_that_the_handler_can_be_pickled() -> None:
    with pytest.raises(ConfigurationError, match="cannot be pickled"):
        run_handler(lambda job: None, execution_strategy="process")
    assert run_handler(charge, {"amount": 1, "order": "E"}, execution_strategy="process").completed


def test_job_and_variables_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        run_handler(charge, {"a": 1}, job=synthetic_job())


def test_a_sync_client_passed_to_an_async_handler_is_what_it_gets() -> None:
    # The helper hands over whatever client it is given: the test decides.
    client = CamundaClient("http://camunda.invalid/v2")
    try:

        async def which(job: Any) -> dict[str, Any]:
            return {"base": job.client.base_url, "pid": os.getpid()}

        outcome = run_handler(which, client=client)
    finally:
        client.close()
    assert outcome.variables == {"base": "http://camunda.invalid/v2", "pid": os.getpid()}


class _Declined(Exception):
    pass


def _typed(amount: int, rate: int) -> dict[str, int]:
    if amount < 0:
        raise _Declined("negative")
    return {"total": amount * rate}


async def _typed_async(amount: int, rate: int) -> dict[str, int]:
    return _typed(amount, rate)


@pytest.mark.parametrize("handler", [_typed, _typed_async], ids=["sync", "async"])
def test_run_handler_binds_typed_handlers_with_the_workers_options(handler: Any) -> None:
    from camunda_worker.testing import run_handler

    assert run_handler(handler, {"amount": "2"}, dependencies={"rate": 5}).variables == {
        "total": 10
    }
    declined = run_handler(
        _typed, {"amount": -1}, dependencies={"rate": 5}, bpmn_errors={_Declined: "DECLINED"}
    )
    assert declined.error_code == "DECLINED"
    invalid = run_handler(handler, {"amount": "x"}, dependencies={"rate": 5})
    assert invalid.failed
    assert invalid.retries == 0
    retried = run_handler(
        handler, {"amount": "x"}, dependencies={"rate": 5}, invalid_variables="retry"
    )
    assert retried.retries == 2
