"""Fidelity of the read side: the official SDK's generated client on the new endpoints.

``camunda-orchestration-sdk`` parses every answer into its own models (generated from the 8.10
spec by people outside this team): user tasks, incidents, element instances, variables, the
clock and a definition's XML must read there as a cluster's do.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.engine import Engine, EngineApp, EngineServer, ManualClock

from .conftest import ORDER_BPMN, activation

pytest.importorskip("camunda_orchestration_sdk", reason="the official SDK is not installed")

from camunda_orchestration_sdk import Client
from camunda_orchestration_sdk.api.clock import pin_clock, reset_clock
from camunda_orchestration_sdk.api.element_instance import search_element_instances
from camunda_orchestration_sdk.api.incident import get_incident, search_incidents
from camunda_orchestration_sdk.api.process_definition import (
    get_process_definition_xml,
)
from camunda_orchestration_sdk.api.resource import create_deployment
from camunda_orchestration_sdk.api.user_task import (
    assign_user_task,
    complete_user_task,
    get_user_task,
    search_user_tasks,
)
from camunda_orchestration_sdk.api.variable import search_variables
from camunda_orchestration_sdk.models import (
    ClockPinRequest,
    CreateDeploymentData,
    ElementInstanceSearchQuery,
    IncidentSearchQuery,
    UserTaskAssignmentRequest,
    UserTaskCompletionRequest,
    UserTaskSearchQuery,
    VariableSearchQuery,
)
from camunda_orchestration_sdk.types import File

USER_TASK_BPMN = (Path(__file__).parent / "models" / "user-task.bpmn").read_bytes()


@pytest.fixture
def served(make_app: Callable[..., EngineApp]) -> Iterator[tuple[Any, EngineApp]]:
    app = make_app(Engine(server_line="8.10", clock=ManualClock()))
    with EngineServer(app) as server:
        client = Client(base_url=server.url, raise_on_unexpected_status=True)
        for name, xml in (("order.bpmn", ORDER_BPMN.encode()), ("user-task.bpmn", USER_TASK_BPMN)):
            create_deployment.sync(
                client=client,
                body=CreateDeploymentData(
                    resources=[File(io.BytesIO(xml), name, "application/xml")]
                ),
            )
        yield client, app
        client.get_httpx_client().close()


def test_the_sdk_works_a_user_task_and_reads_its_variables(served: tuple[Any, EngineApp]) -> None:
    client, app = served
    created = app.engine.create_process_instance(
        process_definition_id="user-task", variables={"owner": "ann", "order": {"total": 5}}
    )
    instance = created["processInstanceKey"]

    query = UserTaskSearchQuery.from_dict({"filter": {"processInstanceKey": instance}})
    (task,) = search_user_tasks.sync(client=client, body=query).items
    key = str(task.user_task_key)
    assign_user_task.sync(key, client=client, body=UserTaskAssignmentRequest(assignee="bob"))
    assigned = get_user_task.sync(key, client=client)
    elements = search_element_instances.sync(
        client=client,
        body=ElementInstanceSearchQuery.from_dict({"filter": {"processInstanceKey": instance}}),
    ).items
    variables = search_variables.sync(
        client=client,
        body=VariableSearchQuery.from_dict({"filter": {"processInstanceKey": instance}}),
    ).items
    complete_user_task.sync(
        key, client=client, body=UserTaskCompletionRequest.from_dict({"variables": {"ok": 1}})
    )
    completed = get_user_task.sync(key, client=client)

    assert task.assignee == "ann"
    assert assigned.assignee == "bob"
    assert [str(element.element_id) for element in elements] == ["approve"]
    assert sorted(variable.name for variable in variables) == ["amount", "order", "owner"]
    assert str(completed.state) == "COMPLETED"


def test_the_sdk_reads_incidents_the_xml_and_pins_the_clock(
    served: tuple[Any, EngineApp],
) -> None:
    client, app = served
    created = app.engine.create_process_instance(process_definition_id="order")
    (job,) = app.engine.activate_ready_jobs(**_activation()) or []
    app.engine.fail_job(job["jobKey"], retries=0, error_message="boom")

    (incident,) = search_incidents.sync(client=client, body=IncidentSearchQuery()).items
    got = get_incident.sync(str(incident.incident_key), client=client)
    xml = get_process_definition_xml.sync(str(created["processDefinitionKey"]), client=client)
    pin_clock.sync(client=client, body=ClockPinRequest(timestamp=1_770_000_000_000))
    pinned = app.engine.clock.now_ms()
    reset_clock.sync(client=client)

    assert got.error_message == "boom"
    assert '<bpmn:process id="order"' in xml
    assert pinned == 1_770_000_000_000


def _activation() -> dict[str, Any]:
    body = activation()
    return {
        "job_type": body["type"],
        "max_jobs_to_activate": body["maxJobsToActivate"],
        "timeout_ms": body["timeout"],
        "worker": body["worker"],
    }
