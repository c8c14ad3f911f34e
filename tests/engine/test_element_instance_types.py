"""The ``type`` of element instances as a cluster lists them (``POST /element-instances/search``).

A multi-instance activity has a body (``MULTI_INSTANCE_BODY``, the activity's id) and inner
instances of the activity's own type; a test filtering ``type: USER_TASK`` finds the inner ones.
"""

from __future__ import annotations

from pathlib import Path

from camunda_worker.engine import Engine

_MODEL = (Path(__file__).parent / "models" / "multi-instance-user-task.bpmn").read_bytes()


def test_a_multi_instance_body_is_listed_as_such_beside_its_inner_instance() -> None:
    engine = Engine()
    engine.deploy([("multi-instance-user-task.bpmn", _MODEL)])
    created = engine.create_process_instance(
        process_definition_id="multi-instance-user-task", variables={"approvers": ["x", "y"]}
    )
    instance = str(created["processInstanceKey"])

    found = engine.search_records(
        "elementInstances", {"processInstanceKey": instance}, sort=[("elementInstanceKey", False)]
    )["items"]
    tasks = engine.search_records(
        "elementInstances", {"processInstanceKey": instance, "type": "USER_TASK"}
    )["items"]

    assert [(e["elementId"], e["type"]) for e in found] == [
        ("approve", "MULTI_INSTANCE_BODY"),
        ("approve", "USER_TASK"),
    ]
    assert len(tasks) == 1
    (body,) = (e for e in found if e["type"] == "MULTI_INSTANCE_BODY")
    assert tasks[0]["elementInstanceKey"] != body["elementInstanceKey"]


def test_statistics_count_the_inner_instances_of_a_multi_instance_activity_not_its_body() -> None:
    # A cluster's element statistics leave bodies out (unless a body holds an incident).
    engine = Engine()
    engine.deploy([("multi-instance-user-task.bpmn", _MODEL)])
    created = engine.create_process_instance(
        process_definition_id="multi-instance-user-task", variables={"approvers": ["x", "y"]}
    )
    instance = str(created["processInstanceKey"])

    def approve() -> tuple[int, int]:
        items = engine.element_statistics(process_instance_key=instance)["items"]
        (counts,) = (item for item in items if item["elementId"] == "approve")
        return counts["active"], counts["completed"]

    seen = [approve()]
    for _ in range(2):
        (task,) = engine.search_records(
            "userTasks", {"processInstanceKey": instance, "state": "CREATED"}
        )["items"]
        engine.complete_user_task(task["userTaskKey"], {"vote": 1})
        seen.append(approve())

    assert seen == [(1, 0), (1, 1), (0, 2)]
    assert engine.get_process_instance(instance)["state"] == "COMPLETED"
