"""Multi-instance activities: body and inner instances, counts, incidents, termination, parsing.

Shown in-process (the ``Engine`` API) and over the REST API (in-process and over TCP); the
parsing of ``zeebe:loopCharacteristics`` and the collection of outputs are property-tested.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import (
    Engine,
    EngineApp,
    EngineError,
    EngineServer,
    InProcessTransport,
    ManualClock,
)
from camunda_worker.engine._model.bpmn import BpmnValidationError, parse_bpmn

from .conftest import BASE_URL
from .models.corpus import chain, end, error, loop, looped_service, process, start
from .models.modeler import modeler_xml


def _bpmn(name: str, body: str) -> bytes:
    return modeler_xml(name, body).encode()


def _one(activity: str, *, extra: str = "") -> bytes:
    body = process(
        "p",
        start("start") + activity + end("end") + chain("f", "start", "work", "end") + extra,
    )
    return _bpmn("p", body)


def _activate(engine: Engine, job_type: str = "work", count: int = 10) -> list[dict[str, Any]]:
    return engine.activate_ready_jobs(
        job_type=job_type, max_jobs_to_activate=count, timeout_ms=60_000, worker="t"
    )


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


def test_parallel_inner_instances_as_jobs_over_http(http: httpx.Client) -> None:
    activity = looped_service(
        "work", "work", loop("=items", element="item", output=("results", "=result"))
    )
    files = {"resources": ("p.bpmn", _one(activity), "application/xml")}
    assert http.post("/deployments", files=files).status_code == 200
    created = http.post(
        "/process-instances", json={"processDefinitionId": "p", "variables": {"items": [3, 1, 2]}}
    ).json()
    activation = {"type": "work", "maxJobsToActivate": 10, "timeout": 30_000, "requestTimeout": -1}
    jobs = http.post("/jobs/activation", json=activation).json()["jobs"]
    assert [(job["variables"]["item"], job["variables"]["loopCounter"]) for job in jobs] == [
        (3, 1),
        (1, 2),
        (2, 3),
    ]
    assert len({job["elementInstanceKey"] for job in jobs}) == 3
    for job in reversed(jobs):  # completion order does not change the collection's order
        result = {"variables": {"result": job["variables"]["item"] * 10}}
        assert http.post(f"/jobs/{job['jobKey']}/completion", json=result).status_code == 204
    instance = http.get(f"/process-instances/{created['processInstanceKey']}").json()
    assert instance["state"] == "COMPLETED"
    search = http.post(
        "/process-instances/search",
        json={"filter": {"processInstanceKey": created["processInstanceKey"]}},
    )
    assert search.json()["items"][0]["state"] == "COMPLETED"


@pytest.mark.parametrize(
    ("condition", "completed_by"),
    [
        ("= numberOfCompletedInstances = 1", 1),
        ("= numberOfActiveInstances = 1", 2),
        ("= numberOfInstances = 3 and numberOfTerminatedInstances = 0 and result", 3),
        ("= loopCounter = 2", 2),
    ],
)
def test_the_completion_condition_sees_zeebes_counts(condition: str, completed_by: int) -> None:
    # Three parallel inner instances, completed in order with result = (loopCounter = 3).
    engine = Engine()
    characteristics = loop("=[1, 2, 3]", element="item", condition=condition)
    engine.deploy([("p.bpmn", _one(looped_service("work", "work", characteristics)))])
    created = engine.create_process_instance(process_definition_id="p")
    key = str(created["processInstanceKey"])
    jobs = _activate(engine)
    for done, job in enumerate(jobs, 1):
        engine.complete_job(str(job["jobKey"]), {"result": done == 3})
        if engine.process_instance(key).state == "COMPLETED":
            break
    assert done == completed_by
    assert engine.jobs(job_type="work", lifecycle="ACTIVATABLE") == []
    assert [job.state for job in engine.jobs(job_type="work")].count("CANCELED") == 3 - done


def test_a_collection_that_is_no_list_is_an_incident_until_it_is_one() -> None:
    engine = Engine()
    engine.deploy([("p.bpmn", _one(looped_service("work", "work", loop("=order.items"))))])
    created = engine.create_process_instance(
        process_definition_id="p", variables={"order": {"items": "pen"}}
    )
    key = str(created["processInstanceKey"])
    [incident] = engine.process_instance(key).incidents
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert incident.error_message == (
        "Expected result of the expression 'order.items' to be 'ARRAY', but was 'STRING'."
    )
    engine.set_variables(key, {"order": {"items": ["pen", "ink"]}})
    engine.resolve_incident(incident.key)
    assert len(_activate(engine)) == 2


def test_a_failing_completion_condition_holds_the_body_until_resolved() -> None:
    engine = Engine()
    characteristics = loop("=[1, 2]", condition="= enough")
    engine.deploy([("p.bpmn", _one(looped_service("work", "work", characteristics)))])
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    first, _second = _activate(engine)
    engine.complete_job(str(first["jobKey"]), {})
    [incident] = engine.process_instance(key).incidents
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert "to be 'BOOLEAN', but was 'NULL'" in incident.error_message
    engine.set_variables(key, {"enough": True})
    engine.resolve_incident(incident.key)
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.incidents == ()
    assert engine.jobs(job_type="work", lifecycle="ACTIVATABLE") == []


def test_an_error_thrown_by_an_inner_instance_is_caught_on_the_body() -> None:
    engine = Engine()
    boundary = (
        '<bpmn:boundaryEvent id="caught" attachedToRef="work">'
        '<bpmn:errorEventDefinition errorRef="e" /></bpmn:boundaryEvent>'
        + end("failed")
        + chain("g", "caught", "failed")
    )
    model = error("e", "BAD") + process(
        "p",
        start("start")
        + looped_service("work", "work", loop("=[1, 2, 3]"))
        + end("end")
        + chain("f", "start", "work", "end")
        + boundary,
    )
    engine.deploy([("p.bpmn", _bpmn("p", model))])
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    jobs = _activate(engine)
    engine.throw_job_error(str(jobs[1]["jobKey"]), error_code="BAD")
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.visited_element_ids[-2:] == ("caught", "failed")
    assert engine.jobs(job_type="work", lifecycle="ACTIVATABLE") == []
    assert sorted(job.state for job in engine.jobs(job_type="work")) == [
        "CANCELED",
        "CANCELED",
        "ERROR_THROWN",
    ]


def test_cancelling_the_instance_cancels_every_inner_job() -> None:
    engine = Engine()
    engine.deploy([("p.bpmn", _one(looped_service("work", "work", loop("=[1, 2]"))))])
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    engine.cancel_process_instance(key)
    assert [job.state for job in engine.jobs(job_type="work")] == ["CANCELED", "CANCELED"]


def test_a_non_interrupting_timer_on_the_body_fires_while_inner_instances_run() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    boundary = (
        '<bpmn:boundaryEvent id="nudge" cancelActivity="false" attachedToRef="work">'
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>"
        '<bpmn:serviceTask id="remind"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="remind" /></bpmn:extensionElements></bpmn:serviceTask>'
        + end("reminded")
        + chain("g", "nudge", "remind", "reminded")
    )
    characteristics = loop("=[1, 2]", sequential=True)
    engine.deploy(
        [("p.bpmn", _one(looped_service("work", "work", characteristics), extra=boundary))]
    )
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    clock.advance(60_000)
    assert len(_activate(engine, "remind")) == 1
    for _ in range(2):
        [job] = _activate(engine)
        engine.complete_job(str(job["jobKey"]), {})
    assert engine.process_instance(key).active_element_ids == ("remind",)


@pytest.mark.parametrize(
    ("characteristics", "message"),
    [
        (
            "<bpmn:multiInstanceLoopCharacteristics />",
            "Must have exactly one 'zeebe:loopCharacteristics' extension element",
        ),
        (
            loop("items"),
            "Expected expression but found static value 'items'. An expression must start with "
            "'=' (e.g. '=items').",
        ),
        (
            loop("=items", output=("results", "result")),
            "Expected expression but found static value 'result'.",
        ),
        (loop(""), "Attribute 'inputCollection' must be present and not empty"),
        (
            loop("=items", element="a.b"),
            "Attribute 'inputElement' must be a variable name, but was 'a.b'",
        ),
        (
            loop("=items").replace(
                'inputCollection="=items"', 'inputCollection="=items" outputCollection="r"'
            ),
            "Attribute 'outputElement' must be present if the attribute 'outputCollection' is set",
        ),
        (
            loop("=items", condition="numberOfCompletedInstances &gt; 1"),
            "Expected expression but found static value",
        ),
        (
            "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3"
            "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
            "'bpmn:loopCardinality' is not supported",
        ),
    ],
)
def test_loop_characteristics_zeebe_refuses_are_refused(characteristics: str, message: str) -> None:
    with pytest.raises(EngineError) as raised:
        Engine().deploy([("p.bpmn", _one(looped_service("work", "work", characteristics)))])
    assert "Element: work (bpmn:serviceTask)" in raised.value.detail
    assert message in raised.value.detail


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,8}", fullmatch=True)
_JUNK = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=8
).filter(lambda text: bool(text.strip()))


@given(name=st.one_of(_NAMES, _JUNK), sequential=st.booleans())
def test_an_input_element_parses_only_as_a_variable_name(name: str, sequential: bool) -> None:
    from xml.sax.saxutils import quoteattr

    characteristics = loop("=items", sequential=sequential).replace(
        'inputCollection="=items"', f'inputCollection="=items" inputElement={quoteattr(name)}'
    )
    xml = _one(looped_service("work", "work", characteristics))
    plain = name.strip()
    valid = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", plain) is not None  # Zeebe's, no dots
    if not valid:
        with pytest.raises(BpmnValidationError, match="inputElement"):
            parse_bpmn("p.bpmn", xml)
        return
    [model] = parse_bpmn("p.bpmn", xml)
    node_loop = model.nodes["work"].loop
    assert node_loop is not None
    assert node_loop.input_element == plain
    assert node_loop.sequential is sequential


_ITEMS = st.lists(
    st.one_of(st.integers(-5, 5), st.text(max_size=3), st.booleans(), st.none()), max_size=6
)


@given(items=_ITEMS, sequential=st.booleans())
def test_the_output_collection_keeps_the_input_order(items: list[Any], sequential: bool) -> None:
    engine = Engine()
    script = (
        '<bpmn:scriptTask id="work"><bpmn:extensionElements>'
        '<zeebe:script expression="=[loopCounter, item]" resultVariable="pair" />'
        "</bpmn:extensionElements>"
        + loop("=items", element="item", output=("pairs", "=pair"), sequential=sequential)
        + "</bpmn:scriptTask>"
    )
    engine.deploy([("p.bpmn", _one(script))])
    created = engine.create_process_instance(process_definition_id="p", variables={"items": items})
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert view.state == "COMPLETED"
    assert dict(view.variables) == {
        "items": items,
        "pairs": [[index, item] for index, item in enumerate(items, 1)],
    }
    assert view.visited_element_ids.count("work") == 1 + len(items)


def test_an_inner_instance_whose_input_mapping_fails_keeps_its_item() -> None:
    engine = Engine()
    mapping = (
        '<zeebe:ioMapping><zeebe:input source="=assert(ok, ok != null)" target="checked" />'
        "</zeebe:ioMapping>"
    )
    characteristics = loop("=[10, 20]", element="item")
    engine.deploy(
        [("p.bpmn", _one(looped_service("work", "work", characteristics, extra=mapping)))]
    )
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    incidents = engine.process_instance(key).incidents
    assert [incident.error_type for incident in incidents] == ["IO_MAPPING_ERROR"] * 2
    engine.set_variables(key, {"ok": True})
    for incident in incidents:
        engine.resolve_incident(incident.key)
    jobs = _activate(engine)
    assert sorted((job["variables"]["loopCounter"], job["variables"]["item"]) for job in jobs) == [
        (1, 10),
        (2, 20),
    ]
    for job in jobs:
        engine.complete_job(str(job["jobKey"]), {})
    assert engine.process_instance(key).state == "COMPLETED"


def test_parallel_inner_instances_that_complete_at_once_count_their_siblings() -> None:
    # Zeebe activates all three before the first completes: it sees 3 instances, 2 active.
    engine = Engine()
    script = (
        '<bpmn:scriptTask id="work"><bpmn:extensionElements>'
        '<zeebe:script expression="=item * 2" resultVariable="doubled" />'
        "</bpmn:extensionElements>"
        + loop(
            "=[1, 2, 3]",
            element="item",
            output=("doubles", "=doubled"),
            condition="= numberOfInstances = 3 and numberOfActiveInstances = 2",
        )
        + "</bpmn:scriptTask>"
    )
    engine.deploy([("p.bpmn", _one(script))])
    created = engine.create_process_instance(process_definition_id="p")
    view = engine.process_instance(str(created["processInstanceKey"]))
    assert view.state == "COMPLETED"
    assert dict(view.variables) == {"doubles": [2, None, None]}


def test_an_inner_instance_entered_again_after_an_incident_keeps_its_item() -> None:
    # The output mapping fails on completion: resolving enters the inner instance again.
    engine = Engine()
    mapping = (
        '<zeebe:ioMapping><zeebe:output source="=assert(ok, ok != null)" target="checked" />'
        "</zeebe:ioMapping>"
    )
    characteristics = loop("=[10, 20]", element="item", sequential=True)
    engine.deploy(
        [("p.bpmn", _one(looped_service("work", "work", characteristics, extra=mapping)))]
    )
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    [job] = _activate(engine)
    engine.complete_job(str(job["jobKey"]), {})
    [incident] = engine.process_instance(key).incidents
    assert incident.error_type == "IO_MAPPING_ERROR"
    engine.set_variables(key, {"ok": True})
    engine.resolve_incident(incident.key)
    [again] = _activate(engine)
    assert (again["variables"]["loopCounter"], again["variables"]["item"]) == (1, 10)
    engine.complete_job(str(again["jobKey"]), {})
    [last] = _activate(engine)
    assert (last["variables"]["loopCounter"], last["variables"]["item"]) == (2, 20)
    engine.complete_job(str(last["jobKey"]), {})
    assert engine.process_instance(key).state == "COMPLETED"


def test_a_sequential_body_reads_its_collection_again_before_each_next_item() -> None:
    engine = Engine()
    characteristics = loop("=queue", element="item", output=("seen", "=item"), sequential=True)
    engine.deploy([("p.bpmn", _one(looped_service("work", "work", characteristics)))])
    key = str(
        engine.create_process_instance(process_definition_id="p", variables={"queue": ["a"]})[
            "processInstanceKey"
        ]
    )
    [job] = _activate(engine)
    engine.complete_job(str(job["jobKey"]), {"queue": ["a", "b"]})  # the first adds an item
    [job] = _activate(engine)
    assert job["variables"]["item"] == "b"
    engine.complete_job(str(job["jobKey"]), {})
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert dict(view.variables) == {"queue": ["a", "b"], "seen": ["a", "b"]}


def test_an_output_element_path_keeps_each_result_in_its_inner_instance() -> None:
    # ``=answer.text``: ``answer`` starts as a local null of each inner instance, so parallel
    # results do not overwrite each other in the process scope.
    engine = Engine()
    characteristics = loop("=[1, 2]", output=("texts", "=answer.text"))
    engine.deploy([("p.bpmn", _one(looped_service("work", "work", characteristics)))])
    key = str(engine.create_process_instance(process_definition_id="p")["processInstanceKey"])
    first, second = _activate(engine)
    engine.complete_job(str(first["jobKey"]), {"answer": {"text": "one"}})
    engine.complete_job(str(second["jobKey"]), {"answer": {"text": "two"}})
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert dict(view.variables) == {"texts": ["one", "two"]}
