"""Process instances: creation, gateways, parallel joins, error boundary events, incidents,
cancellation, awaiting completion, search, messages."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from camunda_worker.engine._runtime.clock import ManualClock
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

from ._bpmn_samples import (
    BOUNDARY,
    BOUNDARY_BY_CODE_ONLY,
    GATEWAY,
    GATEWAY_NO_DEFAULT,
    MINIMAL,
    NO_WAIT,
    PARALLEL,
    definitions,
    flow,
    process,
    resource,
    task,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return Engine(clock=clock)


@contextlib.contextmanager
def refused(status: int, title: str, detail: str | None = None) -> Iterator[None]:
    with pytest.raises(EngineError) as raised:
        yield
    assert (raised.value.status, raised.value.title) == (status, title)
    if detail is not None:
        assert re.search(detail, raised.value.detail), raised.value.detail


def start(engine: Engine, xml: str, process_id: str, **variables: Any) -> str:
    engine.deploy(resource(xml))
    created = engine.create_process_instance(process_definition_id=process_id, variables=variables)
    return str(created["processInstanceKey"])


def waiting_types(engine: Engine, instance_key: str) -> list[str]:
    return sorted(
        job.type
        for job in engine.jobs(process_instance_key=instance_key)
        if job.lifecycle in ("ACTIVATABLE", "ACTIVATED")
    )


def complete(engine: Engine, job_type: str, variables: dict[str, Any] | None = None) -> None:
    [job] = [job for job in engine.jobs(job_type=job_type) if job.lifecycle == "ACTIVATABLE"]
    engine.complete_job(job.key, variables)


def test_a_process_without_wait_states_completes_at_creation(engine: Engine) -> None:
    key = start(engine, NO_WAIT, "instant", a=1)
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.variables == {"a": 1}
    assert view.end_ms == view.start_ms
    result = engine.get_process_instance(key)
    assert result["state"] == "COMPLETED"
    assert result["endDate"] is not None
    assert engine.stats().process_instances_completed == 1


def test_creation_answers_with_the_definition_and_variables(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    created = engine.create_process_instance(
        process_definition_id="minimal", variables={"order": {"id": 1}}
    )
    assert created["processDefinitionId"] == "minimal"
    assert created["processDefinitionVersion"] == 1
    assert created["variables"] == {"order": {"id": 1}}
    assert created["tenantId"] == "<default>"
    view = engine.process_instance(created["processInstanceKey"])
    assert view.state == "ACTIVE"
    assert view.active_element_ids == ("work",)


def test_instances_start_from_the_latest_a_given_version_or_a_key(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    second = engine.deploy(resource(MINIMAL.replace('name="work"', 'name="v2"')))
    v2_key = second["deployments"][0]["processDefinition"]["processDefinitionKey"]
    latest = engine.create_process_instance(process_definition_id="minimal")
    first = engine.create_process_instance(process_definition_id="minimal", version=1)
    by_key = engine.create_process_instance(process_definition_key=v2_key)
    assert latest["processDefinitionVersion"] == 2
    assert first["processDefinitionVersion"] == 1
    assert by_key["processDefinitionVersion"] == 2
    assert by_key["processDefinitionKey"] == v2_key


def test_unknown_processes_are_not_found(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    with refused(404, "NOT_FOUND", "process ID 'nope', but none found"):
        engine.create_process_instance(process_definition_id="nope")
    with refused(404, "NOT_FOUND", "process ID 'minimal' and version '9', but none found"):
        engine.create_process_instance(process_definition_id="minimal", version=9)
    with refused(404, "NOT_FOUND", "key '42', but none found"):
        engine.create_process_instance(process_definition_key="42")
    with refused(404, "NOT_FOUND", "process ID 'minimal'"):
        engine.create_process_instance(process_definition_id="minimal", tenant_id="other")
    with refused(400, "INVALID_ARGUMENT", "Exactly one of"):
        engine.create_process_instance()
    with refused(400, "INVALID_ARGUMENT", "Exactly one of"):
        engine.create_process_instance(process_definition_id="minimal", process_definition_key="1")
    with refused(404, "NOT_FOUND", "Process instance with key '42' not found"):
        engine.get_process_instance("42")
    with refused(404, "NOT_FOUND"):
        engine.process_instance("42")


@pytest.mark.parametrize(
    ("variables", "path"),
    [
        ({"amount": 150, "status": "ok"}, "review"),  # first matching flow in document order
        ({"amount": 50, "status": "ok"}, "ship"),
        ({"amount": 50, "status": "pending"}, "hold"),  # the default flow
        ({"status": "ok"}, "EXTRACT_VALUE_ERROR"),  # null > 100 is null: an incident
    ],
)
def test_an_exclusive_gateway_takes_the_first_true_flow_or_the_default(
    engine: Engine, variables: dict[str, Any], path: str
) -> None:
    key = start(engine, GATEWAY, "routing", **variables)
    if path == "EXTRACT_VALUE_ERROR":
        [incident] = engine.incidents(process_instance_key=key)
        assert incident.error_type == path
        assert incident.element_id == "decide"
        # Zeebe's message lists the evaluation's warnings after the type mismatch.
        assert incident.error_message == (
            "Expected result of the expression 'amount > 100' to be 'BOOLEAN', but was 'NULL'."
            " The evaluation reported the following warnings:\n"
            "[NO_VARIABLE_FOUND] No variable found with name 'amount'\n"
            "[NOT_COMPARABLE] Can't compare 'null' with '100'"
        )
        return
    assert waiting_types(engine, key) == [path]
    complete(engine, path)
    assert engine.process_instance(key).state == "COMPLETED"


def test_no_matching_flow_without_default_is_a_condition_incident_until_resolved(
    engine: Engine,
) -> None:
    key = start(engine, GATEWAY_NO_DEFAULT, "strict-routing", amount=50)
    [incident] = engine.incidents()
    assert incident.error_type == "CONDITION_ERROR"
    assert incident.error_message == (
        "Expected at least one condition to evaluate to true, or to have a default flow"
    )
    view = engine.process_instance(key)
    assert view.active_element_ids == ("decide",)
    assert view.incidents == (incident,)
    assert engine.get_process_instance(key)["hasIncident"] is True
    engine.set_variables(key, {"amount": 500})
    engine.resolve_incident(incident.key)
    assert waiting_types(engine, key) == ["big"]
    assert engine.get_process_instance(key)["hasIncident"] is False


def test_a_parallel_join_waits_for_every_incoming_flow(engine: Engine) -> None:
    key = start(engine, PARALLEL, "fulfilment")
    assert waiting_types(engine, key) == ["bill", "pack"]
    complete(engine, "pack", {"parcel": "P1"})
    assert waiting_types(engine, key) == ["bill"]
    assert engine.process_instance(key).state == "ACTIVE"
    complete(engine, "bill", {"invoice": "I1"})
    assert waiting_types(engine, key) == ["ship"]
    complete(engine, "ship")
    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.variables == {"parcel": "P1", "invoice": "I1"}


def test_a_task_with_two_outgoing_flows_forks_and_a_task_without_any_ends(engine: Engine) -> None:
    xml = definitions(
        process(
            "forking",
            '<bpmn:startEvent id="s" />'
            + task("a", "a")
            + task("b", "b")
            + task("c", "c")
            + flow("f0", "s", "a")
            + flow("f1", "a", "b")
            + flow("f2", "a", "c"),
        )
    )
    key = start(engine, xml, "forking")
    complete(engine, "a")
    assert waiting_types(engine, key) == ["b", "c"]
    complete(engine, "b")
    complete(engine, "c")
    assert engine.process_instance(key).state == "COMPLETED"


@pytest.mark.parametrize(("code", "path"), [("NO_FUNDS", "notify"), ("FRAUD", "escalate")])
def test_a_bpmn_error_takes_the_matching_boundary_event_or_the_catch_all(
    engine: Engine, code: str, path: str
) -> None:
    key = start(engine, BOUNDARY, "payment", amount=10)
    [job] = engine.jobs(job_type="pay")
    engine.throw_job_error(job.key, error_code=code, error_message="declined", variables={"why": 1})
    assert waiting_types(engine, key) == [path]
    assert engine.incidents() == []
    [view] = engine.jobs(job_type="pay")
    assert (view.state, view.lifecycle, view.error_code) == ("ERROR_THROWN", "ERROR_THROWN", code)
    assert view.end_ms is not None
    with refused(404, "NOT_FOUND"):
        engine.complete_job(job.key)
    # Zeebe: the error's variables are the catch event's; without output mappings they propagate.
    assert engine.process_instance(key).variables == {"amount": 10, "why": 1}
    complete(engine, path)
    assert engine.process_instance(key).state == "COMPLETED"


def test_an_uncaught_bpmn_error_is_an_incident_and_resolving_retries_the_job(
    engine: Engine,
) -> None:
    key = start(engine, BOUNDARY_BY_CODE_ONLY, "payment-strict")
    [job] = engine.jobs(job_type="pay")
    engine.throw_job_error(job.key, error_code="FRAUD")
    [incident] = engine.incidents(process_instance_key=key)
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    assert incident.element_id == "pay"
    assert incident.job_key == job.key
    engine.resolve_incident(incident.key)
    engine.complete_job(job.key)
    assert engine.process_instance(key).state == "COMPLETED"


def test_cancelling_an_instance_cancels_its_jobs_and_resolves_its_incidents(
    engine: Engine,
) -> None:
    key = start(engine, PARALLEL, "fulfilment")
    pack = engine.jobs(job_type="pack")[0].key
    engine.fail_job(pack, retries=0)
    engine.cancel_process_instance(key)
    view = engine.process_instance(key)
    assert view.state == "TERMINATED"
    assert view.active_element_ids == ()
    assert {job.state for job in engine.jobs(process_instance_key=key)} == {"CANCELED"}
    assert engine.incidents() == []
    with refused(404, "NOT_FOUND", "no such process was found"):
        engine.cancel_process_instance(key)
    with refused(404, "NOT_FOUND"):
        engine.complete_job(engine.jobs(job_type="bill")[0].key)
    with refused(404, "NOT_FOUND"):
        engine.set_variables(key, {"a": 1})


def test_an_endless_loop_without_wait_state_becomes_an_incident(engine: Engine) -> None:
    xml = definitions(
        process(
            "loop",
            '<bpmn:startEvent id="s" /><bpmn:exclusiveGateway id="again" />'
            + flow("f0", "s", "again")
            + flow("f1", "again", "again", "=true"),
        )
    )
    start(engine, xml, "loop")
    [incident] = engine.incidents()
    assert incident.error_type == "UNKNOWN"
    assert "endless loop" in incident.error_message


@pytest.mark.asyncio
async def test_awaiting_an_instance_returns_its_final_variables(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    created = engine.create_process_instance(process_definition_id="minimal", variables={"a": 1})
    key = created["processInstanceKey"]
    waiting = asyncio.create_task(
        engine.await_process_instance(key, timeout_ms=5_000, fetch_variables=["b"])
    )
    await asyncio.sleep(0)
    complete(engine, "work", {"b": 2, "c": 3})
    result = await asyncio.wait_for(waiting, 5)
    assert result["processInstanceKey"] == key
    assert result["variables"] == {"b": 2}
    again = await engine.await_process_instance(key, timeout_ms=1)
    assert again["variables"] == {"a": 1, "b": 2, "c": 3}


@pytest.mark.asyncio
async def test_awaiting_times_out_with_deadline_exceeded(engine: Engine) -> None:
    key = start(engine, MINIMAL, "minimal")
    with refused(504, "DEADLINE_EXCEEDED", "did not complete within 20 ms"):
        await engine.await_process_instance(key, timeout_ms=20)


@pytest.mark.asyncio
async def test_awaiting_a_terminated_unknown_or_closing_instance_is_refused(engine: Engine) -> None:
    key = start(engine, MINIMAL, "minimal")
    engine.cancel_process_instance(key)
    # A cluster sends no result for a terminated instance: the wait times out.
    with refused(504, "DEADLINE_EXCEEDED", "did not complete"):
        await engine.await_process_instance(key, timeout_ms=20)
    with refused(404, "NOT_FOUND"):
        await engine.await_process_instance("42", timeout_ms=1_000)
    other = engine.create_process_instance(process_definition_id="minimal")["processInstanceKey"]
    waiting = asyncio.create_task(engine.await_process_instance(other, timeout_ms=10_000))
    await asyncio.sleep(0)
    engine.close()
    with refused(503, "UNAVAILABLE"):
        await asyncio.wait_for(waiting, 5)


def test_search_finds_instances_by_state_and_process(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    engine.deploy(resource(NO_WAIT))
    active = engine.create_process_instance(process_definition_id="minimal")["processInstanceKey"]
    done = engine.create_process_instance(process_definition_id="instant")["processInstanceKey"]
    result = engine.search_process_instances({"state": "ACTIVE"})
    assert [item["processInstanceKey"] for item in result["items"]] == [active]
    result = engine.search_process_instances({"processDefinitionId": "instant"})
    assert [item["processInstanceKey"] for item in result["items"]] == [done]
    assert engine.search_process_instances()["page"]["totalItems"] == 2
    assert [view.key for view in engine.process_instances(state="COMPLETED")] == [done]
    assert [view.key for view in engine.process_instances(process_definition_id="minimal")] == [
        active
    ]


def test_messages_get_keys_and_ids_are_unique_while_they_live(
    engine: Engine, clock: ManualClock
) -> None:
    first = engine.publish_message(
        name="paid", correlation_key="o-1", message_id="m-1", time_to_live_ms=1_000
    )
    assert first["messageKey"].isdigit()
    assert first["tenantId"] == "<default>"
    with refused(409, "ALREADY_EXISTS", "message with id 'm-1'"):
        engine.publish_message(name="paid", message_id="m-1", time_to_live_ms=1_000)
    engine.publish_message(name="paid", message_id="m-1", tenant_id="other")
    clock.advance(1_000)
    engine.publish_message(name="paid", message_id="m-1", time_to_live_ms=1_000)
    engine.publish_message(name="paid", message_id="no-ttl")
    engine.publish_message(name="paid", message_id="no-ttl")
    with refused(400, "INVALID_ARGUMENT", "No name provided"):
        engine.publish_message(name=" ")


def test_topology_describes_one_broker(engine: Engine) -> None:
    topology = engine.topology()
    assert topology["clusterSize"] == 1
    assert topology["brokers"][0]["partitions"][0]["role"] == "leader"
    assert topology["gatewayVersion"] == "8.9.0"


def test_engine_options_are_checked() -> None:
    with pytest.raises(ValueError, match="server_line"):
        Engine(server_line="7.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="retention"):
        Engine(retention=-1)
    with pytest.raises(ValueError, match="default_request_timeout_ms"):
        Engine(default_request_timeout_ms=0)
    engine = Engine(server_line="8.8")
    assert engine.server_line == "8.8"
    engine.server_line = "8.9"
    assert engine.topology()["gatewayVersion"] == "8.9.0"
    assert "8.9" in repr(engine)
