"""Deployments (multipart), process instances, messages, topology and status over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from camunda_worker.engine import Engine, EngineApp, InProcessTransport, ManualClock

from .conftest import BASE_URL, ORDER_BPMN, activation


def test_a_deployment_lists_the_process_definition(deployed: dict[str, Any]) -> None:
    assert deployed["deploymentKey"].isdigit()
    assert deployed["tenantId"] == "<default>"
    (entry,) = deployed["deployments"]
    definition = entry["processDefinition"]
    assert definition["processDefinitionId"] == "order"
    assert definition["processDefinitionVersion"] == 1
    assert definition["resourceName"] == "order.bpmn"


def test_deploying_again_makes_a_new_version(
    client: httpx.Client, deployed: dict[str, Any]
) -> None:
    changed = ORDER_BPMN.replace('name="Order"', 'name="Order v2"').encode()
    response = client.post("/deployments", files={"resources": ("order.bpmn", changed)})

    definition = response.json()["deployments"][0]["processDefinition"]
    assert definition["processDefinitionVersion"] == 2


def test_several_resources_and_a_tenant_in_one_deployment(
    make_app: Callable[..., EngineApp],
) -> None:
    engine = Engine(server_line="8.9", clock=ManualClock(), tenants=["tenant-a"])
    client = httpx.Client(transport=InProcessTransport(make_app(engine)), base_url=BASE_URL)
    other = ORDER_BPMN.replace('id="order"', 'id="refund"').replace(
        'type="charge"', 'type="refund"'
    )
    files = [
        ("resources", ("order.bpmn", ORDER_BPMN.encode(), "application/xml")),
        ("resources", ("refund.bpmn", other.encode(), "application/octet-stream")),
    ]

    response = client.post("/deployments", files=files, data={"tenantId": "tenant-a"})

    document = response.json()
    assert document["tenantId"] == "tenant-a"
    ids = {entry["processDefinition"]["processDefinitionId"] for entry in document["deployments"]}
    assert ids == {"order", "refund"}


def test_an_unsupported_element_is_refused_naming_it(client: httpx.Client) -> None:
    xml = ORDER_BPMN.replace("bpmn:serviceTask", "bpmn:userTask")

    response = client.post("/deployments", files={"resources": ("order.bpmn", xml.encode())})

    assert response.status_code == 400
    problem = response.json()
    assert problem["title"] == "INVALID_ARGUMENT"
    assert "charge" in problem["detail"]


def test_a_deployment_must_be_multipart_with_resources(client: httpx.Client) -> None:
    as_json = client.post("/deployments", json={"resources": []})
    empty = client.post("/deployments", files={"tenantId": (None, "<default>")})

    assert as_json.status_code == 415
    assert empty.status_code == 400
    assert empty.json()["detail"] == "No resources provided."


@pytest.mark.usefixtures("deployed")
def test_create_get_and_search_process_instances(client: httpx.Client) -> None:
    created = client.post(
        "/process-instances", json={"processDefinitionId": "order", "variables": {"a": 1}}
    ).json()
    key = created["processInstanceKey"]

    fetched = client.get(f"/process-instances/{key}")
    searched = client.post(
        "/process-instances/search", json={"filter": {"processDefinitionId": "order"}}
    )

    assert created["processDefinitionId"] == "order"
    assert created["processDefinitionVersion"] == 1
    assert fetched.status_code == 200
    assert fetched.json()["state"] == "ACTIVE"
    assert [item["processInstanceKey"] for item in searched.json()["items"]] == [key]


def test_create_by_definition_key(client: httpx.Client, deployed: dict[str, Any]) -> None:
    definition_key = deployed["deployments"][0]["processDefinition"]["processDefinitionKey"]

    response = client.post("/process-instances", json={"processDefinitionKey": definition_key})

    assert response.status_code == 200
    assert response.json()["processDefinitionKey"] == definition_key


def test_unknown_process_and_instance_answer_404(client: httpx.Client) -> None:
    by_id = client.post("/process-instances", json={"processDefinitionId": "missing"})
    instance = client.get("/process-instances/2251799813685999")

    assert by_id.status_code == 404
    assert by_id.json()["title"] == "NOT_FOUND"
    assert instance.status_code == 404


@pytest.mark.asyncio
@pytest.mark.usefixtures("deployed")
async def test_await_completion_answers_with_the_final_variables(
    aclient: httpx.AsyncClient, app: EngineApp
) -> None:
    waiting = asyncio.ensure_future(
        aclient.post(
            "/process-instances",
            json={
                "processDefinitionId": "order",
                "variables": {"amount": 5},
                "awaitCompletion": True,
                "requestTimeout": 30_000,
            },
        )
    )
    job: dict[str, Any] = {}
    for _ in range(200):
        jobs = (await aclient.post("/jobs/activation", json=activation())).json()["jobs"]
        if jobs:
            job = jobs[0]
            break
        await asyncio.sleep(0.01)
    await aclient.post(f"/jobs/{job['jobKey']}/completion", json={"variables": {"paid": True}})

    response = await asyncio.wait_for(waiting, timeout=10)

    assert response.status_code == 200
    assert response.json()["variables"] == {"amount": 5, "paid": True}


def test_message_publication_answers_a_message_key(client: httpx.Client) -> None:
    response = client.post(
        "/messages/publication",
        json={"name": "paid", "correlationKey": "order-1", "timeToLive": 1000},
    )

    assert response.status_code == 200
    assert response.json()["messageKey"].isdigit()


def test_topology_and_status(client: httpx.Client) -> None:
    topology = client.get("/topology")
    status = client.get("/status")

    assert topology.status_code == 200
    assert topology.json()["gatewayVersion"].startswith("8.9")
    assert status.status_code == 204


@pytest.mark.usefixtures("deployed")
def test_cancelling_an_instance_terminates_it(client: httpx.Client, engine: Engine) -> None:
    key = client.post("/process-instances", json={"processDefinitionId": "order"}).json()[
        "processInstanceKey"
    ]

    cancelled = client.post(f"/process-instances/{key}/cancellation")
    again = client.post(f"/process-instances/{key}/cancellation", json={})

    assert cancelled.status_code == 204
    assert engine.process_instance(key).state == "TERMINATED"
    assert client.post("/jobs/activation", json=activation()).json() == {"jobs": []}
    assert again.status_code == 404


@pytest.mark.usefixtures("deployed")
def test_an_incident_is_resolved_after_retries_are_given_back(
    client: httpx.Client, engine: Engine
) -> None:
    client.post("/process-instances", json={"processDefinitionId": "order"})
    job = client.post("/jobs/activation", json=activation()).json()["jobs"][0]
    client.post(f"/jobs/{job['jobKey']}/failure", json={"retries": 0})
    (incident,) = engine.incidents()

    client.patch(f"/jobs/{job['jobKey']}", json={"changeset": {"retries": 1}})
    resolved = client.post(f"/incidents/{incident.key}/resolution")
    again = client.post("/jobs/activation", json=activation()).json()["jobs"]

    assert resolved.status_code == 204
    assert [j["jobKey"] for j in again] == [job["jobKey"]]


@pytest.mark.usefixtures("deployed")
def test_setting_variables_on_an_instance(client: httpx.Client, engine: Engine) -> None:
    key = client.post(
        "/process-instances", json={"processDefinitionId": "order", "variables": {"a": 1}}
    ).json()["processInstanceKey"]

    response = client.put(f"/element-instances/{key}/variables", json={"variables": {"b": 2}})
    missing = client.put(f"/element-instances/{key}/variables", json={"local": True})

    assert response.status_code == 204
    assert engine.process_instance(key).variables == {"a": 1, "b": 2}
    assert missing.status_code == 400
    assert missing.json()["detail"] == "No variables provided."


def test_incidents_are_searched_by_state_and_type(client: httpx.Client, engine: Engine) -> None:
    job = engine.create_job("work", retries=1)
    client.post("/jobs/activation", json=activation("work"))
    engine.fail_job(job, retries=0, error_message="card declined")
    answer = client.post("/incidents/search", json={"filter": {"state": "ACTIVE"}})
    assert answer.status_code == 200
    [incident] = answer.json()["items"]
    assert incident["jobKey"] == job
    assert incident["errorType"] == "JOB_NO_RETRIES"
    assert incident["errorMessage"] == "card declined"
    assert answer.json()["page"]["totalItems"] == 1
    engine.update_job(job, retries=1)
    engine.resolve_incident(incident["incidentKey"])
    active = client.post("/incidents/search", json={"filter": {"state": "ACTIVE"}}).json()
    assert active["items"] == []
    resolved = client.post("/incidents/search", json={"filter": {"state": "RESOLVED"}}).json()
    assert [item["incidentKey"] for item in resolved["items"]] == [incident["incidentKey"]]
