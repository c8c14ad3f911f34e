"""User tasks over REST (search, get, assign, unassign, update, complete, variables), forms
and expression evaluation, in-process and over TCP, and from Python."""

from __future__ import annotations

import httpx
import pytest

from camunda_worker.engine import (
    Engine,
    EngineApp,
    EngineError,
    EngineServer,
    ManualClock,
)

from .conftest import activation
from .rest_helpers import USER_TASK_BPMN, deploy, items, start, user_task_of
from .spec_check import app_errors, specs_available


def test_a_user_task_is_assigned_updated_and_completed_over_rest(client: httpx.Client) -> None:
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    instance = start(client, "user-task", owner="ann", order={"total": 12})
    task = user_task_of(client, instance)
    key = task["userTaskKey"]

    refused = client.post(
        f"/user-tasks/{key}/assignment", json={"assignee": "bob", "allowOverride": False}
    )
    reassigned = client.post(f"/user-tasks/{key}/assignment", json={"assignee": "bob"})
    assigned = client.get(f"/user-tasks/{key}").json()
    unassigned = client.delete(f"/user-tasks/{key}/assignee")
    updated = client.patch(
        f"/user-tasks/{key}",
        json={"changeset": {"priority": 10, "candidateUsers": ["cy"], "dueDate": ""}},
    )
    after_update = client.get(f"/user-tasks/{key}").json()
    seen = items(client.post(f"/user-tasks/{key}/variables/search", json={}))
    completed = client.post(f"/user-tasks/{key}/completion", json={"variables": {"approved": True}})
    again = client.post(f"/user-tasks/{key}/completion", json={})

    assert task["assignee"] == "ann"
    assert task["candidateGroups"] == ["sales", "support"]
    assert task["state"] == "CREATED"
    assert refused.status_code == 409
    assert reassigned.status_code == 204
    assert assigned["assignee"] == "bob"
    assert unassigned.status_code == 204
    assert updated.status_code == 204
    assert after_update["assignee"] is None
    assert after_update["priority"] == 10
    assert after_update["candidateUsers"] == ["cy"]
    assert after_update["dueDate"] is None
    assert sorted(v["name"] for v in seen) == ["amount", "order", "owner"]
    assert completed.status_code == 204
    assert again.status_code == 404
    assert client.get(f"/user-tasks/{key}").json()["state"] == "COMPLETED"
    (ship,) = client.post("/jobs/activation", json=activation("ship")).json()["jobs"]
    assert ship["variables"]["orderApproved"] is True


def test_user_task_commands_are_validated(client: httpx.Client) -> None:
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    key = user_task_of(client, start(client, "user-task", owner="ann", order={"total": 1}))[
        "userTaskKey"
    ]

    blank = client.post(f"/user-tasks/{key}/assignment", json={"assignee": " "})
    no_body = client.post(f"/user-tasks/{key}/assignment")
    empty = client.patch(f"/user-tasks/{key}", json={})
    priority = client.patch(f"/user-tasks/{key}", json={"changeset": {"priority": 101}})
    date = client.patch(f"/user-tasks/{key}", json={"changeset": {"dueDate": "tomorrow"}})
    unknown = client.post("/user-tasks/2251799813699999/assignment", json={"assignee": "a"})
    bad_key = client.get("/user-tasks/abc")

    assert blank.status_code == 400
    assert no_body.status_code == 400
    assert empty.status_code == 400
    assert "priority" in priority.json()["detail"]
    assert "RFC 3339" in date.json()["detail"]
    assert unknown.status_code == 404
    assert bad_key.status_code == 400


def test_user_tasks_are_filtered_by_candidate_group_and_variables(client: httpx.Client) -> None:
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    ann = start(client, "user-task", owner="ann", order={"total": 1})
    start(client, "user-task", owner="bob", order={"total": 2})

    sales = items(client.post("/user-tasks/search", json={"filter": {"candidateGroup": "sales"}}))
    nobody = items(client.post("/user-tasks/search", json={"filter": {"candidateGroup": "hr"}}))
    by_variable = items(
        client.post(
            "/user-tasks/search",
            json={"filter": {"processInstanceVariables": [{"name": "owner", "value": '"ann"'}]}},
        )
    )

    assert len(sales) == 2
    assert nobody == []
    assert [task["processInstanceKey"] for task in by_variable] == [ann]


def test_a_user_tasks_effective_variables_are_one_per_name_the_nearest_wins(
    client: httpx.Client,
) -> None:
    deploy(client, "user-task.bpmn", USER_TASK_BPMN)
    instance = start(client, "user-task", owner="ann", amount=1, order={"total": 9})
    key = user_task_of(client, instance)["userTaskKey"]

    every = items(client.post(f"/user-tasks/{key}/variables/search", json={}))
    effective = items(
        client.post(
            f"/user-tasks/{key}/effective-variables/search", json={"sort": [{"field": "name"}]}
        )
    )
    cursor = client.post(
        f"/user-tasks/{key}/effective-variables/search", json={"page": {"after": "MQ=="}}
    )

    assert sorted(v["name"] for v in every) == ["amount", "amount", "order", "owner"]
    assert [(v["name"], v["value"]) for v in effective] == [
        ("amount", "9"),  # the task's input mapping, not the instance's 1
        ("order", '{"total":9}'),
        ("owner", '"ann"'),
    ]
    assert cursor.status_code == 400


def test_there_are_no_forms_and_expressions_are_evaluated(client: httpx.Client) -> None:
    definition = deploy(client, "user-task.bpmn", USER_TASK_BPMN)["deployments"][0][
        "processDefinition"
    ]["processDefinitionKey"]
    task = user_task_of(client, start(client, "user-task", owner="a", order={"total": 1}))

    task_form = client.get(f"/user-tasks/{task['userTaskKey']}/form")
    start_form = client.get(f"/process-definitions/{definition}/form")
    unknown = client.get("/user-tasks/2251799813699999/form")
    evaluated = client.post(
        "/expression/evaluation", json={"expression": "=x + y", "variables": {"x": 1, "y": 2}}
    )
    warned = client.post("/expression/evaluation", json={"expression": "=missing"})
    broken = client.post("/expression/evaluation", json={"expression": "=1 +"})

    assert task_form.status_code == 204
    assert start_form.status_code == 204
    assert unknown.status_code == 404
    assert evaluated.json() == {"expression": "=x + y", "result": 3, "warnings": []}
    assert warned.json()["result"] is None
    assert warned.json()["warnings"]
    assert broken.status_code == 400


def test_user_tasks_and_searches_over_tcp() -> None:
    engine = Engine(server_line="8.9", clock=ManualClock())
    app = EngineApp(engine)
    with EngineServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        deploy(client, "user-task.bpmn", USER_TASK_BPMN)
        instance = start(client, "user-task", owner="ann", order={"total": 7})
        task = user_task_of(client, instance)
        assigned = client.post(
            f"/user-tasks/{task['userTaskKey']}/assignment", json={"assignee": "zoe"}
        )
        by_assignee = items(client.post("/user-tasks/search", json={"filter": {"assignee": "zoe"}}))
        completed = client.post(f"/user-tasks/{task['userTaskKey']}/completion", json={})
        pinned = client.put("/clock", json={"timestamp": 1_750_000_000_000})
    app.close()
    engine.close()

    assert assigned.status_code == 204
    assert [found["userTaskKey"] for found in by_assignee] == [task["userTaskKey"]]
    assert completed.status_code == 204
    assert pinned.status_code == 204
    assert engine.clock.now_ms() == 1_750_000_000_000
    if specs_available():
        assert app_errors(app) == []


def test_the_reads_and_user_task_commands_work_from_python(engine: Engine) -> None:
    engine.deploy([("user-task.bpmn", USER_TASK_BPMN)])
    for owner in ("ann", "bob"):
        engine.create_process_instance(
            process_definition_id="user-task", variables={"owner": owner, "order": {"total": 1}}
        )
    (ann,) = engine.search_records("userTasks", {"assignee": "ann"})["items"]
    key = ann["userTaskKey"]

    engine.update_user_task(key, priority=90, due_date="2025-02-01T12:00:00Z")
    engine.assign_user_task(key, "cy")
    by_priority = engine.search_records("userTasks", sort=[("priority", True)])["items"]
    got = engine.get_record("userTasks", key)
    engine.unassign_user_task(key)

    assert [task["priority"] for task in by_priority] == [90, 80]
    assert by_priority[0]["userTaskKey"] == key
    assert (got["priority"], got["dueDate"], got["assignee"]) == (90, "2025-02-01T12:00:00Z", "cy")
    assert engine.get_record("userTasks", key)["assignee"] is None
    with pytest.raises(EngineError) as refused:
        engine.update_user_task(key, priority=-1)
    assert refused.value.status == 400
