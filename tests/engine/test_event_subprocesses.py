"""Event sub-processes, joining inclusive gateways and message events as jobs, in-process and over TCP.

The corpus (``test_models.py``) runs each model through the Python API; here the same models go
through the REST API, in-process and over loopback TCP, and the edges the corpus does not show:
an interrupting event sub-process ending its non-interrupting siblings, subscriptions closed with
their scope, what is refused at deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camunda_worker.engine import (
    Engine,
    EngineApp,
    EngineError,
    EngineServer,
    InProcessTransport,
    ManualClock,
)

from .conftest import BASE_URL, activation
from .models.corpus import (
    END,
    START,
    chain,
    end,
    error,
    escalation,
    event_start,
    event_sub_process,
    flow,
    message,
    process,
    service,
    signal,
    start,
    sub_process,
)
from .models.modeler import modeler_xml

MODELS = Path(__file__).parent / "models"


@pytest.fixture(params=["in-process", "tcp"])
def http(request: pytest.FixtureRequest, make_app: Callable[..., EngineApp]) -> Iterator[Any]:
    """An httpx client on a fresh app (in-process or over loopback TCP) and its engine."""
    app = make_app(Engine(clock=ManualClock()))
    if request.param == "in-process":
        with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
            yield client, app.engine
    else:
        with EngineServer(app) as server, httpx.Client(base_url=server.url) as client:
            yield client, app.engine


def _deploy(client: httpx.Client, name: str) -> None:
    data = (MODELS / f"{name}.bpmn").read_bytes()
    response = client.post("/deployments", files={"resources": (f"{name}.bpmn", data)})
    assert response.status_code == 200, response.text


def _create(client: httpx.Client, process_id: str, variables: dict[str, Any]) -> str:
    body = {"processDefinitionId": process_id, "variables": variables}
    response = client.post("/process-instances", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["processInstanceKey"])


def _jobs(client: httpx.Client, job_type: str) -> list[dict[str, Any]]:
    response = client.post("/jobs/activation", json=activation(job_type))
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["jobs"]
    return jobs


def _complete(client: httpx.Client, job: dict[str, Any], variables: dict[str, Any]) -> None:
    response = client.post(f"/jobs/{job['jobKey']}/completion", json={"variables": variables})
    assert response.status_code == 204, response.text


def _state(client: httpx.Client, key: str) -> str:
    state: str = client.get(f"/process-instances/{key}").json()["state"]
    return state


def test_a_non_interrupting_message_event_sub_process_runs_beside_the_task(http: Any) -> None:
    client, engine = http
    _deploy(client, "esp-message-non-interrupting")
    key = _create(client, "esp-message-non-interrupting", {"orderId": "o1"})

    for asked in (1, 2):
        body = {"name": "status", "correlationKey": "o1", "variables": {"asked": asked}}
        assert client.post("/messages/publication", json=body).status_code == 200
    reports = _jobs(client, "report")
    for job in reports:
        _complete(client, job, {})
    active_after_reports = _state(client, key)
    [work] = _jobs(client, "work")
    _complete(client, work, {})

    assert [job["elementId"] for job in reports] == ["report", "report"]
    assert active_after_reports == "ACTIVE"
    assert _state(client, key) == "COMPLETED"
    assert dict(engine.process_instance(key).variables) == {"orderId": "o1", "asked": 2}


def test_a_bpmn_error_of_a_job_starts_the_error_event_sub_process(http: Any) -> None:
    client, _ = http
    _deploy(client, "esp-error-interrupting")
    key = _create(client, "esp-error-interrupting", {})
    [charge] = _jobs(client, "charge")

    body = {"errorCode": "DECLINED", "variables": {"reason": "card"}}
    thrown = client.post(f"/jobs/{charge['jobKey']}/error", json=body)
    [notify] = _jobs(client, "notify")
    _complete(client, notify, {})

    assert thrown.status_code == 204
    assert notify["variables"] == {"reason": "card"}
    assert _state(client, key) == "COMPLETED"


def test_a_joining_inclusive_gateway_waits_for_the_branches_taken(http: Any) -> None:
    client, engine = http
    _deploy(client, "inclusive-join")
    key = _create(client, "inclusive-join", {"courses": ["pasta", "salad"]})
    [pasta] = _jobs(client, "pasta")
    [salad] = _jobs(client, "salad")

    _complete(client, pasta, {})
    after_one = _state(client, key)
    _complete(client, salad, {})

    assert _jobs(client, "steak") == []
    assert after_one == "ACTIVE"
    assert _state(client, key) == "COMPLETED"
    assert engine.process_instance(key).visited_element_ids.count("end") == 1


def test_message_throw_and_end_events_are_jobs_of_their_type(http: Any) -> None:
    client, _ = http
    _deploy(client, "message-throw-job")
    key = _create(client, "message-throw-job", {})

    [notify] = _jobs(client, "notify")
    _complete(client, notify, {"sent": True})
    [done] = _jobs(client, "send-done")
    _complete(client, done, {})

    assert (notify["elementId"], done["elementId"]) == ("notify", "done")
    assert done["variables"] == {"sent": True}
    assert _state(client, key) == "COMPLETED"


def _two_event_sub_processes() -> str:
    return modeler_xml(
        "two-esps",
        message("Msg_Status", "status", "=orderId")
        + message("Msg_Cancel", "cancel", "=orderId")
        + process(
            "two-esps",
            START
            + service("work", "work")
            + END
            + event_sub_process(
                "on-status",
                event_start("status-start", 'message messageRef="Msg_Status"', interrupting=False),
                service("report", "report")
                + end("reported")
                + chain("e", "status-start", "report", "reported"),
            )
            + event_sub_process(
                "on-cancel",
                event_start("cancel-start", 'message messageRef="Msg_Cancel"'),
                end("cancelled") + chain("c", "cancel-start", "cancelled"),
            )
            + chain("f", "start", "work", "end"),
        ),
    )


def test_an_interrupting_event_sub_process_ends_the_rest_of_its_scope() -> None:
    engine = Engine(clock=ManualClock())
    engine.deploy([("two-esps.bpmn", _two_event_sub_processes())])
    key = str(
        engine.create_process_instance(
            process_definition_id="two-esps", variables={"orderId": "o1"}
        )["processInstanceKey"]
    )
    engine.publish_message(name="status", correlation_key="o1")

    engine.publish_message(name="cancel", correlation_key="o1")

    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.visited_element_ids[-2:] == ("cancel-start", "cancelled")
    assert [job.state for job in engine.jobs(process_instance_key=key)] == ["CANCELED"] * 2
    assert len(engine._machine.messages) == 0  # internal: every subscription closed
    with pytest.raises(EngineError) as raised:  # its subscriptions closed with it
        engine.correlate_message(name="status", correlation_key="o1")
    assert raised.value.status == 404


def test_cancelling_an_instance_closes_its_event_sub_processes() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    engine.deploy([("m.bpmn", (MODELS / "esp-message-non-interrupting.bpmn").read_bytes())])
    engine.deploy([("t.bpmn", (MODELS / "esp-timer-cycle-non-interrupting.bpmn").read_bytes())])
    message_key = engine.create_process_instance(
        process_definition_id="esp-message-non-interrupting", variables={"orderId": "o1"}
    )["processInstanceKey"]
    timer_key = engine.create_process_instance(
        process_definition_id="esp-timer-cycle-non-interrupting"
    )["processInstanceKey"]

    opened = (len(engine._machine.messages), len(engine._machine.element_timers))  # internal

    engine.cancel_process_instance(str(message_key))
    engine.cancel_process_instance(str(timer_key))
    clock.advance(600_000)

    assert opened == (1, 1)
    assert (len(engine._machine.messages), len(engine._machine.element_timers)) == (0, 0)

    with pytest.raises(EngineError) as raised:
        engine.correlate_message(name="status", correlation_key="o1")
    assert raised.value.status == 404
    assert engine.jobs(job_type="remind") == []


def test_a_timer_event_sub_process_ends_with_its_sub_process() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    engine.deploy([("t.bpmn", (MODELS / "esp-timer-in-sub-process.bpmn").read_bytes())])
    key = str(
        engine.create_process_instance(process_definition_id="esp-timer-in-sub-process")[
            "processInstanceKey"
        ]
    )
    [slow] = engine.activate_ready_jobs(
        job_type="slow", max_jobs_to_activate=1, timeout_ms=60_000, worker="w"
    )
    engine.complete_job(str(slow["jobKey"]))

    clock.advance(600_000)

    assert engine.jobs(job_type="escalate") == []
    assert engine.process_instance(key).active_element_ids == ("after",)


def _refusal(xml: str) -> str:
    engine = Engine()
    with pytest.raises(EngineError) as raised:
        engine.deploy([("bad.bpmn", modeler_xml("bad", xml))])
    assert raised.value.status == 400
    return raised.value.detail


_ERROR_ESP = event_sub_process(
    "on-error",
    event_start("error-start", 'error errorRef="Error_X"'),
    end("handled") + flow("e1", "error-start", "handled"),
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            process(
                "bad",
                START
                + END
                + event_sub_process("esp", '<bpmn:startEvent id="esp-start" />', end("esp-end"))
                + flow("f1", "start", "end")
                + flow("e1", "esp-start", "esp-end"),
            ),
            "esp-start (bpmn:startEvent)\n    - ERROR: Start events in event subprocesses must "
            "have exactly one event definition",
        ),
        (
            error("Error_X", "X")
            + process(
                "bad",
                START
                + service("work", "work")
                + END
                + _ERROR_ESP
                + flow("f1", "start", "work")
                + flow("f2", "work", "end")
                + flow("f3", "work", "on-error"),
            ),
            "on-error (bpmn:subProcess)\n    - ERROR: An event subprocess must not have any "
            "incoming or outgoing sequence flows",
        ),
        (
            error("Error_X", "X")
            + process(
                "bad",
                START
                + END
                + _ERROR_ESP.replace('id="error-start"', 'id="error-start" isInterrupting="false"')
                + flow("f1", "start", "end"),
            ),
            "error-start (bpmn:startEvent)\n    - ERROR: An error start event must be interrupting",
        ),
        (
            error("Error_X", "X")
            + process(
                "bad",
                START
                + END
                + _ERROR_ESP
                + _ERROR_ESP.replace('"on-error"', '"again"')
                .replace("error-start", "error-start-2")
                .replace("handled", "handled-2")
                .replace('"e1"', '"e2"')
                + flow("f1", "start", "end"),
            ),
            "Multiple error event definitions with the same errorCode 'X'",
        ),
        (
            process(
                "bad",
                START
                + END
                + event_sub_process(
                    "esp",
                    '<bpmn:startEvent id="esp-start"><bpmn:conditionalEventDefinition id="c">'
                    '<bpmn:condition xsi:type="bpmn:tFormalExpression">=x</bpmn:condition>'
                    "</bpmn:conditionalEventDefinition></bpmn:startEvent>",
                    end("esp-end") + flow("e1", "esp-start", "esp-end"),
                )
                + flow("f1", "start", "end"),
            ),
            "esp-start (bpmn:startEvent)\n    - ERROR: start events of event subprocesses with a "
            "conditionalEventDefinition are not supported by this engine",
        ),
        (
            message("Msg", "ping")
            + process(
                "bad",
                START
                + END
                + event_sub_process(
                    "esp",
                    event_start("esp-start", 'message messageRef="Msg"'),
                    end("esp-end") + flow("e1", "esp-start", "esp-end"),
                )
                + flow("f1", "start", "end"),
            ),
            "esp-start (bpmn:startEvent)\n    - ERROR: Must have a correlation key",
        ),
        (
            process(
                "bad",
                START
                + service("pay", "pay")
                + END
                + '<bpmn:boundaryEvent id="undo" attachedToRef="pay">'
                + '<bpmn:compensateEventDefinition id="undo_def" /></bpmn:boundaryEvent>'
                + '<bpmn:serviceTask id="refund" isForCompensation="true"><bpmn:extensionElements>'
                + '<zeebe:taskDefinition type="refund" /></bpmn:extensionElements>'
                + "</bpmn:serviceTask>"
                + chain("f", "start", "pay", "end"),
            ),
            "undo (bpmn:boundaryEvent)\n    - ERROR: compensation events are not supported by "
            "this engine",
        ),
        (
            process(
                "bad",
                START
                + '<bpmn:businessRuleTask id="decide"><bpmn:extensionElements>'
                + '<zeebe:calledDecision decisionId="d" resultVariable="r" />'
                + "</bpmn:extensionElements></bpmn:businessRuleTask>"
                + END
                + chain("f", "start", "decide", "end"),
            ),
            "decide (bpmn:businessRuleTask)\n    - ERROR: a business rule task with "
            "'zeebe:calledDecision' evaluates a DMN decision, and DMN is not supported",
        ),
    ],
    ids=[
        "none-start",
        "flows",
        "error-not-interrupting",
        "same-error-code",
        "conditional",
        "no-correlation-key",
        "compensation",
        "called-decision",
    ],
)
def test_what_is_refused_is_refused_naming_the_element(body: str, expected: str) -> None:
    assert expected in _refusal(body)


def test_a_compensation_handler_is_refused_too() -> None:
    detail = _refusal(
        process(
            "bad",
            START
            + '<bpmn:serviceTask id="refund" isForCompensation="true"><bpmn:extensionElements>'
            + '<zeebe:taskDefinition type="refund" /></bpmn:extensionElements></bpmn:serviceTask>'
            + END
            + chain("f", "start", "refund", "end"),
        )
    )
    assert "refund (bpmn:serviceTask)\n    - ERROR: compensation handlers" in detail


@settings(max_examples=40)
@given(
    courses=st.lists(st.sampled_from(["pasta", "steak", "salad"]), min_size=1, unique=True),
    order=st.randoms(use_true_random=False),
)
def test_an_inclusive_join_fires_once_after_every_branch_taken(
    courses: list[str], order: Any
) -> None:
    engine = Engine(clock=ManualClock())
    engine.deploy([("j.bpmn", (MODELS / "inclusive-join.bpmn").read_bytes())])
    key = str(
        engine.create_process_instance(
            process_definition_id="inclusive-join", variables={"courses": courses}
        )["processInstanceKey"]
    )
    shuffled = list(courses)
    order.shuffle(shuffled)

    states = []
    for course in shuffled:
        [job] = engine.activate_ready_jobs(
            job_type=course, max_jobs_to_activate=1, timeout_ms=60_000, worker="w"
        )
        engine.complete_job(str(job["jobKey"]))
        states.append(engine.process_instance(key).state)

    path = engine.process_instance(key).visited_element_ids
    assert states == ["ACTIVE"] * (len(courses) - 1) + ["COMPLETED"]
    assert path.count("serve") == len(courses)
    assert path.count("end") == 1


def test_branches_reaching_an_inclusive_join_in_one_step_pass_it_once() -> None:
    # Both branches are undefined tasks: their tokens reach the join in the same command.
    xml = modeler_xml(
        "same-step",
        process(
            "same-step",
            START
            + '<bpmn:inclusiveGateway id="pick" name="pick" />'
            + '<bpmn:task id="one" name="one" /><bpmn:task id="two" name="two" />'
            + '<bpmn:inclusiveGateway id="merge" name="merge" />'
            + service("after", "after")
            + END
            + flow("f1", "start", "pick")
            + flow("to-one", "pick", "one", "=true")
            + flow("to-two", "pick", "two", "=true")
            + flow("f2", "one", "merge")
            + flow("f3", "two", "merge")
            + chain("g", "merge", "after", "end"),
        ),
    )
    engine = Engine(clock=ManualClock())
    engine.deploy([("same-step.bpmn", xml)])

    key = str(
        engine.create_process_instance(process_definition_id="same-step")["processInstanceKey"]
    )

    assert engine.process_instance(key).visited_element_ids == (
        "start",
        "pick",
        "one",
        "two",
        "merge",
        "merge",
        "after",
    )
    assert len(engine.jobs(job_type="after")) == 1


def test_a_correlation_key_missing_at_start_is_an_incident_resolving_it_starts_the_instance() -> (
    None
):
    engine = Engine(clock=ManualClock())
    engine.deploy([("m.bpmn", (MODELS / "esp-message-non-interrupting.bpmn").read_bytes())])
    key = str(
        engine.create_process_instance(process_definition_id="esp-message-non-interrupting")[
            "processInstanceKey"
        ]
    )
    [incident] = engine.process_instance(key).incidents
    waiting = engine.jobs(job_type="work")

    engine.set_variables(key, {"orderId": "o1"})
    engine.resolve_incident(incident.key)
    engine.publish_message(name="status", correlation_key="o1")

    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert "orderId" in incident.error_message
    assert waiting == []
    assert len(engine.jobs(job_type="work")) == 1
    assert len(engine.jobs(job_type="report")) == 1
    assert engine.process_instance(key).incidents == ()


def test_a_sub_process_ended_by_its_boundary_event_closes_its_event_sub_processes() -> None:
    xml = modeler_xml(
        "inner-esp",
        message("Msg_Ping", "ping", "=id")
        + process(
            "inner-esp",
            START
            + (
                '<bpmn:subProcess id="outer" name="outer">'
                + start("outer-start")
                + service("work", "work")
                + end("outer-end")
                + chain("s", "outer-start", "work", "outer-end")
                + event_sub_process(
                    "on-ping",
                    event_start("ping-start", 'message messageRef="Msg_Ping"', interrupting=False),
                    service("pong", "pong")
                    + end("ponged")
                    + chain("e", "ping-start", "pong", "ponged"),
                )
                + "</bpmn:subProcess>"
            )
            + '<bpmn:boundaryEvent id="late" name="late" attachedToRef="outer">'
            + '<bpmn:timerEventDefinition id="late_def"><bpmn:timeDuration>PT1H</bpmn:timeDuration>'
            + "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            + END
            + end("gave-up")
            + chain("f", "start", "outer", "end")
            + flow("g1", "late", "gave-up"),
        ),
    )
    clock = ManualClock()
    engine = Engine(clock=clock)
    engine.deploy([("inner-esp.bpmn", xml)])
    key = str(
        engine.create_process_instance(process_definition_id="inner-esp", variables={"id": "a"})[
            "processInstanceKey"
        ]
    )
    engine.publish_message(name="ping", correlation_key="a")
    pong_before = len(engine.jobs(job_type="pong", lifecycle="ACTIVATABLE"))

    clock.advance(3_600_000)

    assert pong_before == 1
    assert engine.process_instance(key).state == "COMPLETED"
    assert engine.process_instance(key).visited_element_ids[-2:] == ("late", "gave-up")
    assert engine.jobs(job_type="pong", lifecycle="ACTIVATABLE") == []
    assert len(engine._machine.messages) == 0  # internal: the subscription closed with its scope


def test_a_boundary_event_on_a_manual_task_is_accepted_and_never_fires() -> None:
    # Zeebe deploys it; the token passes the manual task at once, so the timer is never armed.
    xml = modeler_xml(
        "manual-boundary",
        process(
            "manual-boundary",
            START
            + '<bpmn:manualTask id="sign" name="sign" />'
            + '<bpmn:boundaryEvent id="late" name="late" attachedToRef="sign">'
            + '<bpmn:timerEventDefinition id="late_def"><bpmn:timeDuration>PT1M</bpmn:timeDuration>'
            + "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
            + service("file", "file")
            + END
            + end("too-late")
            + chain("f", "start", "sign", "file", "end")
            + flow("g1", "late", "too-late"),
        ),
    )
    clock = ManualClock()
    engine = Engine(clock=clock)
    engine.deploy([("manual-boundary.bpmn", xml)])
    key = str(
        engine.create_process_instance(process_definition_id="manual-boundary")[
            "processInstanceKey"
        ]
    )

    clock.advance(120_000)

    assert engine.process_instance(key).visited_element_ids == ("start", "sign", "file")
    assert len(engine.jobs(job_type="file")) == 1


_START_DEFINITIONS = {
    "message": 'message messageRef="Msg_Go"',
    "timer": "timer",
    "signal": 'signal signalRef="Sig_Go"',
    "error": 'error errorRef="Error_Go"',
    "escalation": 'escalation escalationRef="Esc_Go"',
}


def _esp_model(kind: str, interrupting: bool, nested: bool) -> str:
    if kind == "none":
        start_event = '<bpmn:startEvent id="go-start" name="go-start" />'
    elif kind == "timer":
        start_event = event_start("go-start", "timer", interrupting=interrupting).replace(
            " /></bpmn:startEvent>",
            "><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:startEvent>",
        )
    else:
        start_event = event_start("go-start", _START_DEFINITIONS[kind], interrupting=interrupting)
    esp = event_sub_process("on-go", start_event, end("went") + flow("e1", "go-start", "went"))
    throw = (
        '<bpmn:endEvent id="fail" name="fail"><bpmn:errorEventDefinition id="fail_def" '
        'errorRef="Error_Go" /></bpmn:endEvent>'
        if kind == "error"
        else '<bpmn:intermediateThrowEvent id="fail" name="fail"><bpmn:escalationEventDefinition '
        'id="fail_def" escalationRef="Esc_Go" /></bpmn:intermediateThrowEvent>'
        if kind == "escalation"
        else service("fail", "fail")
    )
    inner = (
        start("in-start")
        + service("work", "work")
        + throw
        + (
            end("in-end") + chain("s", "in-start", "work", "fail", "in-end")
            if kind != "error"
            else chain("s", "in-start", "work", "fail")
        )
    )
    body = (
        START
        + sub_process("outer", inner + (esp if nested else ""))
        + END
        + chain("f", "start", "outer", "end")
    )
    if not nested:
        body += esp
    return modeler_xml(
        "esp-any",
        message("Msg_Go", "go", "=key")
        + signal("Sig_Go", "go")
        + error("Error_Go", "GO")
        + escalation("Esc_Go", "GO")
        + process("esp-any", body),
    )


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["none", *_START_DEFINITIONS]),
    interrupting=st.booleans(),
    nested=st.booleans(),
)
def test_every_start_event_of_an_event_sub_process_deploys_and_triggers_as_zeebe_says(
    kind: str, interrupting: bool, nested: bool
) -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    xml = _esp_model(kind, interrupting, nested)
    refused = kind == "none" or (kind == "error" and not interrupting)
    if refused:
        with pytest.raises(EngineError) as raised:
            engine.deploy([("esp-any.bpmn", xml)])
        assert "go-start (bpmn:startEvent)" in raised.value.detail
        return
    engine.deploy([("esp-any.bpmn", xml)])
    key = str(
        engine.create_process_instance(process_definition_id="esp-any", variables={"key": "k"})[
            "processInstanceKey"
        ]
    )
    [work] = engine.activate_ready_jobs(
        job_type="work", max_jobs_to_activate=1, timeout_ms=60_000, worker="w"
    )
    if kind == "message":
        engine.publish_message(name="go", correlation_key="k")
    elif kind == "timer":
        clock.advance(60_000)
    elif kind == "signal":
        engine.broadcast_signal(signal_name="go")
    else:
        engine.complete_job(str(work["jobKey"]))  # the error or escalation is thrown next

    view = engine.process_instance(key)
    assert "on-go" in view.visited_element_ids
    assert view.visited_element_ids[view.visited_element_ids.index("on-go") + 1] == "go-start"
    work_active = [job for job in engine.jobs(job_type="work") if job.end_ms is None]
    if kind in ("error", "escalation"):
        assert work_active == []  # completed before it threw
    else:
        assert bool(work_active) != interrupting  # an interrupting one terminated the task
