"""Error and escalation codes as expressions (``errorCode="=..."``, ``escalationCode="=..."``).

Zeebe evaluates the code of an error end event and of an escalation throw or end event when the
event is reached; catch events' codes must be static (refused with Zeebe's message). A failing
expression, or one that is not a string, is an ``EXTRACT_VALUE_ERROR`` incident on the event.
Shown in-process and over the REST API (in-process and over TCP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from camunda_worker.engine import Engine, EngineApp, EngineError, EngineServer, InProcessTransport

from .conftest import BASE_URL
from .models.corpus import (
    END,
    START,
    call_activity,
    chain,
    end,
    error,
    error_boundary,
    escalation,
    event_start,
    event_sub_process,
    flow,
    process,
    service,
    start,
    sub_process,
)
from .models.modeler import modeler_xml


def _deploy(engine: Engine, name: str, body: str) -> None:
    engine.deploy([(f"{name}.bpmn", modeler_xml(name, body).encode())])


def _error_end(node_id: str, error_ref: str) -> str:
    return (
        f'<bpmn:endEvent id="{node_id}" name="{node_id}">'
        f'<bpmn:errorEventDefinition id="{node_id}_def" errorRef="{error_ref}" /></bpmn:endEvent>'
    )


def _escalation_throw(node_id: str, ref: str, *, end_event: bool = False) -> str:
    tag = "endEvent" if end_event else "intermediateThrowEvent"
    return (
        f'<bpmn:{tag} id="{node_id}" name="{node_id}">'
        f'<bpmn:escalationEventDefinition id="{node_id}_def" escalationRef="{ref}" /></bpmn:{tag}>'
    )


def _escalation_boundary(node_id: str, host: str, ref: str | None, *, interrupting: bool) -> str:
    cancel = "" if interrupting else ' cancelActivity="false"'
    reference = f' escalationRef="{ref}"' if ref else ""
    return (
        f'<bpmn:boundaryEvent id="{node_id}" name="{node_id}"{cancel} attachedToRef="{host}">'
        f'<bpmn:escalationEventDefinition id="{node_id}_def"{reference} /></bpmn:boundaryEvent>'
    )


# A sub-process whose error end event throws "E-" + reason; boundary events catch E-stock and
# (catch-all) anything else.
ERROR_BY_REASON = (
    error("Err_Thrown", "=&quot;E-&quot; + reason")
    + error("Err_Stock", "E-stock")
    + process(
        "error-by-reason",
        START
        + sub_process(
            "check",
            start("check-start")
            + _error_end("fail", "Err_Thrown")
            + chain("s", "check-start", "fail"),
        )
        + error_boundary("no-stock", "check", "Err_Stock")
        + error_boundary("other", "check", None)
        + END
        + end("restock")
        + end("escalated")
        + chain("f", "start", "check", "end")
        + flow("g1", "no-stock", "restock")
        + flow("g2", "other", "escalated"),
    )
)


@pytest.mark.parametrize(
    ("reason", "path_end"), [("stock", ("no-stock", "restock")), ("fraud", ("other", "escalated"))]
)
def test_an_error_end_event_throws_the_code_its_expression_gives(
    reason: str, path_end: tuple[str, ...]
) -> None:
    engine = Engine()
    _deploy(engine, "error-by-reason", ERROR_BY_REASON)
    created = engine.create_process_instance(
        process_definition_id="error-by-reason", variables={"reason": reason}
    )
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert view.state == "COMPLETED"
    assert view.visited_element_ids == ("start", "check", "check-start", "fail", *path_end)


def test_an_uncaught_error_names_the_evaluated_code() -> None:
    engine = Engine()
    body = error("Err", "=&quot;E-&quot; + string(code)") + process(
        "uncaught",
        START + _error_end("fail", "Err") + chain("f", "start", "fail"),
    )
    _deploy(engine, "uncaught", body)
    engine.create_process_instance(process_definition_id="uncaught", variables={"code": 7})
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id) == ("UNHANDLED_ERROR_EVENT", "fail")
    assert "with the code 'E-7'" in incident.error_message


def test_an_error_code_that_is_no_string_is_an_incident_until_resolved() -> None:
    engine = Engine()
    _deploy(engine, "error-by-reason", ERROR_BY_REASON.replace("&quot;E-&quot; + reason", "reason"))
    created = engine.create_process_instance(
        process_definition_id="error-by-reason", variables={"reason": 42}
    )
    key = str(created["processInstanceKey"])
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id) == ("EXTRACT_VALUE_ERROR", "fail")
    assert incident.error_message == (
        "Expected result of the expression 'reason' to be 'STRING', but was 'NUMBER'."
    )
    assert engine.process_instance(key).state == "ACTIVE"
    engine.set_variables(key, {"reason": "E-stock"})
    engine.resolve_incident(incident.key)
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.visited_element_ids[-2:] == ("no-stock", "restock")


ESCALATION_BY_LEVEL = (
    escalation("Esc_Thrown", "=level")
    + escalation("Esc_Urgent", "urgent")
    + process(
        "escalation-by-level",
        START
        + sub_process(
            "handle",
            start("handle-start")
            + _escalation_throw("raise", "Esc_Thrown")
            + service("work", "work")
            + end("handle-end")
            + chain("s", "handle-start", "raise", "work", "handle-end"),
        )
        + _escalation_boundary("urgent", "handle", "Esc_Urgent", interrupting=False)
        + service("call-boss", "call-boss")
        + END
        + end("boss-called")
        + chain("f", "start", "handle", "end")
        + chain("g", "urgent", "call-boss", "boss-called"),
    )
)


@pytest.mark.parametrize(("level", "caught"), [("urgent", True), ("low", False)])
def test_an_escalation_throw_event_throws_the_code_its_expression_gives(
    level: str, *, caught: bool
) -> None:
    engine = Engine()
    _deploy(engine, "escalation-by-level", ESCALATION_BY_LEVEL)
    engine.create_process_instance(
        process_definition_id="escalation-by-level", variables={"level": level}
    )
    assert len(engine.jobs(job_type="call-boss")) == (1 if caught else 0)
    assert len(engine.jobs(job_type="work")) == 1  # the throw event's token goes on


def test_a_failing_escalation_code_is_an_incident_on_the_throw_event() -> None:
    engine = Engine()
    _deploy(engine, "escalation-by-level", ESCALATION_BY_LEVEL.replace("=level", "=level.name"))
    created = engine.create_process_instance(
        process_definition_id="escalation-by-level", variables={"level": 3}
    )
    key = str(created["processInstanceKey"])
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id) == ("EXTRACT_VALUE_ERROR", "raise")
    assert engine.jobs(job_type="work") == []
    engine.set_variables(key, {"level": {"name": "urgent"}})
    engine.resolve_incident(incident.key)
    assert len(engine.jobs(job_type="call-boss")) == 1
    assert len(engine.jobs(job_type="work")) == 1


def test_an_escalation_code_expression_reaches_the_call_activity() -> None:
    engine = Engine()
    child = escalation(
        "Esc_Child", "=if late then &quot;LATE&quot; else &quot;FINE&quot;"
    ) + process(
        "child",
        start("c-start")
        + _escalation_throw("c-end", "Esc_Child", end_event=True)
        + chain("c", "c-start", "c-end"),
    )
    parent = escalation("Esc_Late", "LATE") + process(
        "parent",
        START
        + call_activity("call", "child")
        + _escalation_boundary("late", "call", "Esc_Late", interrupting=True)
        + END
        + end("was-late")
        + chain("f", "start", "call", "end")
        + flow("g", "late", "was-late"),
    )
    _deploy(engine, "child", child)
    _deploy(engine, "parent", parent)
    late = engine.create_process_instance(process_definition_id="parent", variables={"late": True})
    fine = engine.create_process_instance(process_definition_id="parent", variables={"late": False})
    assert engine.process_instance(str(late["processInstanceKey"])).visited_element_ids[-2:] == (
        "late",
        "was-late",
    )
    assert engine.process_instance(str(fine["processInstanceKey"])).visited_element_ids[-2:] == (
        "call",
        "end",
    )


@pytest.mark.parametrize(
    ("definitions", "element", "message"),
    [
        (
            error("Err", "=code"),
            service("work", "work") + error_boundary("caught", "work", "Err"),
            "The errorCode of the error catch event is not allowed to be an expression",
        ),
        (
            escalation("Esc", "=code"),
            service("work", "work")
            + _escalation_boundary("caught", "work", "Esc", interrupting=False),
            "The escalationCode of the escalation catch event is not allowed to be an expression",
        ),
        (
            escalation("Esc", "=code"),
            service("work", "work")
            + event_sub_process(
                "esp",
                event_start("caught", 'escalation escalationRef="Esc"'),
                end("esp-end") + chain("e", "caught", "esp-end"),
            ),
            "The escalationCode of the escalation catch event is not allowed to be an expression",
        ),
        (
            error("Err", "=code +"),
            _error_end("caught", "Err"),
            "the errorCode expression cannot be parsed",
        ),
    ],
)
def test_catch_events_refuse_code_expressions(definitions: str, element: str, message: str) -> None:
    engine = Engine()
    body = definitions + process(
        "refused",
        START + element + END + chain("f", "start", "work" if "work" in element else "caught"),
    )
    with pytest.raises(EngineError) as raised:
        _deploy(engine, "refused", body)
    assert raised.value.status == 400
    assert "caught (bpmn:" in raised.value.detail
    assert message in raised.value.detail


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


def _search(client: httpx.Client, path: str, **filters: Any) -> list[dict[str, Any]]:
    response = client.post(path, json={"filter": filters})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_over_http_a_code_expression_is_thrown_and_a_failing_one_is_an_incident(
    http: httpx.Client,
) -> None:
    xml = modeler_xml("error-by-reason", ERROR_BY_REASON).encode()
    files = {"resources": ("error-by-reason.bpmn", xml, "application/xml")}
    assert http.post("/deployments", files=files).status_code == 200
    created = http.post(
        "/process-instances",
        json={"processDefinitionId": "error-by-reason", "variables": {"reason": "stock"}},
    )
    assert created.status_code == 200, created.text
    key = created.json()["processInstanceKey"]
    [instance] = _search(http, "/process-instances/search", processInstanceKey=key)
    assert instance["state"] == "COMPLETED"
    failing = http.post(
        "/process-instances",
        json={"processDefinitionId": "error-by-reason", "variables": {"reason": None}},
    )
    failing_key = failing.json()["processInstanceKey"]
    [incident] = _search(http, "/incidents/search", processInstanceKey=failing_key)
    assert incident["errorType"] == "EXTRACT_VALUE_ERROR"
    assert incident["elementId"] == "fail"


def test_an_error_code_expression_of_a_called_process_reaches_the_call_activity() -> None:
    engine = Engine()
    child = error("Err_Child", "=failure") + process(
        "failing-child",
        start("c-start") + _error_end("c-fail", "Err_Child") + chain("c", "c-start", "c-fail"),
    )
    parent = error("Err_Stock", "OUT_OF_STOCK") + process(
        "calling-parent",
        START
        + call_activity("call", "failing-child")
        + error_boundary("no-stock", "call", "Err_Stock")
        + END
        + end("restock")
        + chain("f", "start", "call", "end")
        + flow("g", "no-stock", "restock"),
    )
    _deploy(engine, "failing-child", child)
    _deploy(engine, "calling-parent", parent)
    created = engine.create_process_instance(
        process_definition_id="calling-parent", variables={"failure": "OUT_OF_STOCK"}
    )
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert view.state == "COMPLETED"
    assert view.visited_element_ids[-2:] == ("no-stock", "restock")
    [child_view] = engine.process_instances(process_definition_id="failing-child")
    assert child_view.state == "TERMINATED"
