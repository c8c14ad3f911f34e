"""Start instructions, process instance modification and recorded flows (engine/_runtime/modification.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import Engine, EngineApp, EngineError, InProcessTransport

STEPS_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="steps" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a" />
    <bpmn:serviceTask id="a">
      <bpmn:extensionElements><zeebe:taskDefinition type="a" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b" />
    <bpmn:serviceTask id="b">
      <bpmn:extensionElements><zeebe:taskDefinition type="b" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="sub" />
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="sub_start" />
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="inner" />
      <bpmn:serviceTask id="inner">
        <bpmn:extensionElements><zeebe:taskDefinition type="inner" /></bpmn:extensionElements>
      </bpmn:serviceTask>
      <bpmn:sequenceFlow id="s2" sourceRef="inner" targetRef="sub_end" />
      <bpmn:endEvent id="sub_end" />
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f4" sourceRef="sub" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def engine() -> Engine:
    engine = Engine()
    engine.deploy([("steps.bpmn", STEPS_BPMN)])
    return engine


def _start(engine: Engine, **options: Any) -> str:
    created = engine.create_process_instance(process_definition_id="steps", **options)
    return str(created["processInstanceKey"])


def _complete(engine: Engine, job_type: str) -> None:
    (job,) = engine.jobs(job_type=job_type, lifecycle="ACTIVATABLE")
    engine.complete_job(job.key)


def test_an_instance_starts_at_the_elements_given(engine: Engine) -> None:
    key = _start(engine, start_instructions=["b"])
    instance = engine.process_instance(key)
    assert instance.visited_element_ids == ("b",)
    assert instance.active_element_ids == ("b",)
    assert [job.type for job in engine.jobs(process_instance_key=key)] == ["b"]
    _complete(engine, "b")
    _complete(engine, "inner")
    assert engine.process_instance(key).state == "COMPLETED"


def test_several_start_instructions_make_several_tokens(engine: Engine) -> None:
    key = _start(engine, start_instructions=["a", "b"])
    assert engine.process_instance(key).active_element_ids == ("a", "b")


@pytest.mark.parametrize(
    ("element", "said"),
    [
        ("nope", "Expected to find element with id 'nope' in process 'steps', but none found"),
        ("inner", "inside the sub-process 'sub'"),
    ],
)
def test_a_start_instruction_the_engine_cannot_follow_is_refused(
    engine: Engine, element: str, said: str
) -> None:
    with pytest.raises(EngineError) as refused:
        _start(engine, start_instructions=[element])
    assert refused.value.status == 400
    assert said in refused.value.detail
    assert engine.process_instances() == []


def test_modification_terminates_one_element_and_activates_another(engine: Engine) -> None:
    key = _start(engine)
    (job_a,) = engine.jobs(job_type="a")
    engine.modify_process_instance(key, terminate=["a"], activate=["b"])
    instance = engine.process_instance(key)
    assert instance.state == "ACTIVE"
    assert instance.active_element_ids == ("b",)
    assert engine.jobs(job_type="a")[0].lifecycle == "CANCELED"
    with pytest.raises(EngineError):
        engine.complete_job(job_a.key)


def test_terminating_the_last_element_terminates_the_instance(engine: Engine) -> None:
    key = _start(engine, start_instructions=["b"])
    _complete(engine, "b")
    engine.modify_process_instance(key, terminate=["inner"])  # the sub-process is left empty
    instance = engine.process_instance(key)
    assert instance.state == "TERMINATED"
    assert instance.active_element_ids == ()


def test_terminating_an_element_with_no_active_instance_is_refused(engine: Engine) -> None:
    key = _start(engine)
    with pytest.raises(EngineError) as refused:
        engine.modify_process_instance(key, terminate=["b"])
    assert refused.value.status == 400
    assert engine.process_instance(key).active_element_ids == ("a",)


def test_flows_are_recorded_only_when_asked(engine: Engine) -> None:
    quiet = _start(engine)
    _complete(engine, "a")
    engine.record_flows = True
    recorded = _start(engine)
    (job,) = [j for j in engine.jobs(job_type="a") if j.process_instance_key == recorded]
    engine.complete_job(job.key)
    assert engine.taken_flows(quiet) == ()
    assert engine.taken_flows(recorded) == ("f1", "f2")


def test_start_instructions_over_http(engine: Engine) -> None:
    with httpx.Client(
        transport=InProcessTransport(EngineApp(engine)), base_url="http://engine/v2"
    ) as client:
        response = client.post(
            "/process-instances",
            json={"processDefinitionId": "steps", "startInstructions": [{"elementId": "b"}]},
        )
        assert response.status_code == 200, response.text
        key = response.json()["processInstanceKey"]
        assert engine.process_instance(key).active_element_ids == ("b",)
        refused = client.post(
            "/process-instances",
            json={"processDefinitionId": "steps", "startInstructions": [{"elementId": "inner"}]},
        )
        assert refused.status_code == 400


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["elementId", "x"]), children, max_size=2)
    ),
    max_leaves=6,
)


@given(instructions=st.lists(_JSON | st.fixed_dictionaries({"elementId": st.text(max_size=6)})))
def test_any_start_instructions_get_an_answer_never_a_crash(instructions: list[Any]) -> None:
    engine = Engine()
    engine.deploy([("steps.bpmn", STEPS_BPMN)])
    with httpx.Client(
        transport=InProcessTransport(EngineApp(engine)), base_url="http://engine/v2"
    ) as client:
        response = client.post(
            "/process-instances",
            json={"processDefinitionId": "steps", "startInstructions": instructions},
        )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert engine.process_instances() == []


MESSAGE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="waits" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="signed" />
    <bpmn:intermediateCatchEvent id="signed">
      <bpmn:messageEventDefinition messageRef="m" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="signed" targetRef="later" />
    <bpmn:intermediateCatchEvent id="later">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="later" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
  <bpmn:message id="m" name="signed">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=id" /></bpmn:extensionElements>
  </bpmn:message>
</bpmn:definitions>
"""


def test_open_message_subscriptions_and_the_next_timer_are_seen() -> None:
    from camunda_worker.engine import ManualClock

    clock = ManualClock()
    engine = Engine(clock=clock)
    engine.deploy([("waits.bpmn", MESSAGE_BPMN)])
    key = str(
        engine.create_process_instance(process_definition_id="waits", variables={"id": "A"})[
            "processInstanceKey"
        ]
    )
    (subscription,) = engine.message_subscriptions(process_instance_key=key)
    assert (subscription.message_name, subscription.correlation_key) == ("signed", "A")
    assert subscription.element_id == "signed"
    assert engine.next_timer_due_ms() is None
    engine.publish_message(name="signed", correlation_key="A")
    assert engine.message_subscriptions() == []
    assert engine.next_timer_due_ms() == clock.now_ms() + 60_000


def test_activations_are_counted_per_job(engine: Engine) -> None:
    key = _start(engine)
    (job,) = engine.jobs(job_type="a")
    assert engine.activation_counts(job_type="a") == {job.key: 0}
    for _ in range(2):
        (activated,) = engine.activate_ready_jobs(
            job_type="a", max_jobs_to_activate=1, timeout_ms=1000, worker="w"
        ) or [None]
        assert activated is not None
        engine.fail_job(job.key, retries=2)
    assert engine.activation_counts(process_instance_key=key) == {job.key: 2}


def test_resources_are_kept_only_while_recording(engine: Engine) -> None:
    assert engine.deployed_resources() == {}
    engine.record_flows = True
    result = engine.deploy([("again.bpmn", STEPS_BPMN.replace('id="a"', 'id="a" name="A"'))])
    key = result["deployments"][0]["processDefinition"]["processDefinitionKey"]
    assert engine.deployed_resources()[key][0] == "again.bpmn"
    assert engine.process_model(key).nodes["a"].name == "A"
    with pytest.raises(EngineError) as unknown:
        engine.process_model("123")
    assert unknown.value.status == 404


def test_the_model_of_a_process_by_id(engine: Engine) -> None:
    assert engine.process_model_of("steps").nodes["sub"].kind == "subProcess"
    with pytest.raises(EngineError) as unknown:
        engine.process_model_of("nope")
    assert unknown.value.status == 404
