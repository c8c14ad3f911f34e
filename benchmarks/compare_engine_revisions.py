"""Before/after: the engine core of this checkout against the engine core of another checkout.

    python -m benchmarks.compare_engine_revisions --baseline /path/to/other/checkout [--rounds 6]

Each round runs one process per checkout (ABBA order), each importing its own checkout's engine
and timing, through the ``Engine`` API without HTTP: standalone jobs activated (32 at a time)
and completed, process instances of a one-service-task process created, and their jobs
activated and completed. Figures are CPU time (``time.process_time``) per job or instance, the
minimum of several repetitions within the process: on a shared machine the minimum of CPU time
is far steadier than wall-clock throughput. It prints each round, the medians and the ratios
this/baseline (below 1: this checkout is faster). Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("standalone_job_us", "create_instance_us", "instance_job_us")

_CHILD = r'''
import json, time
from camunda_worker.engine import Engine

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="t"><bpmn:extensionElements>
      <zeebe:taskDefinition type="w"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def drain(engine, count):
    done = 0
    started = time.process_time()
    while done < count:
        for job in engine.activate_ready_jobs(
            job_type="w", max_jobs_to_activate=32, timeout_ms=60_000, worker="bench"
        ):
            engine.complete_job(str(job["jobKey"]), {"r": 2})
            done += 1
    return (time.process_time() - started) / count * 1e6


def standalone(count):
    engine = Engine(retention=10_000)
    for index in range(count):
        engine.create_job("w", variables={"orderId": index, "amount": 42.5})
    return drain(engine, count)


def instances(count):
    engine = Engine(retention=10_000)
    engine.deploy([("p.bpmn", BPMN)])
    started = time.process_time()
    for _ in range(count):
        engine.create_process_instance(process_definition_id="p", variables={"a": 1})
    created = (time.process_time() - started) / count * 1e6
    return created, drain(engine, count)


COUNT, REPEAT = __COUNT__, __REPEAT__
jobs = min(standalone(COUNT) for _ in range(REPEAT))
pairs = [instances(COUNT) for _ in range(REPEAT)]
print("RESULT " + json.dumps({
    "standalone_job_us": jobs,
    "create_instance_us": min(pair[0] for pair in pairs),
    "instance_job_us": min(pair[1] for pair in pairs),
}), flush=True)
'''


def measure(root: Path, count: int, repeat: int) -> dict[str, float]:
    """One process importing ``root``'s engine: its figures (µs of CPU per job or instance)."""
    code = _CHILD.replace("__COUNT__", str(count)).replace("__REPEAT__", str(repeat))
    env = {**os.environ, "PYTHONPATH": str(root)}
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    line = [text for text in finished.stdout.splitlines() if text.startswith("RESULT ")][-1]
    figures: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    return figures


def compare(baseline: Path, *, rounds: int, count: int, repeat: int) -> dict[str, float]:
    """Alternate the checkouts (ABBA); the ratio this/baseline of each figure's median."""
    results: dict[str, list[dict[str, float]]] = {"this": [], "baseline": []}
    for index in range(rounds):
        sides = ("this", "baseline") if index % 2 == 0 else ("baseline", "this")
        for side in sides:
            figures = measure(ROOT if side == "this" else baseline, count, repeat)
            results[side].append(figures)
            shown = "  ".join(f"{name} {value:6.2f}" for name, value in figures.items())
            print(f"round {index + 1} {side:<8} {shown}", flush=True)
    ratios: dict[str, float] = {}
    for name in FIGURES:
        this = statistics.median(figures[name] for figures in results["this"])
        base = statistics.median(figures[name] for figures in results["baseline"])
        ratios[name] = this / base
        print(f"{name:<20} this {this:6.2f} us  baseline {base:6.2f} us  ratio {this / base:5.3f}")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--count", type=int, default=4000, help="jobs (instances) per repetition")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per process")
    args = parser.parse_args()
    compare(args.baseline.resolve(), rounds=args.rounds, count=args.count, repeat=args.repeat)


if __name__ == "__main__":
    main()
