"""The library's clients on the engine's read endpoints, user tasks and clock, over TCP.

Both clients, the same calls: what a test suite does to find an element instance, read a
variable, work a user task and pin the clock, against a real HTTP server on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from camunda_worker import NotFoundError
from camunda_worker._client import CamundaAsyncClient, CamundaClient
from camunda_worker.engine import Engine, EngineApp, EngineServer, ManualClock

from .spec_check import app_errors, specs_available

USER_TASK_BPMN = (Path(__file__).parent / "models" / "user-task.bpmn").read_bytes()


@pytest.fixture
def server() -> Iterator[EngineServer]:
    app = EngineApp(Engine(server_line="8.9", clock=ManualClock()))
    with EngineServer(app) as running:
        yield running
    app.close()
    app.engine.close()
    if specs_available():
        assert app_errors(app) == []


def walk(client: Any) -> dict[str, Any]:
    """Deploy, start, find and complete the user task; the sync client's calls."""
    client.deploy_resources([("user-task.bpmn", USER_TASK_BPMN)])
    instance = client.create_process_instance(
        process_definition_id="user-task", variables={"owner": "ann", "order": {"total": 4}}
    ).process_instance_key
    (element,) = client.search_element_instances(filter={"processInstanceKey": instance}).items
    variables = client.search_variables(filter={"processInstanceKey": instance}).items
    (task,) = client.search_user_tasks(filter={"processInstanceKey": instance}).items
    client.assign_user_task(task.user_task_key, "bob")
    assigned = client.get_user_task(task.user_task_key)
    client.unassign_user_task(task.user_task_key)
    client.complete_user_task(task.user_task_key, {"approved": True})
    completed = client.get_user_task(task.user_task_key)
    client.pin_clock(1_760_000_000_000)
    client.reset_clock()
    try:
        client.get_incident("2251799813699999")
    except NotFoundError as error:
        missing: Exception | None = error
    else:
        missing = None
    return {
        "element": element,
        "variables": {variable.name: variable.json for variable in variables},
        "task": task,
        "assigned": assigned,
        "completed": completed,
        "missing": missing,
    }


async def walk_async(client: CamundaAsyncClient) -> dict[str, Any]:
    """The same calls on the async client."""
    await client.deploy_resources([("user-task.bpmn", USER_TASK_BPMN)])
    created = await client.create_process_instance(
        process_definition_id="user-task", variables={"owner": "ann", "order": {"total": 4}}
    )
    instance = created.process_instance_key
    (element,) = (
        await client.search_element_instances(filter={"processInstanceKey": instance})
    ).items
    variables = (await client.search_variables(filter={"processInstanceKey": instance})).items
    (task,) = (await client.search_user_tasks(filter={"processInstanceKey": instance})).items
    await client.assign_user_task(task.user_task_key, "bob")
    assigned = await client.get_user_task(task.user_task_key)
    await client.unassign_user_task(task.user_task_key)
    await client.complete_user_task(task.user_task_key, {"approved": True})
    completed = await client.get_user_task(task.user_task_key)
    await client.pin_clock(1_760_000_000_000)
    await client.reset_clock()
    try:
        await client.get_incident("2251799813699999")
    except NotFoundError as error:
        missing: Exception | None = error
    else:
        missing = None
    return {
        "element": element,
        "variables": {variable.name: variable.json for variable in variables},
        "task": task,
        "assigned": assigned,
        "completed": completed,
        "missing": missing,
    }


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_both_clients_find_and_work_a_user_task(server: EngineServer, kind: str) -> None:
    if kind == "sync":
        with CamundaClient(server.url) as client:
            seen = walk(client)
    else:

        async def main() -> dict[str, Any]:
            async with CamundaAsyncClient(server.url) as client:
                return await walk_async(client)

        seen = asyncio.run(main())

    assert seen["element"].element_id == "approve"
    assert seen["element"].type == "USER_TASK"
    assert seen["variables"] == {"owner": "ann", "order": {"total": 4}, "amount": 4}
    assert seen["task"].assignee == "ann"
    assert seen["task"].candidate_groups == ("sales", "support")
    assert seen["assigned"].assignee == "bob"
    assert seen["completed"].state == "COMPLETED"
    assert isinstance(seen["missing"], NotFoundError)


def test_both_clients_have_the_same_read_methods() -> None:
    names = {
        "get_incident",
        "search_element_instances",
        "search_variables",
        "search_user_tasks",
        "get_user_task",
        "assign_user_task",
        "unassign_user_task",
        "complete_user_task",
        "pin_clock",
        "reset_clock",
    }

    assert names <= set(dir(CamundaClient))
    assert names <= set(dir(CamundaAsyncClient))
    for name in names:
        assert asyncio.iscoroutinefunction(getattr(CamundaAsyncClient, name)), name
