"""A user's test suite, run with pytester: three strategies and an error boundary, then a failure.

The user's files are written as a user would write them: a module of handlers (the process
strategy needs them importable), a test module that uses the plugin's fixtures and marker.
"""

from __future__ import annotations

import threading

import pytest

from camunda_worker.worker import WorkerState

from .support import run_user_suite

pytest_plugins = ["pytester"]

HANDLERS = """
import os
import threading

from camunda_worker.worker import JobError


async def check_stock(job):
    return {"in_stock": job.variables["quantity"] <= 10}


def reserve(job):
    if not job.variables["in_stock"]:
        raise JobError("OUT_OF_STOCK", f"only 10 left, {job.variables['quantity']} ordered")
    return {"reserved_in": threading.current_thread().name}


def invoice(job):
    # Runs in a child process; its client reaches the engine over TCP.
    version = job.client.topology().gateway_version
    return {"invoice_pid": os.getpid(), "gateway": version}
"""

USER_TESTS = """
import os

import pytest

import handlers

pytestmark = pytest.mark.camunda("shop.bpmn")


def start_workers(job_worker):
    job_worker(handlers.check_stock, "check-stock")
    job_worker(handlers.reserve, "reserve")
    job_worker(handlers.invoice, "invoice", execution_strategy="process", process_pool_size=1)


def test_orders_run_through_async_thread_and_process_handlers(camunda_engine, job_worker):
    start_workers(job_worker)
    shipped = camunda_engine.start_instance("shop", {"quantity": 2})
    refused = camunda_engine.start_instance("shop", {"quantity": 50})

    done = camunda_engine.wait_for_completion(shipped, timeout=60)
    assert done.variables["in_stock"] is True
    assert done.variables["reserved_in"].startswith("camunda-worker[reserve]")
    assert done.variables["invoice_pid"] != os.getpid()
    assert done.variables["gateway"] == "8.9.0"

    apologised = camunda_engine.wait_for_completion(refused, timeout=60)
    assert "reserved_in" not in apologised.variables
    (reservation,) = camunda_engine.jobs(process_instance_key=refused, job_type="reserve")
    assert reservation.error_code == "OUT_OF_STOCK"
    assert camunda_engine.jobs(process_instance_key=refused, job_type="invoice") == []
    assert camunda_engine.incidents() == []


@pytest.mark.asyncio
async def test_a_refusal_from_an_asyncio_test(camunda_engine, job_worker, camunda_async_client):
    job_worker(handlers.check_stock, "check-stock")
    job_worker(handlers.reserve, "reserve")
    created = await camunda_async_client.create_process_instance(
        process_definition_id="shop", variables={"quantity": 12}
    )
    key = created.process_instance_key
    done = await camunda_engine.wait_for_completion_async(key, timeout=60)
    assert done.variables == {"quantity": 12, "in_stock": False}


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_refusal_from_an_anyio_test(anyio_backend, camunda_engine, job_worker):
    job_worker(handlers.check_stock, "check-stock")
    job_worker(handlers.reserve, "reserve")
    refused = camunda_engine.start_instance("shop", {"quantity": 11})
    done = await camunda_engine.wait_for_completion_async(refused, timeout=60)
    assert done.state == "COMPLETED"
"""


def test_a_users_suite_deploys_runs_three_strategies_and_an_error_boundary(
    user_project: pytest.Pytester,
) -> None:
    user_project.makepyfile(handlers=HANDLERS, test_shop=USER_TESTS)
    result = run_user_suite(user_project)
    result.assert_outcomes(passed=3)


FAILING_TEST = """
import time

import observed


def slow(job):
    time.sleep(0.2)
    return {"slept": True}


def test_fails_while_a_job_is_in_flight(camunda_engine, job_worker):
    observed.ENGINES.append(camunda_engine)
    observed.WORKERS.append(job_worker(slow, "slow"))
    camunda_engine.create_job("slow")
    while not camunda_engine.jobs(lifecycle="ACTIVATED"):
        time.sleep(0.005)
    assert False, "the user's test fails here"
"""


def test_a_failing_user_test_still_drains_and_closes_its_workers(
    user_project: pytest.Pytester,
) -> None:
    user_project.makepyfile(observed="ENGINES = []\nWORKERS = []\n", test_fails=FAILING_TEST)
    import observed as shared  # the user's test appends to this very module

    result = run_user_suite(user_project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: the user's test fails here*"])
    assert "leak guard" not in result.stdout.str()

    (worker,) = shared.WORKERS
    assert worker.state is WorkerState.STOPPED
    (job,) = shared.ENGINES[0].jobs()
    assert (job.state, job.result_variables) == ("COMPLETED", {"slept": True})  # drained
    assert not [t for t in threading.enumerate() if t.name.startswith("camunda-worker[slow]")]
