"""Event sub-processes together with call activities and multi-instance activities."""

from __future__ import annotations

from typing import Any

from camunda_worker.engine import Engine, ManualClock

from .models.corpus import (
    END,
    START,
    call_activity,
    chain,
    end,
    error,
    error_boundary,
    event_start,
    event_sub_process,
    loop,
    message,
    process,
    service,
    start,
)
from .models.modeler import modeler_xml


def _activate(engine: Engine, job_type: str) -> list[dict[str, Any]]:
    return engine.activate_ready_jobs(
        job_type=job_type, max_jobs_to_activate=10, timeout_ms=60_000, worker="w"
    )


def test_a_called_process_catches_its_error_in_its_own_event_sub_process() -> None:
    child = modeler_xml(
        "child",
        error("Error_E", "E")
        + process(
            "child",
            START
            + service("risky", "risky")
            + END
            + event_sub_process(
                "on-e",
                event_start("e-start", 'error errorRef="Error_E"'),
                service("handled", "handled")
                + end("e-end")
                + chain("h", "e-start", "handled", "e-end"),
            )
            + chain("c", "start", "risky", "end"),
        ),
    )
    parent = modeler_xml(
        "parent",
        error("Error_E", "E")
        + process(
            "parent",
            START
            + call_activity("call", "child")
            + error_boundary("caught-outside", "call", "Error_E")
            + END
            + end("outside")
            + chain("f", "start", "call", "end")
            + chain("g", "caught-outside", "outside"),
        ),
    )
    engine = Engine(clock=ManualClock())
    engine.deploy([("child.bpmn", child), ("parent.bpmn", parent)])
    key = str(engine.create_process_instance(process_definition_id="parent")["processInstanceKey"])
    [risky] = _activate(engine, "risky")

    engine.throw_job_error(str(risky["jobKey"]), error_code="E")
    [handled] = _activate(engine, "handled")
    engine.complete_job(str(handled["jobKey"]))

    view = engine.process_instance(key)
    assert view.state == "COMPLETED"
    assert view.visited_element_ids == ("start", "call", "end")


def test_each_inner_instance_of_a_multi_instance_sub_process_has_its_event_sub_process() -> None:
    xml = modeler_xml(
        "mi-esp",
        message("Msg_Poke", "poke", "=item")
        + process(
            "mi-esp",
            START
            + (
                '<bpmn:subProcess id="each" name="each">'
                + start("each-start")
                + service("work", "work")
                + end("each-end")
                + chain("s", "each-start", "work", "each-end")
                + event_sub_process(
                    "on-poke",
                    event_start("poke-start", 'message messageRef="Msg_Poke"', interrupting=False),
                    service("poked", "poked")
                    + end("poke-end")
                    + chain("p", "poke-start", "poked", "poke-end"),
                )
                + loop("=items", element="item")
                + "</bpmn:subProcess>"
            )
            + END
            + chain("f", "start", "each", "end"),
        ),
    )
    engine = Engine(clock=ManualClock())
    engine.deploy([("mi-esp.bpmn", xml)])
    key = str(
        engine.create_process_instance(
            process_definition_id="mi-esp", variables={"items": ["a", "b"]}
        )["processInstanceKey"]
    )

    engine.publish_message(name="poke", correlation_key="b")
    poked = _activate(engine, "poked")
    works = _activate(engine, "work")
    for job in [*poked, *works]:
        engine.complete_job(str(job["jobKey"]))

    assert [job["variables"]["item"] for job in poked] == ["b"]
    assert len(works) == 2
    assert engine.process_instance(key).state == "COMPLETED"
