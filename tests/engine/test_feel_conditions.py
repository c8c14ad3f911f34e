"""Gateway conditions in full FEEL, run by the engine: built-in calls, filters, temporal values
on the engine's clock, and Zeebe's incident messages with the evaluation's warnings."""

from __future__ import annotations

from typing import Any

import pytest

from camunda_worker.engine._runtime.clock import ManualClock
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

from ._bpmn_samples import definitions, flow, process, resource, task


def gateway(*conditions: str) -> str:
    """start -> xor -> one task per condition (job type = "t<index>"), default "other"."""
    body = '<bpmn:startEvent id="start" />\n<bpmn:exclusiveGateway id="xor" default="to-other" />\n'
    body += task("other", "other") + flow("f0", "start", "xor") + flow("to-other", "xor", "other")
    for index, condition in enumerate(conditions):
        body += task(f"t{index}", f"t{index}") + flow(f"to-{index}", "xor", f"t{index}", condition)
    return definitions(process("feel", body))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()  # 2025-01-01T00:00:00Z


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return Engine(clock=clock)


def taken(engine: Engine, xml: str, **variables: Any) -> list[str]:
    engine.deploy(resource(xml))
    created = engine.create_process_instance(process_definition_id="feel", variables=variables)
    key = str(created["processInstanceKey"])
    return sorted(
        job.type
        for job in engine.jobs(process_instance_key=key)
        if job.lifecycle in ("ACTIVATABLE", "ACTIVATED")
    )


@pytest.mark.parametrize(
    ("condition", "variables", "expected"),
    [
        ('= contains(customer, "VIP")', {"customer": "ACME VIP"}, ["t0"]),
        ('= contains(customer, "VIP")', {"customer": "ACME"}, ["other"]),
        ('= list contains(tags, "urgent")', {"tags": ["a", "urgent"]}, ["t0"]),
        (
            "= count(items[price &gt; 10]) &gt;= 2",
            {"items": [{"price": 20}, {"price": 11}]},
            ["t0"],
        ),
        ("= sum(for i in items return i.price) &gt; 30", {"items": [{"price": 20}]}, ["other"]),
        ('= starts with(upper case(code), "EU-")', {"code": "eu-17"}, ["t0"]),
        ("= amount in [100..200]", {"amount": 150.5}, ["t0"]),
        ('= status in ("new", "open")', {"status": "open"}, ["t0"]),
        ("= some x in scores satisfies x &gt; 90", {"scores": [70, 95]}, ["t0"]),
        ("= 0.1 + 0.2 = 0.3", {}, ["t0"]),
        ("= is defined(order) and order.total &gt; 10", {"order": {"total": 11}}, ["t0"]),
        ("= if vip then limit &gt; 0 else false", {"vip": False, "limit": 5}, ["other"]),
    ],
)
def test_conditions_in_full_feel_deploy_and_route(
    engine: Engine, condition: str, variables: dict[str, Any], expected: list[str]
) -> None:
    assert taken(engine, gateway(condition), **variables) == expected


def test_today_and_now_read_the_engine_clock(engine: Engine, clock: ManualClock) -> None:
    xml = gateway(
        '= today() = date("2025-01-01")', '= now() &gt; date and time("2025-01-02T00:00:00Z")'
    )
    assert taken(engine, xml) == ["t0"]
    clock.advance(2 * 86_400_000)  # 2025-01-03
    assert taken(engine, xml) == ["t1"]


def test_a_null_condition_is_an_incident_listing_the_warnings(engine: Engine) -> None:
    xml = gateway('= contains(customer, "VIP")')
    taken(engine, xml)
    [incident] = engine.incidents()
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert incident.error_message == (
        "Expected result of the expression 'contains(customer, \"VIP\")' to be 'BOOLEAN', "
        "but was 'NULL'. The evaluation reported the following warnings:\n"
        "[NO_VARIABLE_FOUND] No variable found with name 'customer'\n"
        "[FUNCTION_INVOCATION_FAILURE] Failed to invoke function 'contains': "
        "Illegal arguments: 'null', '\"VIP\"'"
    )


def test_a_condition_feel_cannot_parse_still_refuses_the_deployment(engine: Engine) -> None:
    with pytest.raises(EngineError) as raised:
        engine.deploy(resource(gateway("= contains(customer, ")))
    assert raised.value.status == 400
    assert "cannot be parsed" in raised.value.detail
