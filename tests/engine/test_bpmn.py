"""Deployments: Modeler BPMN is accepted, versioned per process id, and anything outside the
supported subset is refused with a 400 that names the element (id and type)."""

from __future__ import annotations

import pytest

from camunda_worker.engine._model.bpmn import BpmnValidationError, parse_bpmn
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

from ._bpmn_samples import (
    BOUNDARY,
    GATEWAY,
    MINIMAL,
    ONE_TASK,
    PARALLEL,
    definitions,
    flow,
    process,
    resource,
    task,
)


@pytest.fixture
def engine() -> Engine:
    return Engine()


def refusal(engine: Engine, xml: str, name: str = "bad.bpmn") -> EngineError:
    with pytest.raises(EngineError) as raised:
        engine.deploy(resource(xml, name))
    assert raised.value.status == 400
    assert raised.value.title == "INVALID_ARGUMENT"
    return raised.value


def test_a_modeler_document_deploys_as_version_1(engine: Engine) -> None:
    result = engine.deploy(resource(ONE_TASK, "order.bpmn"))
    assert result["tenantId"] == "<default>"
    assert result["deploymentKey"].isdigit()
    [deployed] = result["deployments"]
    definition = deployed["processDefinition"]
    assert definition["processDefinitionId"] == "order-process"
    assert definition["processDefinitionVersion"] == 1
    assert definition["resourceName"] == "order.bpmn"
    assert definition["processDefinitionKey"].isdigit()


def test_every_sample_of_the_subset_deploys(engine: Engine) -> None:
    for xml in (GATEWAY, PARALLEL, BOUNDARY, MINIMAL):
        assert engine.deploy(resource(xml))["deployments"]


def test_a_changed_resource_gets_the_next_version_and_an_unchanged_one_keeps_it(
    engine: Engine,
) -> None:
    first = engine.deploy(resource(MINIMAL))["deployments"][0]["processDefinition"]
    again = engine.deploy(resource(MINIMAL))["deployments"][0]["processDefinition"]
    changed = MINIMAL.replace('name="work"', 'name="work harder"')
    second = engine.deploy(resource(changed))["deployments"][0]["processDefinition"]
    assert again == first
    assert second["processDefinitionVersion"] == 2
    assert second["processDefinitionKey"] != first["processDefinitionKey"]


def test_versions_count_per_tenant(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL), tenant_id="acme")
    other = engine.deploy(resource(MINIMAL), tenant_id="globex")
    assert other["tenantId"] == "globex"
    assert other["deployments"][0]["processDefinition"]["processDefinitionVersion"] == 1
    assert other["deployments"][0]["processDefinition"]["tenantId"] == "globex"


def test_several_resources_and_processes_deploy_together(engine: Engine) -> None:
    two = definitions(
        process("p1", '<bpmn:startEvent id="s" /><bpmn:endEvent id="e" />' + flow("f", "s", "e"))
        + process("p2", '<bpmn:startEvent id="s" /><bpmn:endEvent id="e" />' + flow("f", "s", "e"))
        + '<bpmn:process id="draft" isExecutable="false"><bpmn:userTask id="u" /></bpmn:process>'
    )
    result = engine.deploy([("two.bpmn", two), ("minimal.bpmn", MINIMAL.encode())])
    ids = [item["processDefinition"]["processDefinitionId"] for item in result["deployments"]]
    assert ids == ["p1", "p2", "minimal"]


def test_pass_through_elements_and_artifacts_are_accepted(engine: Engine) -> None:
    xml = definitions(
        process(
            "lanes",
            '<bpmn:laneSet id="ls"><bpmn:lane id="l1" /></bpmn:laneSet>'
            '<bpmn:startEvent id="s" /><bpmn:task id="t" /><bpmn:manualTask id="m" />'
            '<bpmn:intermediateThrowEvent id="milestone" /><bpmn:endEvent id="e" />'
            '<bpmn:dataObjectReference id="dor" dataObjectRef="do" /><bpmn:dataObject id="do" />'
            '<bpmn:group id="g" />'
            + flow("f1", "s", "t")
            + flow("f2", "t", "m")
            + flow("f3", "m", "milestone")
            + flow("f4", "milestone", "e"),
        )
        + '<bpmn:collaboration id="c"><bpmn:participant id="p" processRef="lanes" /></bpmn:collaboration>'
    )
    engine.deploy(resource(xml))
    created = engine.create_process_instance(process_definition_id="lanes")
    assert engine.process_instance(created["processInstanceKey"]).state == "COMPLETED"


def _start_task_end(task_xml: str, extra: str = "") -> str:
    return definitions(
        process(
            "p",
            '<bpmn:startEvent id="start" />'
            + task_xml
            + '<bpmn:endEvent id="end" />'
            + extra
            + flow("f1", "start", "Task_1")
            + flow("f2", "Task_1", "end"),
        )
    )


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ('<bpmn:complexGateway id="Task_1" />', "Task_1 (bpmn:complexGateway)"),
        (
            '<bpmn:task id="Task_1"><bpmn:standardLoopCharacteristics /></bpmn:task>',
            "Task_1 (bpmn:task)",
        ),
        ('<bpmn:transaction id="Task_1" />', "Task_1 (bpmn:transaction)"),
        ('<bpmn:adHocSubProcess id="Task_1" />', "Task_1 (bpmn:adHocSubProcess)"),
        (
            '<bpmn:intermediateCatchEvent id="Task_1"><bpmn:conditionalEventDefinition id="s" />'
            "</bpmn:intermediateCatchEvent>",
            "Task_1 (bpmn:intermediateCatchEvent)",
        ),
    ],
)
def test_unsupported_elements_are_refused_by_id_and_type(
    engine: Engine, element: str, expected: str
) -> None:
    error = refusal(engine, _start_task_end(element))
    assert f"Element: {expected}" in error.detail
    assert "not supported" in error.detail
    assert error.detail.startswith("Command 'CREATE' rejected with code 'INVALID_ARGUMENT'")
    assert "'bad.bpmn'" in error.detail


@pytest.mark.parametrize(
    ("xml_part", "element", "message"),
    [
        (
            '<bpmn:serviceTask id="Task_1" />',
            "Task_1 (bpmn:serviceTask)",
            "Must have exactly one 'zeebe:taskDefinition' extension element",
        ),
        (
            '<bpmn:serviceTask id="Task_1"><bpmn:extensionElements><zeebe:taskDefinition type="x" />'
            '<zeebe:ioMapping><zeebe:input source="=a" target="b c" /></zeebe:ioMapping>'
            "</bpmn:extensionElements></bpmn:serviceTask>",
            "Task_1 (bpmn:serviceTask)",
            "Expected path expression 'b c' but doesn't match the pattern",
        ),
        (
            '<bpmn:serviceTask id="Task_1"><bpmn:extensionElements><zeebe:taskDefinition type=" " />'
            "</bpmn:extensionElements></bpmn:serviceTask>",
            "Task_1 (bpmn:serviceTask)",
            "must not be empty",
        ),
        (
            '<bpmn:serviceTask id="Task_1"><bpmn:extensionElements><zeebe:taskDefinition type="x" />'
            "<zeebe:executionListeners /></bpmn:extensionElements></bpmn:serviceTask>",
            "Task_1 (bpmn:serviceTask)",
            "'zeebe:executionListeners' is not supported",
        ),
        (
            '<bpmn:serviceTask id="Task_1"><bpmn:extensionElements><zeebe:taskDefinition type="x" />'
            "</bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics />"
            "</bpmn:serviceTask>",
            "Task_1 (bpmn:serviceTask)",
            "Must have exactly one 'zeebe:loopCharacteristics' extension element",
        ),
        (
            '<bpmn:serviceTask id="Task_1"><bpmn:extensionElements>'
            '<zeebe:taskDefinition type="x" retries="many" /></bpmn:extensionElements></bpmn:serviceTask>',
            "Task_1 (bpmn:serviceTask)",
            "retries must be a whole number or an expression, got 'many'",
        ),
        (
            '<bpmn:scriptTask id="Task_1"><bpmn:extensionElements><zeebe:script expression="1" '
            'resultVariable="r" /></bpmn:extensionElements></bpmn:scriptTask>',
            "Task_1 (bpmn:scriptTask)",
            "Expected expression but found static value '1'",
        ),
    ],
)
def test_unsupported_task_configuration_is_refused(
    engine: Engine, xml_part: str, element: str, message: str
) -> None:
    error = refusal(engine, _start_task_end(xml_part))
    assert f"Element: {element}" in error.detail
    assert message in error.detail


@pytest.mark.parametrize(
    ("events", "element", "message"),
    [
        (
            '<bpmn:boundaryEvent id="Timer_1" attachedToRef="Task_1">'
            '<bpmn:conditionalEventDefinition id="td" /></bpmn:boundaryEvent>',
            "Timer_1 (bpmn:boundaryEvent)",
            "conditionalEventDefinition are not supported",
        ),
        (
            '<bpmn:boundaryEvent id="Err_1" attachedToRef="end">'
            '<bpmn:errorEventDefinition id="ed" /></bpmn:boundaryEvent>',
            "Err_1 (bpmn:boundaryEvent)",
            "only supported on job-based tasks",
        ),
        (
            '<bpmn:boundaryEvent id="Err_1" attachedToRef="Task_1">'
            '<bpmn:errorEventDefinition id="ed" errorRef="Missing" /></bpmn:boundaryEvent>',
            "Err_1 (bpmn:boundaryEvent)",
            "unknown error 'Missing'",
        ),
        (
            '<bpmn:boundaryEvent id="Err_1" attachedToRef="Task_1" cancelActivity="false">'
            '<bpmn:errorEventDefinition id="ed" /></bpmn:boundaryEvent>',
            "Err_1 (bpmn:boundaryEvent)",
            "must interrupt",
        ),
        (
            '<bpmn:boundaryEvent id="Err_1" attachedToRef="Task_1"><bpmn:errorEventDefinition id="a" />'
            '</bpmn:boundaryEvent><bpmn:boundaryEvent id="Err_2" attachedToRef="Task_1">'
            '<bpmn:errorEventDefinition id="b" /></bpmn:boundaryEvent>',
            "Err_2 (bpmn:boundaryEvent)",
            "no error code (catch-all)",
        ),
        (
            '<bpmn:boundaryEvent id="Err_1" attachedToRef="Task_1">'
            '<bpmn:errorEventDefinition id="a" errorRef="E" /></bpmn:boundaryEvent>'
            '<bpmn:boundaryEvent id="Err_2" attachedToRef="Task_1">'
            '<bpmn:errorEventDefinition id="b" errorRef="E" /></bpmn:boundaryEvent>',
            "Err_2 (bpmn:boundaryEvent)",
            "the same error code 'CODE'",
        ),
    ],
)
def test_unsupported_boundary_events_are_refused(
    engine: Engine, events: str, element: str, message: str
) -> None:
    xml = _start_task_end(task("Task_1", "work"), events).replace(
        "</bpmn:definitions>", '<bpmn:error id="E" errorCode="CODE" /></bpmn:definitions>'
    )
    error = refusal(engine, xml)
    assert f"Element: {element}" in error.detail
    assert message in error.detail


@pytest.mark.parametrize(
    ("events", "element", "message"),
    [
        (
            '<bpmn:startEvent id="start"><bpmn:messageEventDefinition id="m" /></bpmn:startEvent>'
            '<bpmn:endEvent id="end" />',
            "start (bpmn:startEvent)",
            "Must reference a message",
        ),
        (
            '<bpmn:startEvent id="start" /><bpmn:endEvent id="end">'
            '<bpmn:escalationEventDefinition id="t" /></bpmn:endEvent>',
            "end (bpmn:endEvent)",
            "Must reference an escalation",
        ),
        (
            '<bpmn:startEvent id="start" /><bpmn:endEvent id="end">'
            '<bpmn:compensateEventDefinition id="t" /></bpmn:endEvent>',
            "end (bpmn:endEvent)",
            "compensation events are not supported by this engine",
        ),
        (
            '<bpmn:startEvent id="start" /><bpmn:startEvent id="start2" /><bpmn:endEvent id="end" />',
            "p (bpmn:process)",
            "exactly one none start event",
        ),
        (
            '<bpmn:endEvent id="end" /><bpmn:endEvent id="start" />',
            "p (bpmn:process)",
            "at least one start event",
        ),
    ],
)
def test_unsupported_events_are_refused(
    engine: Engine, events: str, element: str, message: str
) -> None:
    error = refusal(engine, definitions(process("p", events + flow("f", "start", "end"))))
    assert f"Element: {element}" in error.detail
    assert message in error.detail


def _gateway(flows: str, default: str | None = None) -> str:
    default_attribute = f' default="{default}"' if default else ""
    return definitions(
        process(
            "gw",
            f'<bpmn:startEvent id="start" /><bpmn:exclusiveGateway id="xor"{default_attribute} />'
            '<bpmn:endEvent id="a" /><bpmn:endEvent id="b" />' + flow("f0", "start", "xor") + flows,
        )
    )


@pytest.mark.parametrize(
    ("xml", "element", "message"),
    [
        (
            _gateway(flow("to-a", "xor", "a", "= amount &gt;") + flow("to-b", "xor", "b", "=true")),
            "to-a (bpmn:sequenceFlow)",
            "cannot be parsed",
        ),
        (
            _gateway(flow("to-a", "xor", "a", "amount &gt; 1") + flow("to-b", "xor", "b", "=true")),
            "to-a (bpmn:sequenceFlow)",
            "Expected expression but found static value",
        ),
        (
            _gateway(flow("to-a", "xor", "a", "=amount &gt; 1") + flow("to-b", "xor", "b")),
            "to-b (bpmn:sequenceFlow)",
            "must have a condition or be the default flow",
        ),
        (
            _gateway(flow("to-a", "xor", "a", "=x") + flow("to-b", "xor", "b", "=y"), "to-b"),
            "to-b (bpmn:sequenceFlow)",
            "a default flow must not have a condition",
        ),
        (
            _gateway(flow("to-a", "xor", "a", "=x") + flow("to-b", "xor", "b"), "f0"),
            "xor (bpmn:exclusiveGateway)",
            "must be an outgoing flow",
        ),
        (
            definitions(
                process(
                    "p",
                    '<bpmn:startEvent id="start" /><bpmn:endEvent id="end" />'
                    + flow("f", "start", "end", "=true"),
                )
            ),
            "f (bpmn:sequenceFlow)",
            "only supported on sequence flows leaving an exclusive or inclusive gateway",
        ),
        (
            definitions(
                process("p", '<bpmn:startEvent id="start" />' + flow("f", "start", "nowhere"))
            ),
            "f (bpmn:sequenceFlow)",
            "the target 'nowhere' is not a supported flow node",
        ),
        (
            definitions(
                process(
                    "p",
                    '<bpmn:startEvent id="start" /><bpmn:endEvent id="end" />'
                    + flow("f", "end", "start"),
                )
            ),
            "f (bpmn:sequenceFlow)",
            "must not have incoming sequence flows",
        ),
        (
            definitions(process("p", '<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f" />')),
            "f (bpmn:sequenceFlow)",
            "needs an id, a sourceRef and a targetRef",
        ),
        (
            definitions(process("9lives", '<bpmn:startEvent id="start" />')),
            "9lives (bpmn:process)",
            "not a valid id",
        ),
        (
            definitions(process("p", '<bpmn:startEvent id="start" /><bpmn:endEvent />')),
            "p (bpmn:endEvent)",
            "has no id",
        ),
    ],
)
def test_flow_and_gateway_mistakes_are_refused(
    engine: Engine, xml: str, element: str, message: str
) -> None:
    error = refusal(engine, xml)
    assert f"Element: {element}" in error.detail
    assert message in error.detail


def test_all_problems_of_all_resources_are_listed_at_once(engine: Engine) -> None:
    bad_one = _start_task_end('<bpmn:callActivity id="Task_1" />')
    bad_two = _start_task_end('<bpmn:serviceTask id="Task_1" />')
    with pytest.raises(EngineError) as raised:
        engine.deploy([("one.bpmn", bad_one), ("two.bpmn", bad_two), ("ok.bpmn", MINIMAL)])
    assert "'one.bpmn'" in raised.value.detail
    assert "'two.bpmn'" in raised.value.detail
    assert "ok.bpmn" not in raised.value.detail
    with pytest.raises(EngineError):
        engine.create_process_instance(process_definition_id="minimal")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("<bpmn:definitions", "broken.bpmn", "not well-formed XML"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "evil.bpmn", "DOCTYPE"),
        (
            "<definitions xmlns='https://www.omg.org/spec/DMN/20191111/MODEL/' />",
            "rules.dmn",
            "DMN resources",
        ),
        ('{"components": []}', "form.form", "not well-formed XML"),
        ("<form />", "form.form", "form resources"),
        ("<html />", "page.bpmn", "not a BPMN 2.0 document"),
        (
            definitions('<bpmn:process id="p" isExecutable="false" />'),
            "draft.bpmn",
            "at least one executable process",
        ),
    ],
)
def test_resources_that_are_not_runnable_bpmn_are_refused(
    engine: Engine, content: str, name: str, message: str
) -> None:
    error = refusal(engine, content, name)
    assert message in error.detail
    assert f"'{name}'" in error.detail


def test_a_process_id_twice_in_one_deployment_is_refused(engine: Engine) -> None:
    with pytest.raises(
        EngineError, match=r"Duplicated process id in resources 'a\.bpmn' and 'b\.bpmn'"
    ):
        engine.deploy([("a.bpmn", MINIMAL), ("b.bpmn", MINIMAL)])


def test_an_empty_deployment_is_refused(engine: Engine) -> None:
    with pytest.raises(EngineError, match="at least one resource") as raised:
        engine.deploy([])
    assert raised.value.status == 400


def test_other_vendors_extensions_are_ignored_like_zeebe_does() -> None:
    xml = MINIMAL.replace(
        "<zeebe:taskDefinition",
        '<vendor:thing xmlns:vendor="urn:vendor" /><zeebe:taskDefinition',
    )
    [model] = parse_bpmn("p.bpmn", xml)
    assert model.nodes["work"].task is not None
    assert model.nodes["work"].task.job_type == "work"


def test_the_model_keeps_headers_retries_and_version_tag() -> None:
    [model] = parse_bpmn("order.bpmn", ONE_TASK.encode())
    charge = model.nodes["Task_Charge"]
    assert charge.task is not None
    assert charge.task.retries == 5
    assert dict(charge.task.headers) == {"currency": "EUR", "provider": "acme"}
    assert model.version_tag == "v1"
    assert model.name == "Order process"
    assert model.start_node == "StartEvent_1"


def test_validation_errors_render_like_zeebe() -> None:
    with pytest.raises(BpmnValidationError) as raised:
        parse_bpmn("x.bpmn", _start_task_end('<bpmn:callActivity id="Task_1" />'))
    assert str(raised.value).startswith(
        "'x.bpmn': - Element: Task_1 (bpmn:callActivity)\n    - ERROR: "
    )
