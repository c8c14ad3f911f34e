"""Call activities: the called version, variables both ways, parent keys, termination, incidents.

Each behaviour is shown in-process (the ``Engine`` API) and, where a user meets it over HTTP,
through the REST API both in-process and over TCP (``EngineServer`` on a port of 127.0.0.1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from xml.sax.saxutils import quoteattr

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import Engine, EngineApp, EngineError, EngineServer, InProcessTransport
from camunda_worker.engine._model.bpmn import BpmnValidationError, parse_bpmn

from .conftest import BASE_URL
from .models.corpus import call_activity, chain, end, process, service, start
from .models.modeler import modeler_xml


def _bpmn(name: str, body: str) -> bytes:
    return modeler_xml(name, body).encode()


def _caller(process_id: str, called: str, *, attributes: str = "", extra: str = "") -> str:
    return process(
        process_id,
        start("start")
        + call_activity("call", called, attributes=attributes, extra=extra)
        + end("end")
        + chain("f", "start", "call", "end"),
    )


def _child(process_id: str, job_type: str, *, version_tag: str = "") -> str:
    tag = (
        f'<bpmn:extensionElements><zeebe:versionTag value="{version_tag}" />'
        "</bpmn:extensionElements>"
        if version_tag
        else ""
    )
    return (
        f'<bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">{tag}'
        + start("child-start")
        + service("work", job_type)
        + end("child-end")
        + chain("c", "child-start", "work", "child-end")
        + "</bpmn:process>"
    )


def _complete_one(engine: Engine, job_type: str, variables: dict[str, Any] | None = None) -> None:
    [job] = engine.activate_ready_jobs(
        job_type=job_type, max_jobs_to_activate=1, timeout_ms=60_000, worker="test"
    )
    engine.complete_job(str(job["jobKey"]), variables or {})


def _instance_of(engine: Engine, process_id: str) -> Any:
    [view] = engine.process_instances(process_definition_id=process_id)
    return view


@pytest.fixture(params=["in-process", "tcp"])
def http(
    request: pytest.FixtureRequest, make_app: Callable[..., EngineApp]
) -> Iterator[httpx.Client]:
    """A REST client of a fresh engine, in-process or over TCP on 127.0.0.1."""
    app = make_app()
    if request.param == "in-process":
        with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
            yield client
        return
    with EngineServer(app) as server, httpx.Client(base_url=server.url) as client:
        yield client


def _deploy(client: httpx.Client, name: str, body: str) -> None:
    files = {"resources": (f"{name}.bpmn", _bpmn(name, body), "application/xml")}
    response = client.post("/deployments", files=files)
    assert response.status_code == 200, response.text


def _search(client: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    response = client.post("/process-instances/search", json={"filter": filters})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _activate(client: httpx.Client, job_type: str) -> list[dict[str, Any]]:
    body = {"type": job_type, "maxJobsToActivate": 10, "timeout": 30_000, "worker": "t"}
    response = client.post("/jobs/activation", json={**body, "requestTimeout": -1})
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


def test_the_child_knows_its_parent_and_completes_it_over_http(http: httpx.Client) -> None:
    _deploy(http, "calls", _caller("parent", "child") + _child("child", "work"))
    created = http.post(
        "/process-instances", json={"processDefinitionId": "parent", "variables": {"n": 1}}
    )
    parent_key = created.json()["processInstanceKey"]
    [child] = _search(http, processDefinitionId="child")
    assert child["parentProcessInstanceKey"] == parent_key
    assert child["rootProcessInstanceKey"] == parent_key
    assert child["parentElementInstanceKey"] not in (None, parent_key)
    assert _search(http, parentProcessInstanceKey=parent_key) == [child]
    [job] = _activate(http, "work")
    assert job["processInstanceKey"] == child["processInstanceKey"]
    assert job["rootProcessInstanceKey"] == parent_key
    assert job["variables"] == {"n": 1}
    [found] = http.post("/jobs/search", json={"filter": {"jobKey": job["jobKey"]}}).json()["items"]
    assert found["rootProcessInstanceKey"] == parent_key
    failed = http.post(f"/jobs/{job['jobKey']}/failure", json={"retries": 0})
    assert failed.status_code == 204
    [incident] = http.post("/incidents/search", json={"filter": {}}).json()["items"]
    assert incident["processInstanceKey"] == child["processInstanceKey"]
    assert incident["rootProcessInstanceKey"] == parent_key
    http.patch(f"/jobs/{job['jobKey']}", json={"changeset": {"retries": 1}})
    assert http.post(f"/incidents/{incident['incidentKey']}/resolution").status_code == 204
    [job] = _activate(http, "work")
    response = http.post(f"/jobs/{job['jobKey']}/completion", json={"variables": {"m": 2}})
    assert response.status_code == 204
    parent = http.get(f"/process-instances/{parent_key}").json()
    assert parent["state"] == "COMPLETED"
    assert http.get(f"/process-instances/{child['processInstanceKey']}").json()["state"] == (
        "COMPLETED"
    )


def test_cancelling_the_parent_terminates_the_child_and_its_job(http: httpx.Client) -> None:
    _deploy(http, "calls", _caller("parent", "child") + _child("child", "work"))
    parent_key = http.post("/process-instances", json={"processDefinitionId": "parent"}).json()[
        "processInstanceKey"
    ]
    [child] = _search(http, processDefinitionId="child")
    [job] = _activate(http, "work")
    refused = http.post(f"/process-instances/{child['processInstanceKey']}/cancellation")
    assert refused.status_code == 409
    assert refused.json()["detail"].endswith(
        f"Expected to cancel a process instance with key '{child['processInstanceKey']}', but it "
        "is created by a parent process instance. Cancel the root process instance "
        f"'{parent_key}' instead."
    )
    assert http.post(f"/process-instances/{parent_key}/cancellation").status_code == 204
    [child] = _search(http, processDefinitionId="child")
    assert child["state"] == "TERMINATED"
    assert http.post(f"/jobs/{job['jobKey']}/completion", json={}).status_code == 404


def test_a_process_not_deployed_is_an_incident_resolved_by_deploying_it(
    http: httpx.Client,
) -> None:
    _deploy(http, "parent", _caller("parent", "later"))
    parent_key = http.post("/process-instances", json={"processDefinitionId": "parent"}).json()[
        "processInstanceKey"
    ]
    [incident] = http.post("/incidents/search", json={"filter": {}}).json()["items"]
    assert incident["errorType"] == "CALLED_ELEMENT_ERROR"
    assert incident["elementId"] == "call"
    assert incident["errorMessage"] == (
        "Expected process with BPMN process id 'later' to be deployed, but not found."
    )
    _deploy(http, "later", _child("later", "work"))
    assert http.post(f"/incidents/{incident['incidentKey']}/resolution").status_code == 204
    [child] = _search(http, processDefinitionId="later")
    assert child["parentProcessInstanceKey"] == parent_key
    [job] = _activate(http, "work")
    http.post(f"/jobs/{job['jobKey']}/completion", json={})
    assert http.get(f"/process-instances/{parent_key}").json()["state"] == "COMPLETED"


def test_the_binding_type_chooses_the_version() -> None:
    engine = Engine()
    both = (
        _caller("latest", "child")
        + _caller("same-deployment", "child", attributes=' bindingType="deployment"')
        + _caller("tagged", "child", attributes=' bindingType="versionTag" versionTag="stable"')
        + _child("child", "v1", version_tag="stable")
    )
    engine.deploy([("both.bpmn", _bpmn("both", both))])
    engine.deploy([("child.bpmn", _bpmn("child", _child("child", "v2", version_tag="next")))])
    for process_id, job_type in (("latest", "v2"), ("same-deployment", "v1"), ("tagged", "v1")):
        engine.create_process_instance(process_definition_id=process_id)
        assert len(engine.jobs(job_type=job_type, lifecycle="ACTIVATABLE")) == 1
        _complete_one(engine, job_type)
        assert _instance_of(engine, process_id).state == "COMPLETED"


def test_a_missing_version_tag_and_deployment_are_incidents_with_zeebes_messages() -> None:
    engine = Engine()
    engine.deploy([("child.bpmn", _bpmn("child", _child("child", "work")))])
    tagged = _caller("tagged", "child", attributes=' bindingType="versionTag" versionTag="v9"')
    same = _caller("same", "child", attributes=' bindingType="deployment"')
    engine.deploy([("callers.bpmn", _bpmn("callers", tagged + same))])
    engine.create_process_instance(process_definition_id="tagged")
    engine.create_process_instance(process_definition_id="same")
    [tag_incident] = _instance_of(engine, "tagged").incidents
    [deployment_incident] = _instance_of(engine, "same").incidents
    assert tag_incident.error_type == deployment_incident.error_type == "CALLED_ELEMENT_ERROR"
    assert tag_incident.error_message.startswith(
        "Expected to call process with BPMN process id 'child' and version tag 'v9', but no "
        "such process found."
    )
    assert deployment_incident.error_message.startswith(
        "Expected to call process with BPMN process id 'child' with binding type 'deployment', "
        "but no such process found in the deployment with key"
    )


def test_a_child_without_a_none_start_event_cannot_be_called() -> None:
    engine = Engine()
    timer_only = process(
        "timed",
        '<bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle>R/PT1H'
        "</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>"
        + end("done")
        + chain("t", "tick", "done"),
    )
    engine.deploy([("x.bpmn", _bpmn("x", _caller("parent", "timed") + timer_only))])
    engine.create_process_instance(process_definition_id="parent")
    [incident] = _instance_of(engine, "parent").incidents
    assert incident.error_message == (
        "Expected process with BPMN process id 'timed' to have a none start event, but not found."
    )


def test_a_process_id_expression_that_is_no_string_is_an_extract_value_error() -> None:
    engine = Engine()
    engine.deploy([("p.bpmn", _bpmn("p", _caller("parent", "=target")))])
    engine.create_process_instance(process_definition_id="parent", variables={"target": 5})
    [incident] = _instance_of(engine, "parent").incidents
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert incident.error_message == (
        "Expected result of the expression 'target' to be 'STRING', but was 'NUMBER'."
    )


@pytest.mark.parametrize(
    ("attributes", "child_sees", "parent_ends_with"),
    [
        # ``local`` goes back into the call activity's own scope (its input mapping's), as in
        # Zeebe's propagation: the nearest scope holding a name takes it.
        ("", {"a": 1, "local": 2}, {"a": 1, "b": 3}),
        (' propagateAllParentVariables="false"', {"local": 2}, {"a": 1, "b": 3}),
        (' propagateAllChildVariables="false"', {"a": 1, "local": 2}, {"a": 1}),
    ],
)
def test_variables_cross_the_call_as_the_flags_say(
    attributes: str, child_sees: dict[str, Any], parent_ends_with: dict[str, Any]
) -> None:
    engine = Engine()
    caller = _caller(
        "parent",
        "child",
        attributes=attributes,
        extra='<zeebe:ioMapping><zeebe:input source="=a + 1" target="local" /></zeebe:ioMapping>',
    )
    engine.deploy([("x.bpmn", _bpmn("x", caller + _child("child", "work")))])
    created = engine.create_process_instance(process_definition_id="parent", variables={"a": 1})
    [job] = engine.activate_ready_jobs(
        job_type="work", max_jobs_to_activate=1, timeout_ms=1000, worker="t"
    )
    assert job["variables"] == child_sees
    engine.complete_job(str(job["jobKey"]), {"b": 3})
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert view.state == "COMPLETED"
    assert dict(view.variables) == parent_ends_with


def test_a_message_boundary_on_the_call_activity_terminates_the_child() -> None:
    engine = Engine()
    caller = process(
        "parent",
        start("start")
        + call_activity("call", "child")
        + '<bpmn:boundaryEvent id="cancelled" attachedToRef="call">'
        + '<bpmn:messageEventDefinition messageRef="m" /></bpmn:boundaryEvent>'
        + end("end")
        + end("stopped")
        + chain("f", "start", "call", "end")
        + chain("g", "cancelled", "stopped"),
    )
    message = (
        '<bpmn:message id="m" name="stop"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=id" /></bpmn:extensionElements></bpmn:message>'
    )
    engine.deploy([("x.bpmn", _bpmn("x", message + caller + _child("child", "work")))])
    engine.create_process_instance(process_definition_id="parent", variables={"id": "7"})
    engine.publish_message(name="stop", correlation_key="7")
    assert _instance_of(engine, "parent").visited_element_ids == (
        "start",
        "call",
        "cancelled",
        "stopped",
    )
    assert _instance_of(engine, "child").state == "TERMINATED"
    assert engine.jobs(job_type="work", lifecycle="ACTIVATABLE") == []


@pytest.mark.parametrize(
    ("called_element", "message"),
    [
        ("", "Must have exactly one 'zeebe:calledElement' extension element"),
        ('<zeebe:calledElement processId=" " />', "Attribute 'processId' must be present"),
        (
            '<zeebe:calledElement processId="c" bindingType="newest" />',
            "Attribute 'bindingType' must be one of latest, deployment, versionTag",
        ),
        (
            '<zeebe:calledElement processId="c" bindingType="versionTag" />',
            "Attribute 'versionTag' must be present and not empty",
        ),
        (
            '<zeebe:calledElement processId="c" propagateAllChildVariables="yes" />',
            "Attribute 'propagateAllChildVariables' must be 'true' or 'false'",
        ),
    ],
)
def test_a_call_activity_without_a_proper_called_element_is_refused(
    called_element: str, message: str
) -> None:
    activity = (
        f'<bpmn:callActivity id="call"><bpmn:extensionElements>{called_element}'
        "</bpmn:extensionElements></bpmn:callActivity>"
    )
    body = process("p", start("start") + activity + chain("f", "start", "call"))
    with pytest.raises(EngineError) as raised:
        Engine().deploy([("p.bpmn", _bpmn("p", body))])
    assert "Element: call (bpmn:callActivity)" in raised.value.detail
    assert message in raised.value.detail


def _error_caller(code: str) -> str:
    return f'<bpmn:error id="e" name="{code}" errorCode="{code}" />' + process(
        "parent",
        start("start")
        + call_activity("call", "child")
        + '<bpmn:boundaryEvent id="failed" attachedToRef="call">'
        + '<bpmn:errorEventDefinition errorRef="e" /></bpmn:boundaryEvent>'
        + end("end")
        + end("handled")
        + chain("f", "start", "call", "end")
        + chain("g", "failed", "handled"),
    )


def test_a_bpmn_error_the_child_does_not_catch_reaches_the_call_activity() -> None:
    engine = Engine()
    engine.deploy([("x.bpmn", _bpmn("x", _error_caller("NOPE") + _child("child", "work")))])
    created = engine.create_process_instance(process_definition_id="parent")
    [job] = engine.activate_ready_jobs(
        job_type="work", max_jobs_to_activate=1, timeout_ms=1000, worker="t"
    )
    engine.throw_job_error(str(job["jobKey"]), error_code="NOPE", variables={"why": "x"})
    parent = engine.process_instance(str(created["processInstanceKey"]))
    assert parent.state == "COMPLETED"
    assert parent.visited_element_ids == ("start", "call", "failed", "handled")
    assert dict(parent.variables) == {"why": "x"}
    assert _instance_of(engine, "child").state == "TERMINATED"
    assert engine.incidents() == []


def test_an_error_end_event_of_the_child_reaches_the_call_activity() -> None:
    child = process(
        "child",
        start("child-start")
        + '<bpmn:endEvent id="child-fails"><bpmn:errorEventDefinition errorRef="e" />'
        + "</bpmn:endEvent>"
        + chain("c", "child-start", "child-fails"),
    )
    engine = Engine()
    engine.deploy([("x.bpmn", _bpmn("x", _error_caller("NOPE") + child))])
    created = engine.create_process_instance(process_definition_id="parent")
    parent = engine.process_instance(str(created["processInstanceKey"]))
    assert parent.state == "COMPLETED"
    assert parent.visited_element_ids == ("start", "call", "failed", "handled")
    assert _instance_of(engine, "child").state == "TERMINATED"


def test_an_error_nobody_catches_stays_an_incident_in_the_child() -> None:
    engine = Engine()
    engine.deploy([("x.bpmn", _bpmn("x", _error_caller("OTHER") + _child("child", "work")))])
    engine.create_process_instance(process_definition_id="parent")
    [job] = engine.activate_ready_jobs(
        job_type="work", max_jobs_to_activate=1, timeout_ms=1000, worker="t"
    )
    engine.throw_job_error(str(job["jobKey"]), error_code="NOPE")
    assert _instance_of(engine, "parent").state == "ACTIVE"
    child = _instance_of(engine, "child")
    assert child.state == "ACTIVE"
    assert [incident.error_type for incident in child.incidents] == ["UNHANDLED_ERROR_EVENT"]


_WORDS = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cn")), max_size=10)


@given(
    binding=st.one_of(st.sampled_from(["latest", "deployment", "versionTag"]), _WORDS),
    child_flag=st.one_of(st.sampled_from(["true", "false", "TRUE", "False"]), _WORDS),
    tag=st.one_of(st.just(""), st.from_regex(r"v[0-9]{1,3}", fullmatch=True)),
)
def test_a_called_element_parses_as_zeebe_reads_it(binding: str, child_flag: str, tag: str) -> None:
    attributes = (
        f"processId={quoteattr('child')} bindingType={quoteattr(binding)} "
        f"propagateAllChildVariables={quoteattr(child_flag)}"
        + (f" versionTag={quoteattr(tag)}" if tag else "")
    )
    activity = (
        f'<bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement {attributes} />'
        "</bpmn:extensionElements></bpmn:callActivity>"
    )
    xml = _bpmn("p", process("p", start("start") + activity + chain("f", "start", "call")))
    kind = binding.strip() or "latest"
    flag = child_flag.strip().lower() or "true"
    valid = (
        kind in ("latest", "deployment", "versionTag")
        and flag in ("true", "false")
        and (kind != "versionTag" or bool(tag))
    )
    if not valid:
        with pytest.raises(BpmnValidationError, match=r"call \(bpmn:callActivity\)"):
            parse_bpmn("p.bpmn", xml)
        return
    [model] = parse_bpmn("p.bpmn", xml)
    called = model.nodes["call"].called_element
    assert called is not None
    assert called.binding_type == kind
    assert called.propagate_all_child_variables is (flag == "true")
    assert called.version_tag == (tag or None)


def test_blank_attributes_of_a_called_element_mean_their_defaults() -> None:
    activity = call_activity(
        "call", "child", attributes=' bindingType="  " propagateAllChildVariables=" "'
    )
    xml = _bpmn("p", process("p", start("start") + activity + chain("f", "start", "call")))
    called = parse_bpmn("p.bpmn", xml)[0].nodes["call"].called_element
    assert called is not None
    assert (called.binding_type, called.propagate_all_child_variables) == ("latest", True)


@pytest.mark.parametrize("caught", [True, False])
def test_an_escalation_the_child_leaves_uncaught_reaches_the_call_activity(caught: bool) -> None:
    code = "ABORT" if caught else "OTHER"
    boundary = (
        f'<bpmn:escalation id="esc" name="{code}" escalationCode="{code}" />'
        '<bpmn:escalation id="abort" name="ABORT" escalationCode="ABORT" />'
    )
    parent = process(
        "parent",
        start("start")
        + call_activity("call", "child")
        + '<bpmn:boundaryEvent id="aborted" attachedToRef="call">'
        + '<bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:boundaryEvent>'
        + end("end")
        + end("stopped")
        + chain("f", "start", "call", "end")
        + chain("g", "aborted", "stopped"),
    )
    child = process(
        "child",
        start("child-start")
        + '<bpmn:intermediateThrowEvent id="abort-now">'
        + '<bpmn:escalationEventDefinition escalationRef="abort" /></bpmn:intermediateThrowEvent>'
        + service("work", "work")
        + end("child-end")
        + chain("c", "child-start", "abort-now", "work", "child-end"),
    )
    engine = Engine()
    engine.deploy([("x.bpmn", _bpmn("x", boundary + parent + child))])
    engine.create_process_instance(process_definition_id="parent")
    if caught:
        assert _instance_of(engine, "parent").visited_element_ids[-2:] == ("aborted", "stopped")
        assert _instance_of(engine, "parent").state == "COMPLETED"
        assert _instance_of(engine, "child").state == "TERMINATED"
        assert engine.jobs(job_type="work") == []
    else:  # uncaught anywhere: the child's token goes on, as Zeebe lets it
        assert _instance_of(engine, "parent").state == "ACTIVE"
        _complete_one(engine, "work")
        assert _instance_of(engine, "parent").state == "COMPLETED"
    assert engine.incidents() == []


def test_a_process_calling_itself_without_end_stops_on_an_incident() -> None:
    engine = Engine()
    engine.deploy([("loop.bpmn", _bpmn("loop", _caller("loop", "loop")))])
    created = engine.create_process_instance(process_definition_id="loop")
    views = engine.process_instances(process_definition_id="loop")
    assert len(views) == 1000
    [deepest] = [view for view in views if view.incidents]
    assert deepest.incidents[0].error_type == "CALLED_ELEMENT_ERROR"
    assert "call hierarchy already holds 1000 process instances" in (
        deepest.incidents[0].error_message
    )
    engine.cancel_process_instance(str(created["processInstanceKey"]))
    states = {view.state for view in engine.process_instances(process_definition_id="loop")}
    assert states == {"TERMINATED"}
    assert engine.incidents() == []
