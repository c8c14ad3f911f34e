"""Every strategy x every outcome, against the in-memory engine (what Operate would show)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import handlers
import pytest
from conftest import wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker
from camunda_worker.worker._strategy import returns_awaitable

STRATEGIES = ["async", "thread", "process"]


def handler_for(strategy: str, handler: Callable[[Any], Any]) -> Any:
    # The same module-level handler for every strategy: async gets an object with an async
    # __call__ (picklable too), detected as async by auto.
    if strategy != "async" or returns_awaitable(handler):
        return handler
    return handlers.AsyncOf(handler)


def run_job(
    engine: Any,
    client: Any,
    strategy: str,
    handler: Callable[[Any], Any],
    *,
    retries: int = 3,
    variables: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    key = engine.create_job("work", variables=variables or {"n": 7}, retries=retries)
    worker = JobWorker(
        handler_for(strategy, handler),
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=2),
        client=client,
        settings=CamundaSettings(),
        execution_strategy="auto" if strategy != "process" else "process",
        process_start_method="fork",
        process_pool_size=1,
        **kwargs,
    )
    assert worker.strategy == strategy
    with worker:
        wait_until(lambda: worker.stats.activated >= 1 and worker.stats.in_flight == 0)
    (job,) = [job for job in engine.jobs(job_type="work") if job.key == key]
    return job


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_returned_dict_completes_the_job_with_its_variables(
    engine: Any, client: Any, strategy: str
) -> None:
    job = run_job(engine, client, strategy, handlers.complete)
    assert job.state == "COMPLETED"
    assert job.result_variables["done"] is True
    assert job.result_variables["seen"] == 7


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_none_completes_the_job_without_variables(engine: Any, client: Any, strategy: str) -> None:
    job = run_job(engine, client, strategy, handlers.return_none)
    assert job.state == "COMPLETED"
    assert not job.result_variables


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_pydantic_model_completes_the_job(engine: Any, client: Any, strategy: str) -> None:
    job = run_job(engine, client, strategy, handlers.return_model)
    assert job.state == "COMPLETED"
    assert job.result_variables == {"orderId": "A-1", "total": 9.5}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_job_error_throws_a_bpmn_error(engine: Any, client: Any, strategy: str) -> None:
    job = run_job(engine, client, strategy, handlers.throw_bpmn_error)
    assert job.state == "ERROR_THROWN"
    assert job.error_code == "NO_STOCK"
    assert job.error_message == "nothing left"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_job_failure_fails_with_its_retries_and_back_off(
    engine: Any, client: Any, strategy: str
) -> None:
    job = run_job(engine, client, strategy, handlers.fail_explicitly)
    assert job.state == "FAILED"
    assert job.retries == 5
    assert job.error_message == "try later"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_an_exception_fails_with_one_retry_fewer_and_the_traceback(
    engine: Any, client: Any, strategy: str
) -> None:
    job = run_job(engine, client, strategy, handlers.crash, retries=1)
    assert job.state == "FAILED"
    assert job.retries == 0  # an incident now
    assert job.error_message.startswith("ValueError: boom")
    assert "Traceback" in job.error_message
    assert engine.incidents()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_result_that_is_not_json_fails_with_a_clear_message(
    engine: Any, client: Any, strategy: str
) -> None:
    job = run_job(engine, client, strategy, handlers.not_json, retries=1)
    assert job.state == "FAILED"
    assert "cannot be sent as JSON" in job.error_message


def test_an_async_handler_that_completes_its_own_job_gets_nothing_more(
    engine: Any, client: Any
) -> None:
    job = run_job(engine, client, "async", handlers.complete_via_client_async)
    assert job.state == "COMPLETED"
    assert job.result_variables == {"by": "handler"}


def test_a_thread_handler_that_completes_its_own_job_gets_nothing_more(
    engine: Any, client: Any, sync_client: Any
) -> None:
    job = run_job(engine, client, "thread", handlers.complete_via_client, sync_client=sync_client)
    assert job.state == "COMPLETED"
    assert job.result_variables == {"by": "handler"}


def test_a_process_handler_gets_a_client_built_from_the_settings(engine: Any) -> None:
    import asyncio

    from camunda_worker._client import CamundaAsyncClient
    from camunda_worker.engine import EngineServer

    with EngineServer(engine) as server:
        client = CamundaAsyncClient(server.url)
        try:
            job = run_job(engine, client, "process", handlers.complete_via_client)
        finally:
            asyncio.run(client.aclose())
    assert job.state == "COMPLETED"
    assert job.result_variables == {"by": "handler"}
