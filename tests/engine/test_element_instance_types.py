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
