"""Message correlation: cardinality, buffering, start events per correlation key, HTTP.

The corpus (``test_models.py``) runs the message models to their end states; these tests cover
Zeebe's correlation rules across instances and the refusals.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from camunda_worker.engine import Engine, EngineApp, InProcessTransport, ManualClock
from camunda_worker.engine._runtime.errors import EngineError

from .models.corpus import MODELS
from .models.modeler import modeler_xml


def _engine(*models: str) -> Engine:
    engine = Engine(clock=ManualClock())
    for name in models:
        engine.deploy([(f"{name}.bpmn", modeler_xml(name, MODELS[name]).encode())])
    return engine


def _waiting(engine: Engine, element_id: str) -> list[str]:
    return [
        view.key for view in engine.process_instances() if element_id in view.active_element_ids
    ]


def test_a_message_reaches_one_subscription_per_process() -> None:
    engine = _engine("message-catch")
    for _ in range(2):
        engine.create_process_instance(
            process_definition_id="message-catch", variables={"orderId": "same"}
        )
    engine.publish_message(name="payment-received", correlation_key="same")
    assert len(_waiting(engine, "paid")) == 1  # the oldest subscription took it
    engine.publish_message(name="payment-received", correlation_key="same")
    assert _waiting(engine, "paid") == []


def test_a_buffered_message_reaches_a_process_once() -> None:
    engine = _engine("message-catch")
    engine.publish_message(name="payment-received", correlation_key="k", time_to_live_ms=60_000)
    for _ in range(2):
        engine.create_process_instance(
            process_definition_id="message-catch", variables={"orderId": "k"}
        )
    assert len(_waiting(engine, "paid")) == 1
    assert len(engine.jobs(job_type="ship")) == 1


def test_a_message_start_event_starts_one_active_instance_per_correlation_key() -> None:
    engine = _engine("message-start")
    for key in ("a", "a", "b"):
        engine.publish_message(name="order-placed", correlation_key=key, variables={"k": key})
    assert sorted(view.variables["k"] for view in engine.process_instances()) == ["a", "b"]
    [job] = [job for job in engine.jobs() if job.variables["k"] == "a"]
    engine.complete_job(job.key)  # that instance ends: the key is free again
    engine.publish_message(name="order-placed", correlation_key="a", variables={"k": "a"})
    assert sorted(view.variables["k"] for view in engine.process_instances()) == ["a", "a", "b"]


def test_without_a_correlation_key_every_message_starts_an_instance() -> None:
    engine = _engine("message-start")
    for _ in range(3):
        engine.publish_message(name="order-placed")
    assert len(engine.process_instances()) == 3


@given(st.integers(-(10**12), 10**12))
def test_a_numeric_correlation_key_matches_its_decimal_text(number: int) -> None:
    engine = _engine("message-catch")
    engine.create_process_instance(
        process_definition_id="message-catch", variables={"orderId": number}
    )
    engine.publish_message(name="payment-received", correlation_key=str(number))
    assert _waiting(engine, "paid") == []


def test_a_correlation_key_that_is_no_string_or_number_is_an_incident() -> None:
    engine = _engine("message-catch")
    created = engine.create_process_instance(process_definition_id="message-catch")
    [incident] = engine.incidents()
    assert (incident.error_type, incident.element_id) == ("EXTRACT_VALUE_ERROR", "paid")
    assert "must be either a string or a number, but was 'NULL'" in incident.error_message
    key = str(created["processInstanceKey"])
    engine.set_variables(key, {"orderId": "o-1"})
    engine.resolve_incident(incident.key)
    engine.publish_message(name="payment-received", correlation_key="o-1")
    assert engine.process_instance(key).active_element_ids == ("ship",)


def test_a_cancelled_instance_closes_its_subscriptions() -> None:
    engine = _engine("message-catch")
    created = engine.create_process_instance(
        process_definition_id="message-catch", variables={"orderId": "x"}
    )
    assert len(engine._machine.messages) == 1  # internal: the open subscription
    engine.cancel_process_instance(str(created["processInstanceKey"]))
    assert len(engine._machine.messages) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" />'
            '<bpmn:receiveTask id="r" /><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="r" />'
            "</bpmn:process>",
            "Must reference a message",
        ),
        (
            '<bpmn:message id="M" name="m" /><bpmn:process id="p" isExecutable="true">'
            '<bpmn:startEvent id="s" /><bpmn:receiveTask id="r" messageRef="M" />'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="r" /></bpmn:process>',
            "Must have a correlation key",
        ),
    ],
)
def test_message_elements_without_message_or_key_are_refused(body: str, message: str) -> None:
    engine = Engine(clock=ManualClock())
    with pytest.raises(EngineError) as raised:
        engine.deploy([("p.bpmn", modeler_xml("p", body).encode())])
    assert raised.value.status == 400
    assert "r (bpmn:receiveTask)" in raised.value.detail
    assert message in raised.value.detail


def test_a_message_published_over_http_completes_the_receive_task() -> None:
    app = EngineApp(record=False)
    with httpx.Client(
        transport=InProcessTransport(app), base_url="http://engine.test/v2"
    ) as client:
        xml = modeler_xml("receive-task", MODELS["receive-task"])
        deployed = client.post(
            "/deployments", files={"resources": ("receive-task.bpmn", xml, "text/xml")}
        )
        assert deployed.status_code == 200
        created = client.post(
            "/process-instances",
            json={"processDefinitionId": "receive-task", "variables": {"request": {"id": 3}}},
        )
        key = created.json()["processInstanceKey"]
        published = client.post(
            "/messages/publication",
            json={"name": "approval", "correlationKey": "3", "variables": {"approved": True}},
        )
        assert published.status_code == 200
        instance = client.get(f"/process-instances/{key}")
        assert instance.status_code == 200
    assert app.engine.process_instance(key).active_element_ids == ("grant",)
    assert app.engine.process_instance(key).variables["decision"] is True


def test_a_signal_broadcast_over_http_reaches_the_catch_event(
    client: httpx.Client, engine: Engine
) -> None:
    xml = modeler_xml("signal-catch", MODELS["signal-catch"])
    deployed = client.post(
        "/deployments", files={"resources": ("signal-catch.bpmn", xml, "text/xml")}
    )
    assert deployed.status_code == 200
    created = client.post("/process-instances", json={"processDefinitionId": "signal-catch"})
    key = created.json()["processInstanceKey"]
    refused = client.post("/signals/broadcast", json={"signalName": " "})
    assert refused.status_code == 400
    answer = client.post("/signals/broadcast", json={"signalName": "alarm", "variables": {"x": 1}})
    assert answer.status_code == 200
    assert answer.json()["signalKey"].isdigit()
    assert engine.process_instance(key).active_element_ids == ("evacuate",)
    assert engine.process_instance(key).variables == {"x": 1}


def test_message_correlation_over_http_answers_the_instance_or_404(
    client: httpx.Client, engine: Engine
) -> None:
    xml = modeler_xml("message-catch", MODELS["message-catch"])
    deployed = client.post(
        "/deployments", files={"resources": ("message-catch.bpmn", xml, "text/xml")}
    )
    assert deployed.status_code == 200
    created = client.post(
        "/process-instances",
        json={"processDefinitionId": "message-catch", "variables": {"orderId": "o"}},
    )
    key = created.json()["processInstanceKey"]
    missed = client.post(
        "/messages/correlation", json={"name": "payment-received", "correlationKey": "other"}
    )
    assert missed.status_code == 404
    assert "Expected to find subscription for message with name" in missed.json()["detail"]
    answer = client.post(
        "/messages/correlation",
        json={"name": "payment-received", "correlationKey": "o", "variables": {"paid": 1}},
    )
    assert answer.status_code == 200
    assert answer.json()["processInstanceKey"] == key
    assert engine.process_instance(key).active_element_ids == ("ship",)
    again = client.post(
        "/messages/correlation", json={"name": "payment-received", "correlationKey": "o"}
    )
    assert again.status_code == 404  # not buffered, and the subscription is closed
