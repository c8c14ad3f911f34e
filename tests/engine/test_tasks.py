"""Job type and retries expressions, script tasks and link events: incidents and refusals.

The corpus (``test_models.py``) runs the happy paths; these tests cover what goes wrong.
"""

from __future__ import annotations

import pytest

from camunda_worker.engine import Engine, ManualClock
from camunda_worker.engine._runtime.errors import EngineError

from .models.corpus import END, MODELS, START, chain, flow, io, process, service, timer_catch
from .models.modeler import modeler_xml


def _engine(name: str) -> Engine:
    engine = Engine(clock=ManualClock())
    engine.deploy([(f"{name}.bpmn", modeler_xml(name, MODELS[name]).encode())])
    return engine


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"attempts": 2},
            "Expected result of the expression '=channel' to be 'STRING', but was 'NULL'.",
        ),
        (
            {"channel": "sms", "attempts": "two"},
            "Expected result of the expression '=attempts' to be 'NUMBER', but was 'STRING'.",
        ),
    ],
)
def test_a_job_type_or_retries_expression_of_the_wrong_type_is_an_incident(
    variables: dict[str, object], message: str
) -> None:
    engine = _engine("job-type-expression")
    created = engine.create_process_instance(
        process_definition_id="job-type-expression", variables=variables
    )
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id, incident.error_message) == (
        "EXTRACT_VALUE_ERROR",
        "dispatch",
        message,
    )
    assert engine.jobs() == []
    key = str(created["processInstanceKey"])
    engine.set_variables(key, {"channel": "sms", "attempts": 4})
    engine.resolve_incident(incident.key)
    [job] = engine.jobs()
    assert (job.type, job.retries) == ("sms", 4)


@pytest.mark.parametrize(
    ("body", "element", "message"),
    [
        (
            START
            + '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition id="l" name="nowhere" />'
            "</bpmn:intermediateThrowEvent>" + chain("f", "start", "jump"),
            "jump (bpmn:intermediateThrowEvent)",
            "Can't find an catch link event for the throw link event with the name 'nowhere'.",
        ),
        (
            START
            + END
            + '<bpmn:intermediateCatchEvent id="a"><bpmn:linkEventDefinition id="l1" name="x" />'
            "</bpmn:intermediateCatchEvent>"
            + '<bpmn:intermediateCatchEvent id="b"><bpmn:linkEventDefinition id="l2" name="x" />'
            "</bpmn:intermediateCatchEvent>" + chain("f", "start", "end"),
            "b (bpmn:intermediateCatchEvent)",
            "Multiple intermediate catch link event with the same name 'x' are not allowed.",
        ),
    ],
)
def test_broken_link_events_are_refused(body: str, element: str, message: str) -> None:
    engine = Engine(clock=ManualClock())
    with pytest.raises(EngineError) as raised:
        engine.deploy([("p.bpmn", modeler_xml("p", process("p", body)).encode())])
    assert raised.value.status == 400
    assert element in raised.value.detail
    assert message in raised.value.detail


def test_a_script_task_with_a_task_definition_too_is_refused() -> None:
    body = (
        START + '<bpmn:scriptTask id="s"><bpmn:extensionElements><zeebe:script expression="=1" '
        'resultVariable="r" /><zeebe:taskDefinition type="t" /></bpmn:extensionElements>'
        "</bpmn:scriptTask>" + END + chain("f", "start", "s", "end")
    )
    engine = Engine(clock=ManualClock())
    with pytest.raises(EngineError) as raised:
        engine.deploy([("p.bpmn", modeler_xml("p", process("p", body)).encode())])
    assert (
        "Must have either one 'zeebe:script' or one 'zeebe:taskDefinition'" in raised.value.detail
    )


def test_a_camunda_user_task_carries_its_evaluated_assignment() -> None:
    engine = _engine("user-task")
    created = engine.create_process_instance(
        process_definition_id="user-task", variables={"owner": "ann", "order": {"total": 9}}
    )
    [task] = engine.user_tasks()
    assert (task.element_id, task.name, task.state) == ("approve", "Approve order", "CREATED")
    assert (task.assignee, task.candidate_groups, task.priority) == (
        "ann",
        ("sales", "support"),
        80,
    )
    assert (task.due_date, task.form_key) == ("2025-01-08T17:00:00Z", "approval-form")
    assert task.variables["amount"] == 9  # its input mapping
    assert task.process_instance_key == str(created["processInstanceKey"])
    assert engine.jobs() == []  # a Camunda user task is no job
    engine.complete_user_task(task.key, {"approved": False})
    with pytest.raises(EngineError) as raised:
        engine.complete_user_task(task.key)
    assert raised.value.status == 404
    assert engine.user_tasks(state="COMPLETED")[0].variables == {"approved": False}


def test_a_terminated_user_task_is_canceled() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    name = "user-task-timeout"
    engine.deploy([(f"{name}.bpmn", modeler_xml(name, MODELS[name]).encode())])
    engine.create_process_instance(process_definition_id=name)
    clock.advance(86_400_000)
    assert [task.state for task in engine.user_tasks()] == ["CANCELED"]


def test_a_job_based_user_task_is_a_job_with_zeebe_headers() -> None:
    engine = _engine("user-task-job-based")
    engine.create_process_instance(
        process_definition_id="user-task-job-based", variables={"teams": ["a", "b"]}
    )
    [job] = engine.jobs()
    assert job.type == "io.camunda.zeebe:userTask"
    assert dict(job.custom_headers) == {
        "kind": "review",
        "io.camunda.zeebe:assignee": "demo",
        "io.camunda.zeebe:candidateGroups": '["a","b"]',
        "io.camunda.zeebe:formKey": "camunda-forms:bpmn:Form_1",
    }


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (service("only", "only"), "must not have an outgoing sequence flow to other elements"),
        ("", "must have at least 2 outgoing sequence flows"),
    ],
)
def test_an_event_based_gateway_needs_two_catch_events(targets: str, message: str) -> None:
    body = (
        START
        + '<bpmn:eventBasedGateway id="g" />'
        + timer_catch("t", "timeDuration", "PT1M")
        + targets
        + END
        + flow("f1", "start", "g")
        + flow("f2", "g", "t")
        + flow("f3", "t", "end")
        + (flow("f4", "g", "only") if targets else "")
    )
    engine = Engine(clock=ManualClock())
    with pytest.raises(EngineError) as raised:
        engine.deploy([("p.bpmn", modeler_xml("p", process("p", body)).encode())])
    assert "g (bpmn:eventBasedGateway)" in raised.value.detail
    assert message in raised.value.detail


def test_the_event_that_loses_at_an_event_based_gateway_is_forgotten() -> None:
    clock = ManualClock()
    engine = _engine_with_clock("event-based-gateway", clock)
    engine.create_process_instance(
        process_definition_id="event-based-gateway", variables={"orderId": "o"}
    )
    engine.publish_message(name="payment", correlation_key="o")
    assert len(engine._machine.element_timers) == 0  # internal: the timer was cancelled
    assert len(engine._machine.messages) == 0


def _engine_with_clock(name: str, clock: ManualClock) -> Engine:
    engine = Engine(clock=clock)
    engine.deploy([(f"{name}.bpmn", modeler_xml(name, MODELS[name]).encode())])
    return engine


def test_a_failing_input_mapping_is_an_io_mapping_incident() -> None:
    body = (
        START
        + service("charge", "charge", extra=io(inputs=(("=assert(amount, amount &gt; 0)", "a"),)))
        + END
        + chain("f", "start", "charge", "end")
    )
    engine = Engine(clock=ManualClock())
    engine.deploy([("p.bpmn", modeler_xml("p", process("p", body)).encode())])
    created = engine.create_process_instance(process_definition_id="p", variables={"amount": -1})
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id) == ("IO_MAPPING_ERROR", "charge")
    assert engine.jobs() == []
    key = str(created["processInstanceKey"])
    engine.set_variables(key, {"amount": 5})
    engine.resolve_incident(incident.key)
    [job] = engine.jobs()
    assert job.variables["a"] == 5
    assert engine.process_instance(key).active_element_ids == ("charge",)


def test_an_uncaught_escalation_lets_the_token_go_on() -> None:
    body = '<bpmn:escalation id="E" escalationCode="X" />' + process(
        "p",
        START + '<bpmn:intermediateThrowEvent id="up"><bpmn:escalationEventDefinition id="d" '
        'escalationRef="E" /></bpmn:intermediateThrowEvent>'
        + service("next", "next")
        + END
        + chain("f", "start", "up", "next", "end"),
    )
    engine = Engine(clock=ManualClock())
    engine.deploy([("p.bpmn", modeler_xml("p", body).encode())])
    engine.create_process_instance(process_definition_id="p")
    assert engine.incidents() == []
    assert [job.type for job in engine.jobs()] == ["next"]


@pytest.mark.parametrize(("local", "in_root"), [(True, False), (False, True)])
def test_variables_set_on_an_element_instance_are_local_or_propagated(
    local: bool, in_root: bool
) -> None:
    engine = _engine("sub-process")
    created = engine.create_process_instance(
        process_definition_id="sub-process", variables={"customer": {"name": "Ann"}}
    )
    key = str(created["processInstanceKey"])
    [sub_process] = [
        element_key
        for element_key, element in engine._machine.instances[int(key)].active.items()  # internal
        if element.node_id == "greeting"
    ]
    # 'name' is the sub-process's own (input mapping): set there either way; 'color' is nobody's.
    engine.set_variables(str(sub_process), {"name": "Bob", "color": "red"}, local=local)
    assert ("color" in engine.process_instance(key).variables) is in_root
    assert engine.process_instance(key).variables.get("name") is None
    [activated] = engine.activate_ready_jobs(
        job_type="greet", max_jobs_to_activate=1, timeout_ms=1000, worker="w"
    )
    assert activated["variables"] == {"customer": {"name": "Ann"}, "name": "Bob", "color": "red"}
