"""Engine CPU per BPMN element: 50-element processes run through the in-memory engine.

Run: ``python -m benchmarks.engine_elements [--instances 400] [--rounds 5]``.

Two processes of 50 flow nodes each, run in this process through the Python API (no HTTP), and
the CPU time (``time.process_time``) the engine spends per element a token passes:

* **flow**: no wait state: script tasks (a FEEL expression each), exclusive gateways with a
  condition and a default flow, undefined and manual tasks, throw events with an output
  mapping, a parallel fork and join, an inclusive fork and join, and an event sub-process whose
  message subscription is opened (and closed) with every instance;
* **jobs**: 48 service tasks in a row: each element is one job created, activated and completed
  (``activate_ready_jobs`` + ``complete_job``), as a worker drives it, without the HTTP layer.

The figure is the best round's CPU per element in µs (goal: well under 1 ms, i.e. 1,000 µs).
Not part of the tests: a shared machine's timings are not assertions.
"""

from __future__ import annotations

import argparse
import itertools
import time

from camunda_worker.engine import Engine

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" '
    'targetNamespace="http://bpmn.io/schema/bpmn">'
)


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def flow_process() -> tuple[str, int]:
    """The no-wait process and the number of elements a token passes."""
    parts = ['<bpmn:startEvent id="start" />']
    flows: list[str] = []
    previous = "start"
    visited = 1
    for block in range(8):
        script, gateway, task, throw, manual = (f"{kind}{block}" for kind in "sgtwm")
        parts += [
            f'<bpmn:scriptTask id="{script}"><bpmn:extensionElements>'
            '<zeebe:script expression="=count + 1" resultVariable="count" />'
            "</bpmn:extensionElements></bpmn:scriptTask>",
            f'<bpmn:exclusiveGateway id="{gateway}" default="{gateway}-on" />',
            f'<bpmn:endEvent id="{gateway}-never" />',
            f'<bpmn:task id="{task}" />',
            f'<bpmn:intermediateThrowEvent id="{throw}"><bpmn:extensionElements>'
            '<zeebe:ioMapping><zeebe:output source="=count * 2" target="double" />'
            "</zeebe:ioMapping></bpmn:extensionElements></bpmn:intermediateThrowEvent>",
            f'<bpmn:manualTask id="{manual}" />',
        ]
        flows += [
            _flow(f"{script}-in", previous, script),
            _flow(f"{gateway}-in", script, gateway),
            _flow(f"{gateway}-off", gateway, f"{gateway}-never", "=count &gt; 1000"),
            _flow(f"{gateway}-on", gateway, task),
            _flow(f"{throw}-in", task, throw),
            _flow(f"{manual}-in", throw, manual),
        ]
        previous = manual
        visited += 5
    parts += [
        '<bpmn:parallelGateway id="fork" />',
        '<bpmn:task id="left" />',
        '<bpmn:task id="right" />',
        '<bpmn:parallelGateway id="join" />',
        '<bpmn:inclusiveGateway id="pick" />',
        '<bpmn:task id="one" />',
        '<bpmn:task id="two" />',
        '<bpmn:inclusiveGateway id="merge" />',
        '<bpmn:endEvent id="end" />',
        '<bpmn:subProcess id="on-ping" triggeredByEvent="true">'
        '<bpmn:startEvent id="ping-start" isInterrupting="false">'
        '<bpmn:messageEventDefinition id="ping-def" messageRef="ping" /></bpmn:startEvent>'
        '<bpmn:endEvent id="pinged" /><bpmn:sequenceFlow id="p1" sourceRef="ping-start" '
        'targetRef="pinged" /></bpmn:subProcess>',
    ]
    flows += [
        _flow("fork-in", previous, "fork"),
        _flow("fork-left", "fork", "left"),
        _flow("fork-right", "fork", "right"),
        _flow("left-join", "left", "join"),
        _flow("right-join", "right", "join"),
        _flow("pick-in", "join", "pick"),
        _flow("pick-one", "pick", "one", "=count &gt; 0"),
        _flow("pick-two", "pick", "two", "=double &gt; 0"),
        _flow("one-merge", "one", "merge"),
        _flow("two-merge", "two", "merge"),
        _flow("end-in", "merge", "end"),
    ]
    # fork, left, right, join (twice), pick, one, two, merge (twice), end
    visited += 11
    xml = (
        _HEAD + '<bpmn:message id="ping" name="ping"><bpmn:extensionElements>'
        '<zeebe:subscription correlationKey="=key" /></bpmn:extensionElements></bpmn:message>'
        + '<bpmn:process id="flow" isExecutable="true">'
        + "".join(parts + flows)
        + "</bpmn:process></bpmn:definitions>"
    )
    return xml, visited


def jobs_process(tasks: int = 48) -> str:
    """Start, ``tasks`` service tasks (job types ``t0``...), end: 50 elements by default."""
    ids = ["start", *(f"t{index}" for index in range(tasks)), "end"]
    parts = ['<bpmn:startEvent id="start" />', '<bpmn:endEvent id="end" />']
    parts += [
        f'<bpmn:serviceTask id="{task}"><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{task}" /></bpmn:extensionElements></bpmn:serviceTask>'
        for task in ids[1:-1]
    ]
    parts += [_flow(f"f{index}", a, b) for index, (a, b) in enumerate(itertools.pairwise(ids))]
    return (
        _HEAD
        + '<bpmn:process id="jobs" isExecutable="true">'
        + "".join(parts)
        + "</bpmn:process></bpmn:definitions>"
    )


def run_flow(engine: Engine, instances: int, visited: int) -> float:
    """CPU µs per element of the no-wait process."""
    start = time.process_time()
    for index in range(instances):
        engine.create_process_instance(
            process_definition_id="flow", variables={"count": 0, "key": str(index)}
        )
    return (time.process_time() - start) / (instances * visited) * 1e6


def run_jobs(engine: Engine, instances: int, tasks: int = 48) -> float:
    """CPU µs per element of the service-task process (each task: create, activate, complete)."""
    start = time.process_time()
    for _ in range(instances):
        engine.create_process_instance(process_definition_id="jobs", variables={"n": 1})
        for index in range(tasks):
            [job] = engine.activate_ready_jobs(
                job_type=f"t{index}", max_jobs_to_activate=1, timeout_ms=60_000, worker="bench"
            )
            engine.complete_job(str(job["jobKey"]), {"done": index})
    return (time.process_time() - start) / (instances * (tasks + 2)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=400, help="instances per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--only",
        choices=["flow", "jobs"],
        help="one process only (``jobs`` also runs against older checkouts: "
        "PYTHONPATH=<checkout> python benchmarks/engine_elements.py --only jobs)",
    )
    arguments = parser.parse_args()
    engine = Engine(retention=1_000)
    print(f"{'process':<8} {'elements':>8} {'CPU per element':>16}")
    if arguments.only != "jobs":
        xml, visited = flow_process()
        engine.deploy([("flow.bpmn", xml)])
        probe = str(
            engine.create_process_instance(
                process_definition_id="flow", variables={"count": 0, "key": "probe"}
            )["processInstanceKey"]
        )
        view = engine.process_instance(probe)
        if len(view.visited_element_ids) != visited or view.state != "COMPLETED":
            raise SystemExit(f"the flow process did not run as expected: {view}")
        flow_us = min(
            run_flow(engine, arguments.instances, visited) for _ in range(arguments.rounds)
        )
        print(f"{'flow':<8} {visited:>8} {flow_us:>13.1f} us")
    if arguments.only != "flow":
        engine.deploy([("jobs.bpmn", jobs_process())])
        jobs_us = min(
            run_jobs(engine, max(arguments.instances // 8, 1)) for _ in range(arguments.rounds)
        )
        print(
            f"{'jobs':<8} {50:>8} {jobs_us:>13.1f} us  (each: create + activate + complete a job)"
        )
    print("goal: well under 1,000 us per element")


if __name__ == "__main__":
    main()
