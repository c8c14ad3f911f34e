"""The read side of the REST surface: searches and gets of every record kind, sort and pages.

Every answer is checked against the spec of the engine's line when each test ends
(``conftest.make_app``); ``test_every_new_operation_answers_within_the_spec`` checks them
explicitly for each line and that every operation was reached with a success.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from camunda_worker.engine import (
    Engine,
    EngineApp,
    InProcessTransport,
    ManualClock,
)

from .conftest import BASE_URL, ORDER_BPMN, activation
from .rest_helpers import MESSAGE_CATCH_BPMN, USER_TASK_BPMN, deploy, items, start, user_task_of
from .spec_check import SKIP_REASON, app_errors, specs_available


def test_an_incident_is_found_by_key_and_by_its_process_instance(client: httpx.Client) -> None:
    deploy(client, "order.bpmn", ORDER_BPMN.encode())
    instance = start(client, "order")
    other = start(client, "order")
    (job, _) = client.post("/jobs/activation", json=activation(maxJobsToActivate=2)).json()["jobs"]
    client.post(f"/jobs/{job['jobKey']}/failure", json={"retries": 0, "errorMessage": "boom"})

    (incident,) = items(client.post("/incidents/search", json={}))
    by_key = client.get(f"/incidents/{incident['incidentKey']}")
    of_instance = items(
        client.post(f"/process-instances/{job['processInstanceKey']}/incidents/search")
    )
    of_other = items(
        client.post(
            f"/process-instances/{other if job['processInstanceKey'] == instance else instance}"
            "/incidents/search"
        )
    )
    of_element = items(
        client.post(f"/element-instances/{job['elementInstanceKey']}/incidents/search", json={})
    )

    assert by_key.status_code == 200
    assert by_key.json() == incident
    assert incident["errorMessage"] == "boom"
    assert of_instance == [incident]
    assert of_other == []
    assert of_element == [incident]
    assert client.get("/incidents/2251799813699999").status_code == 404
    missing = client.post("/process-instances/2251799813699999/incidents/search", json={})
    assert missing.status_code == 404


def test_element_instances_and_variables_are_searched_and_got(client: httpx.Client) -> None:
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    instance = start(client, "user-task", owner="ann", order={"total": 12})

    (element,) = items(
        client.post("/element-instances/search", json={"filter": {"processInstanceKey": instance}})
    )
    got = client.get(f"/element-instances/{element['elementInstanceKey']}")
    variables = items(
        client.post(
            "/variables/search",
            json={"filter": {"processInstanceKey": instance}, "sort": [{"field": "name"}]},
        )
    )
    local = items(
        client.post(
            "/variables/search", json={"filter": {"scopeKey": element["elementInstanceKey"]}}
        )
    )
    one = client.get(f"/variables/{variables[0]['variableKey']}")

    assert element["elementId"] == "approve"
    assert element["type"] == "USER_TASK"
    assert element["state"] == "ACTIVE"
    assert got.json() == element
    assert [(v["name"], v["value"], v["scopeKey"]) for v in variables] == [
        ("amount", "12", element["elementInstanceKey"]),
        ("order", '{"total":12}', instance),
        ("owner", '"ann"', instance),
    ]
    assert [v["name"] for v in local] == ["amount"]
    assert one.json()["name"] == "amount"
    assert "isTruncated" not in one.json()
    assert client.get("/variables/2251799813699999").status_code == 404
    assert client.get("/element-instances/2251799813699999").status_code == 404


def test_process_definitions_are_searched_got_and_give_their_xml(client: httpx.Client) -> None:
    first = deploy(client, "order.bpmn", ORDER_BPMN.encode())
    changed = ORDER_BPMN.replace('name="Charge"', 'name="Charge card"').encode()
    second = deploy(client, "order.bpmn", changed)
    keys = [
        d["deployments"][0]["processDefinition"]["processDefinitionKey"] for d in (first, second)
    ]

    every = items(client.post("/process-definitions/search", json={}))
    latest = items(
        client.post("/process-definitions/search", json={"filter": {"isLatestVersion": True}})
    )
    got = client.get(f"/process-definitions/{keys[0]}")
    xml = client.get(f"/process-definitions/{keys[1]}/xml")

    assert [d["version"] for d in every] == [1, 2]
    assert [d["processDefinitionKey"] for d in latest] == [keys[1]]
    assert got.json()["name"] == "Order"
    assert xml.status_code == 200
    assert xml.headers["content-type"] == "text/xml"
    assert xml.text == changed.decode()
    assert client.get("/process-definitions/2251799813699999/xml").status_code == 404


def test_process_instances_are_filtered_by_variables_and_elements(client: httpx.Client) -> None:
    deploy(client, "order.bpmn", ORDER_BPMN.encode())
    big = start(client, "order", total=100)
    small = start(client, "order", total=5)

    def search(filter_: dict[str, Any]) -> list[str]:
        found = items(client.post("/process-instances/search", json={"filter": filter_}))
        return [instance["processInstanceKey"] for instance in found]

    assert search({"variables": [{"name": "total", "value": "100"}]}) == [big]
    assert search({"variables": [{"name": "total", "value": {"$in": ["5", "6"]}}]}) == [small]
    assert search({"variables": [{"name": "missing"}]}) == []
    assert search({"elementId": "charge", "elementInstanceState": "ACTIVE"}) == [big, small]
    assert search({"$or": [{"processInstanceKey": big}, {"processInstanceKey": small}]}) == [
        big,
        small,
    ]
    assert search({"batchOperationKey": "1"}) == []
    hierarchy = client.get(f"/process-instances/{big}/call-hierarchy").json()
    assert hierarchy == [
        {
            "processInstanceKey": big,
            "processDefinitionKey": hierarchy[0]["processDefinitionKey"],
            "processDefinitionName": "Order",
        }
    ]


def test_message_subscriptions_are_searched(client: httpx.Client) -> None:
    deploy(client, "message-catch.bpmn", MESSAGE_CATCH_BPMN)
    instance = start(client, "message-catch", orderId="o-1")

    (subscription,) = items(client.post("/message-subscriptions/search", json={}))
    client.post("/messages/publication", json={"name": "payment-received", "correlationKey": "o-1"})

    assert subscription["processInstanceKey"] == instance
    assert subscription["messageName"] == "payment-received"
    assert subscription["correlationKey"] == "o-1"
    assert subscription["messageSubscriptionState"] == "CREATED"
    assert items(client.post("/message-subscriptions/search", json={})) == []


def test_element_statistics_count_active_incident_and_completed_elements(
    client: httpx.Client,
) -> None:
    definition = deploy(client, "order.bpmn", ORDER_BPMN.encode())["deployments"][0][
        "processDefinition"
    ]["processDefinitionKey"]
    failing = start(client, "order")
    start(client, "order")
    done = start(client, "order")
    jobs = client.post("/jobs/activation", json=activation(maxJobsToActivate=3)).json()["jobs"]
    by_instance = {job["processInstanceKey"]: job["jobKey"] for job in jobs}
    client.post(f"/jobs/{by_instance[failing]}/failure", json={"retries": 0})
    client.post(f"/jobs/{by_instance[done]}/completion", json={})

    def stats(response: httpx.Response) -> dict[str, tuple[int, int, int, int]]:
        assert response.status_code == 200, response.text
        return {
            item["elementId"]: (
                item["active"],
                item["incidents"],
                item["completed"],
                item["canceled"],
            )
            for item in response.json()["items"]
        }

    of_definition = stats(
        client.post(f"/process-definitions/{definition}/statistics/element-instances", json={})
    )
    of_active = stats(
        client.post(
            f"/process-definitions/{definition}/statistics/element-instances",
            json={"filter": {"state": "ACTIVE"}},
        )
    )
    of_failing = stats(client.get(f"/process-instances/{failing}/statistics/element-instances"))

    assert of_definition == {
        "start": (0, 0, 3, 0),
        "charge": (1, 1, 1, 0),
        "done": (0, 0, 1, 0),
    }
    assert of_active == {"start": (0, 0, 2, 0), "charge": (1, 1, 0, 0)}
    assert of_failing == {"start": (0, 0, 1, 0), "charge": (0, 1, 0, 0)}


@pytest.fixture
def five_jobs(client: httpx.Client, engine: Engine) -> list[str]:
    return [engine.create_job("sorted", retries=retries) for retries in (3, 1, 2, 1, 5)]


def test_job_search_sorts_by_a_field_then_by_key(
    client: httpx.Client, five_jobs: list[str]
) -> None:
    body = {"sort": [{"field": "retries", "order": "DESC"}]}

    found = items(client.post("/jobs/search", json=body))

    assert [job["retries"] for job in found] == [5, 3, 2, 1, 1]
    assert [job["jobKey"] for job in found][-2:] == [five_jobs[1], five_jobs[3]]


@pytest.mark.parametrize("sort", [[], [{"field": "retries", "order": "ASC"}]])
def test_every_paging_style_walks_the_same_order(
    client: httpx.Client, five_jobs: list[str], sort: list[dict[str, str]]
) -> None:
    everything = [job["jobKey"] for job in items(client.post("/jobs/search", json={"sort": sort}))]

    offset = [
        job["jobKey"]
        for start in (0, 2, 4)
        for job in items(
            client.post("/jobs/search", json={"sort": sort, "page": {"from": start, "limit": 2}})
        )
    ]
    forward: list[str] = []
    page: dict[str, Any] = {"limit": 2}
    while True:
        answer = client.post("/jobs/search", json={"sort": sort, "page": page}).json()
        if not answer["items"]:
            break
        forward.extend(job["jobKey"] for job in answer["items"])
        page = {"limit": 2, "after": answer["page"]["endCursor"]}
    last = client.post("/jobs/search", json={"sort": sort, "page": {"from": 3, "limit": 2}}).json()
    backward = client.post(
        "/jobs/search",
        json={"sort": sort, "page": {"limit": 3, "before": last["page"]["startCursor"]}},
    ).json()

    assert len(everything) == 5
    assert offset == everything
    assert forward == everything
    assert [job["jobKey"] for job in backward["items"]] == everything[:3]
    assert backward["page"]["totalItems"] == 5


def exercise(client: httpx.Client, engine: Engine) -> None:
    """Call every operation this module adds, with successes and refusals."""
    order = deploy(client, "order.bpmn", ORDER_BPMN.encode())
    definition = order["deployments"][0]["processDefinition"]["processDefinitionKey"]
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    deploy(client, "message-catch.bpmn", MESSAGE_CATCH_BPMN)
    failing = start(client, "order")
    task_instance = start(client, "user-task", owner="ann", order={"total": 3})
    start(client, "message-catch", orderId="o-1")
    (job,) = client.post("/jobs/activation", json=activation()).json()["jobs"]
    client.post(f"/jobs/{job['jobKey']}/failure", json={"retries": 0})
    incident = engine.incidents()[0].key
    client.get(f"/incidents/{incident}")
    client.get("/incidents/2251799813699999")
    client.post(f"/process-instances/{failing}/incidents/search", json={})
    # an operation of 8.9 on: 404 on the 8.8 line
    client.post(f"/element-instances/{job['elementInstanceKey']}/incidents/search", json={})
    client.post("/element-instances/2251799813699999/incidents/search", json={})
    element = items(client.post("/element-instances/search", json={"sort": [{"field": "type"}]}))
    client.get(f"/element-instances/{element[0]['elementInstanceKey']}")
    variables = items(client.post("/variables/search", json={"page": {"limit": 2}}))
    client.get(f"/variables/{variables[0]['variableKey']}")
    client.get("/variables/2251799813699999")
    task = user_task_of(client, task_instance)["userTaskKey"]
    client.get(f"/user-tasks/{task}")
    client.post(f"/user-tasks/{task}/variables/search", json={"filter": {"name": "owner"}})
    client.post(f"/user-tasks/{task}/assignment", json={"assignee": "bob"})
    client.post(f"/user-tasks/{task}/assignment", json={"assignee": "x", "allowOverride": False})
    client.delete(f"/user-tasks/{task}/assignee")
    client.patch(f"/user-tasks/{task}", json={"changeset": {"priority": 1}})
    client.patch(f"/user-tasks/{task}", json={"changeset": {"priority": 1000}})
    client.post(f"/user-tasks/{task}/completion", json={"variables": {"approved": False}})
    client.post(f"/user-tasks/{task}/completion")
    client.post("/user-tasks/search", json={"sort": [{"field": "creationDate", "order": "DESC"}]})
    client.post("/user-tasks/search", json={"sort": [{"field": "nope"}]})
    client.post("/process-definitions/search", json={"filter": {"processDefinitionId": "order"}})
    client.get(f"/process-definitions/{definition}")
    client.get(f"/process-definitions/{definition}/xml")
    client.get("/process-definitions/2251799813699999")
    client.post("/process-instances/search", json={"filter": {"hasRetriesLeft": False}})
    client.get(f"/process-instances/{failing}/call-hierarchy")
    client.post("/message-subscriptions/search", json={"page": {"from": 0, "limit": 5}})
    client.post("/jobs/search", json={"sort": [{"field": "state"}], "page": {"from": 1}})
    client.post(f"/user-tasks/{task}/effective-variables/search", json={})
    client.get(f"/user-tasks/{task}/form")
    client.get(f"/process-definitions/{definition}/form")
    client.get(f"/process-instances/{failing}/statistics/element-instances")
    client.post(f"/process-definitions/{definition}/statistics/element-instances", json={})
    client.post("/expression/evaluation", json={"expression": "=1 + 1"})
    client.post("/expression/evaluation", json={"expression": "=1 +"})
    modified = start(client, "order")
    client.post(
        f"/process-instances/{modified}/modification",
        json={"terminateInstructions": [{"elementId": "charge"}]},
    )
    client.post(f"/process-instances/{modified}/modification", json={"nope": 1})
    client.put("/clock", json={"timestamp": 1_900_000_000_000})
    client.put("/clock", json={"timestamp": "soon"})
    client.post("/clock/reset")


NEW_ENDPOINTS = {
    "get_incident",
    "search_instance_incidents",
    "search_element_instance_incidents",
    "search_element_instances",
    "get_element_instance",
    "search_variables",
    "get_variable",
    "search_user_tasks",
    "get_user_task",
    "search_user_task_variables",
    "assign_user_task",
    "unassign_user_task",
    "update_user_task",
    "complete_user_task",
    "search_process_definitions",
    "get_process_definition",
    "get_process_definition_xml",
    "search_instances",
    "call_hierarchy",
    "search_message_subscriptions",
    "search_jobs",
    "pin_clock",
    "reset_clock",
    "search_user_task_effective_variables",
    "get_user_task_form",
    "get_process_definition_form",
    "instance_statistics",
    "definition_statistics",
    "evaluate_expression",
    "modify_instance",
}


@pytest.mark.skipif(not specs_available(), reason=SKIP_REASON)
@pytest.mark.parametrize("line", ["8.8", "8.9", "8.10"])
def test_every_new_operation_answers_within_the_spec(
    make_app: Callable[..., EngineApp], line: str
) -> None:
    app = make_app(Engine(server_line=line, clock=ManualClock()))  # type: ignore[arg-type]
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        exercise(client, app.engine)

    succeeded = {
        exchange.endpoint
        for exchange in app.requests
        if exchange.status is not None and 200 <= exchange.status < 300
    }
    newer = {"search_element_instance_incidents", "evaluate_expression"}  # 8.9 on
    expected = NEW_ENDPOINTS - (newer if line == "8.8" else set())
    assert expected <= succeeded, expected - succeeded
    if line == "8.8":
        assert not newer & succeeded
    assert app_errors(app) == []


def test_every_route_can_be_faulted_by_its_endpoint_name() -> None:
    from camunda_worker.engine._faults.injection import ENDPOINTS
    from camunda_worker.engine._http.routes import ROUTES

    assert {route.endpoint for route in ROUTES} <= set(ENDPOINTS)


def test_a_fault_scripted_for_a_new_endpoint_is_injected(
    client: httpx.Client, app: EngineApp
) -> None:
    app.faults.script("search_user_tasks", ["503"])

    first = client.post("/user-tasks/search", json={})
    second = client.post("/user-tasks/search", json={})

    assert first.status_code == 503
    assert second.status_code == 200


def test_a_variable_filter_compares_json_texts_not_python_equality(client: httpx.Client) -> None:
    deploy(client, "order.bpmn", ORDER_BPMN.encode())
    flagged = start(client, "order", flag=True, data={"a": 1})
    numbered = start(client, "order", flag=1)

    def search(value: str) -> list[str]:
        body = {"filter": {"variables": [{"name": "flag", "value": value}]}}
        return [
            i["processInstanceKey"]
            for i in items(client.post("/process-instances/search", json=body))
        ]

    assert search("true") == [flagged]
    assert search("1") == [numbered]
    data = {"filter": {"variables": [{"name": "data", "value": '{ "a" : 1 }'}]}}
    found = items(client.post("/process-instances/search", json=data))
    assert [i["processInstanceKey"] for i in found] == [flagged]


def test_a_task_that_ended_is_listed_completed_or_terminated(client: httpx.Client) -> None:
    deploy(client, "order.bpmn", ORDER_BPMN.encode())
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    done = start(client, "order")
    (job,) = client.post("/jobs/activation", json=activation()).json()["jobs"]
    client.post(f"/jobs/{job['jobKey']}/completion", json={})
    canceled = start(client, "user-task", owner="ann", order={"total": 1})
    task = user_task_of(client, canceled)
    client.post(f"/process-instances/{canceled}/cancellation")

    def elements(instance: str) -> list[tuple[str, str, str, bool]]:
        found = items(
            client.post(
                "/element-instances/search", json={"filter": {"processInstanceKey": instance}}
            )
        )
        return [
            (e["elementInstanceKey"], e["elementId"], e["state"], e["endDate"] is not None)
            for e in found
        ]

    assert elements(done) == [(job["elementInstanceKey"], "charge", "COMPLETED", True)]
    assert elements(canceled) == [(task["elementInstanceKey"], "approve", "TERMINATED", True)]
    completed = client.post(
        "/element-instances/search", json={"filter": {"state": "COMPLETED", "type": "SERVICE_TASK"}}
    )
    assert [e["processInstanceKey"] for e in items(completed)] == [done]


CALL_ACTIVITY_BPMN = (Path(__file__).parent / "models" / "call-activity.bpmn").read_bytes()


def test_a_called_instance_has_its_call_hierarchy_and_its_incidents_reach_the_root(
    client: httpx.Client,
) -> None:
    deploy(client, "call-activity.bpmn", CALL_ACTIVITY_BPMN)
    parent = start(client, "call-activity")
    (job,) = client.post("/jobs/activation", json=activation("child-work")).json()["jobs"]
    child = job["processInstanceKey"]
    client.post(f"/jobs/{job['jobKey']}/failure", json={"retries": 0, "errorMessage": "deep"})

    hierarchy = client.get(f"/process-instances/{child}/call-hierarchy").json()
    of_parent = items(client.post(f"/process-instances/{parent}/incidents/search", json={}))
    of_child = items(client.post(f"/process-instances/{child}/incidents/search", json={}))
    (element,) = items(
        client.post("/element-instances/search", json={"filter": {"processInstanceKey": child}})
    )
    variables = items(
        client.post("/variables/search", json={"filter": {"processInstanceKey": child}})
    )

    assert child != parent
    assert [entry["processInstanceKey"] for entry in hierarchy] == [parent, child]
    assert [i["processInstanceKey"] for i in of_parent] == [child]
    assert of_child == of_parent
    assert element["rootProcessInstanceKey"] == parent
    assert all(v["rootProcessInstanceKey"] == parent for v in variables)


def test_a_process_instance_is_modified_over_rest(client: httpx.Client) -> None:
    deploy(client, "order.bpmn", ORDER_BPMN.encode())
    ended = start(client, "order")
    moved = start(client, "order")

    def element_of(instance: str) -> dict[str, Any]:
        (element,) = items(
            client.post(
                "/element-instances/search",
                json={"filter": {"processInstanceKey": instance, "state": "ACTIVE"}},
            )
        )
        return element

    by_key = client.post(
        f"/process-instances/{ended}/modification",
        json={
            "terminateInstructions": [
                {"elementInstanceKey": element_of(ended)["elementInstanceKey"]}
            ]
        },
    )
    before = element_of(moved)["elementInstanceKey"]
    move = client.post(
        f"/process-instances/{moved}/modification",
        json={
            "moveInstructions": [
                {
                    "sourceElementInstruction": {"sourceType": "byId", "sourceElementId": "charge"},
                    "targetElementId": "charge",
                }
            ]
        },
    )
    with_variables = client.post(
        f"/process-instances/{moved}/modification",
        json={
            "activateInstructions": [
                {"elementId": "done", "variableInstructions": [{"variables": {"a": 1}}]}
            ]
        },
    )
    nothing = client.post(f"/process-instances/{moved}/modification", json={})
    finish = client.post(
        f"/process-instances/{moved}/modification",
        json={
            "activateInstructions": [{"elementId": "done"}],
            "terminateInstructions": [{"elementId": "charge"}],
        },
    )

    assert by_key.status_code == 204, by_key.text
    assert client.get(f"/process-instances/{ended}").json()["state"] == "TERMINATED"
    assert move.status_code == 204, move.text
    assert with_variables.status_code == 400
    assert nothing.status_code == 400
    assert finish.status_code == 204, finish.text
    assert client.get(f"/process-instances/{moved}").json()["state"] == "COMPLETED"
    jobs = items(client.post("/jobs/search", json={"filter": {"processInstanceKey": moved}}))
    assert [job["state"] for job in jobs] == ["CANCELED", "CANCELED"]
    assert before not in {job["elementInstanceKey"] for job in jobs[1:]}


def test_the_fault_endpoints_docs_list_every_endpoint() -> None:
    from camunda_worker.engine._faults.injection import ENDPOINTS

    text = (Path(__file__).resolve().parents[2] / "docs" / "engine.md").read_text("utf-8")
    line = next(line for line in text.splitlines() if line.startswith("Endpoints: `activate`"))

    assert set(ENDPOINTS) <= {part.strip("`, ") for part in line.split()}
