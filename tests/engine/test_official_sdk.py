"""Fidelity: the official Camunda SDK's generated client drives the engine served over TCP.

``camunda-orchestration-sdk`` (a test-only dependency) was generated from Camunda's spec by
people outside this team. It deploys a BPMN file (multipart), starts instances, activates,
completes, fails and throws BPMN errors, and must see what it would see on a real cluster. The
SDK is built for the newest server line, so the engine answers as 8.10.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from camunda_worker.engine import Engine, EngineApp, EngineServer, ManualClock

from .conftest import ORDER_BPMN

sdk = pytest.importorskip("camunda_orchestration_sdk", reason="the official SDK is not installed")

from camunda_orchestration_sdk import Client, errors  # noqa: E402
from camunda_orchestration_sdk.api.job import (  # noqa: E402
    activate_jobs,
    complete_job,
    fail_job,
    search_jobs,
    throw_job_error,
)
from camunda_orchestration_sdk.api.process_instance import (  # noqa: E402
    create_process_instance,
    get_process_instance,
)
from camunda_orchestration_sdk.api.resource import create_deployment  # noqa: E402
from camunda_orchestration_sdk.models import (  # noqa: E402
    CreateDeploymentData,
    JobActivationRequest,
    JobCompletionRequest,
    JobErrorRequest,
    JobFailRequest,
    JobSearchQuery,
    JobSearchQueryFilter,
    ProcessCreationById,
)
from camunda_orchestration_sdk.types import File  # noqa: E402


@pytest.fixture
def sdk_client(make_app: Callable[..., EngineApp]) -> Iterator[Any]:
    app = make_app(Engine(server_line="8.10", clock=ManualClock()))
    with EngineServer(app) as server:
        client = Client(base_url=server.url, raise_on_unexpected_status=True)
        deployment = create_deployment.sync(
            client=client,
            body=CreateDeploymentData(
                resources=[File(io.BytesIO(ORDER_BPMN.encode()), "order.bpmn", "application/xml")]
            ),
        )
        assert deployment.deployments[0].process_definition.process_definition_id == "order"
        yield client
        client.get_httpx_client().close()


def start(client: Any, **variables: Any) -> str:
    body = ProcessCreationById.from_dict({"processDefinitionId": "order", "variables": variables})
    created = create_process_instance.sync(client=client, body=body)
    return str(created.process_instance_key)


def activate(client: Any) -> list[Any]:
    body = JobActivationRequest(
        type_="charge", timeout=30_000, max_jobs_to_activate=5, worker="sdk", request_timeout=-1
    )
    result = activate_jobs.sync(client=client, body=body)
    return list(result.jobs)


def state_of(client: Any, instance_key: str) -> tuple[str, bool]:
    instance = get_process_instance.sync(instance_key, client=client)
    return str(instance.state.value), bool(instance.has_incident)


def test_deploy_start_activate_and_complete(sdk_client: Any) -> None:
    instance_key = start(sdk_client, amount=10)

    (job,) = activate(sdk_client)
    complete_job.sync(
        str(job.job_key),
        client=sdk_client,
        body=JobCompletionRequest.from_dict({"variables": {"paid": True}}),
    )

    assert str(job.process_instance_key) == instance_key
    assert job.variables.to_dict() == {"amount": 10}
    assert job.custom_headers.to_dict() == {"currency": "EUR"}
    assert state_of(sdk_client, instance_key) == ("COMPLETED", False)


def test_failing_without_retries_raises_an_incident(sdk_client: Any) -> None:
    instance_key = start(sdk_client)
    (job,) = activate(sdk_client)

    fail_job.sync(
        str(job.job_key),
        client=sdk_client,
        body=JobFailRequest(retries=0, error_message="card expired"),
    )

    assert state_of(sdk_client, instance_key) == ("ACTIVE", True)
    with pytest.raises(errors.ConflictError) as conflict:
        complete_job.sync(str(job.job_key), client=sdk_client, body=JobCompletionRequest())
    assert conflict.value.parsed.title == "INVALID_STATE"


def test_failing_with_retries_hands_the_job_out_again(sdk_client: Any) -> None:
    start(sdk_client)
    (job,) = activate(sdk_client)

    fail_job.sync(str(job.job_key), client=sdk_client, body=JobFailRequest(retries=2))
    (again,) = activate(sdk_client)

    assert again.job_key == job.job_key
    assert again.retries == 2


def test_a_caught_bpmn_error_takes_the_boundary_path(sdk_client: Any) -> None:
    instance_key = start(sdk_client)
    (job,) = activate(sdk_client)

    throw_job_error.sync(
        str(job.job_key),
        client=sdk_client,
        body=JobErrorRequest(error_code="DECLINED", error_message="no funds"),
    )

    assert state_of(sdk_client, instance_key) == ("COMPLETED", False)


def test_an_uncaught_bpmn_error_raises_an_incident(sdk_client: Any) -> None:
    instance_key = start(sdk_client)
    (job,) = activate(sdk_client)

    throw_job_error.sync(
        str(job.job_key), client=sdk_client, body=JobErrorRequest(error_code="UNKNOWN")
    )

    assert state_of(sdk_client, instance_key) == ("ACTIVE", True)


def test_refusals_reach_the_sdk_as_its_typed_errors(sdk_client: Any) -> None:
    with pytest.raises(errors.NotFoundError) as missing:
        complete_job.sync("2251799813685999", client=sdk_client, body=JobCompletionRequest())
    with pytest.raises(errors.BadRequestError) as invalid:
        activate_jobs.sync(
            client=sdk_client,
            body=JobActivationRequest(type_="", timeout=0, max_jobs_to_activate=1),
        )

    assert missing.value.parsed.title == "NOT_FOUND"
    assert invalid.value.parsed.title == "INVALID_ARGUMENT"
    assert "No type provided" in invalid.value.parsed.detail


def test_job_search_sees_the_outcomes(sdk_client: Any) -> None:
    instance_key = start(sdk_client)
    (job,) = activate(sdk_client)
    complete_job.sync(str(job.job_key), client=sdk_client, body=JobCompletionRequest())

    found = search_jobs.sync(
        client=sdk_client,
        body=JobSearchQuery(filter_=JobSearchQueryFilter(process_instance_key=instance_key)),
    )

    assert [str(item.job_key) for item in found.items] == [str(job.job_key)]
    assert str(found.items[0].state.value) == "COMPLETED"
