"""A called instance terminated from its parent closes its event sub-processes' subscriptions.

The child here waits in a task while its non-interrupting event sub-processes listen for a
message, a timer cycle and a signal. Whichever way the parent ends the call (an interrupting
boundary event on the call activity, or cancelling the parent), nothing of the child may stay
armed: no message subscription, no timer, no signal subscription.
"""

from __future__ import annotations

import pytest

from camunda_worker.engine import Engine, ManualClock

from .models.corpus import (
    START,
    call_activity,
    chain,
    end,
    event_start,
    event_sub_process,
    message,
    process,
    service,
    signal,
    start,
    sub_process,
    timer_boundary,
)
from .models.modeler import modeler_xml

CHILD = (
    message("Msg_Status", "status", "=orderId")
    + message("Msg_Inner", "inner-status", "=orderId")
    + signal("Sig_Ping", "ping")
    + process(
        "child",
        start("c-start")
        + sub_process(
            "inner",
            start("i-start")
            + service("child-work", "child-work")
            + end("i-end")
            + chain("i", "i-start", "child-work", "i-end")
            + event_sub_process(
                "on-inner-status",
                event_start(
                    "inner-status-start", 'message messageRef="Msg_Inner"', interrupting=False
                ),
                end("inner-status-end") + chain("n", "inner-status-start", "inner-status-end"),
            ),
        )
        + end("c-end")
        + chain("c", "c-start", "inner", "c-end")
        + event_sub_process(
            "on-status",
            event_start("status-start", 'message messageRef="Msg_Status"', interrupting=False),
            end("status-end") + chain("s", "status-start", "status-end"),
        )
        + event_sub_process(
            "on-tick",
            '<bpmn:startEvent id="tick" name="tick" isInterrupting="false">'
            '<bpmn:timerEventDefinition id="tick_def"><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">'
            "R/PT10M</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>",
            end("tick-end") + chain("t", "tick", "tick-end"),
        )
        + event_sub_process(
            "on-ping",
            event_start("ping-start", 'signal signalRef="Sig_Ping"', interrupting=False),
            service("pinged", "pinged")
            + end("ping-end")
            + chain("p", "ping-start", "pinged", "ping-end"),
        ),
    )
)

PARENT = process(
    "parent",
    START
    + call_activity("call", "child")
    + timer_boundary("deadline", "call", "timeDuration", "PT1H")
    + end("done")
    + end("timed-out")
    + chain("f", "start", "call", "done")
    + chain("g", "deadline", "timed-out"),
)


@pytest.mark.parametrize("how", ["boundary event", "cancel"])
def test_the_child_of_a_terminated_call_keeps_nothing_armed(how: str) -> None:
    clock = ManualClock()
    engine = Engine(clock=clock)
    engine.deploy([("child.bpmn", modeler_xml("child", CHILD).encode())])
    engine.deploy([("parent.bpmn", modeler_xml("parent", PARENT).encode())])
    created = engine.create_process_instance(
        process_definition_id="parent", variables={"orderId": "o-1"}
    )
    parent_key = str(created["processInstanceKey"])
    [child] = engine.process_instances(process_definition_id="child")
    assert sorted(sub.element_id for sub in engine.message_subscriptions()) == [
        "inner-status-start",
        "status-start",
    ]
    clock.advance(10 * 60_000)  # the cycle fires once while the child runs
    assert "tick-end" in engine.process_instance(child.key).visited_element_ids
    engine.broadcast_signal(signal_name="ping")  # an event sub-process instance still running
    assert len(engine.jobs(job_type="pinged", lifecycle="ACTIVATABLE")) == 1

    if how == "cancel":
        engine.cancel_process_instance(parent_key)
    else:
        clock.advance(50 * 60_000)  # the call activity's deadline
        assert engine.process_instance(parent_key).state == "COMPLETED"
    assert engine.process_instance(child.key).state == "TERMINATED"

    assert engine.message_subscriptions() == []
    assert engine.next_timer_due_ms() is None
    assert [job.state for job in engine.jobs(job_type="pinged")] == ["CANCELED"]
    engine.broadcast_signal(signal_name="ping")
    assert len(engine.jobs(job_type="pinged")) == 1
    for name in ("status", "inner-status"):
        engine.publish_message(name=name, correlation_key="o-1", time_to_live_ms=0)
    visited = engine.process_instance(child.key).visited_element_ids
    assert "status-start" not in visited
    assert "inner-status-start" not in visited
    assert engine.stats().timers == 0
