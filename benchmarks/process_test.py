"""What one process test costs: 5 service tasks, 2 gateways and a timer, start to end.

Run: ``python -m benchmarks.process_test [--tests 40] [--rounds 4]``.

The test: start an order, five service tasks answer (mocked job workers), an exclusive gateway
splits and another joins, a 2-day timer waits, the clock moves two days, and
``assert_that(key).is_completed().has_passed(...)`` holds. Measured in one process and one run,
in interleaved rounds (A B B A...), so the machine's noise falls on every variant alike:

* **fresh engine per test** (what the ``camunda_engine`` fixture does): a new
  :class:`~camunda_worker.testing.EngineHarness`, deploying the BPMN, mocks, the test, closing;
* **one engine, reused**: deployed once, each test only starts its instance: the floor, the
  price of the test's own steps;
* **fresh engine, real workers**: as the first, with five real ``JobWorker`` threads (the
  ``job_worker`` fixture) instead of mocks, and ``wait_for_completion`` in place of mocks.

Printed: milliseconds per test (median of the rounds) and the ratios against the first. With
``--pytest N``, also a pytest run in a child process of N such tests with the fixtures (leak
guard included), each test's time (setup, call, teardown) read from its JUnit XML: start-up and
imports, paid once per run, are not in it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from camunda_worker.testing import EngineHarness, assert_that

TASKS = ("validate", "price", "reserve", "charge", "ship")

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="bench-order" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="validate" />
    <bpmn:serviceTask id="validate">
      <bpmn:extensionElements><zeebe:taskDefinition type="validate" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="validate" targetRef="express" />
    <bpmn:exclusiveGateway id="express" default="standard" />
    <bpmn:sequenceFlow id="fast" sourceRef="express" targetRef="price">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="standard" sourceRef="express" targetRef="reserve" />
    <bpmn:serviceTask id="price">
      <bpmn:extensionElements><zeebe:taskDefinition type="price" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="price" targetRef="reserve" />
    <bpmn:serviceTask id="reserve">
      <bpmn:extensionElements><zeebe:taskDefinition type="reserve" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="reserve" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="wait" targetRef="charge" />
    <bpmn:serviceTask id="charge">
      <bpmn:extensionElements><zeebe:taskDefinition type="charge" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f6" sourceRef="charge" targetRef="paid" />
    <bpmn:exclusiveGateway id="paid" default="f8" />
    <bpmn:sequenceFlow id="f7" sourceRef="paid" targetRef="done">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=charged = false</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f8" sourceRef="paid" targetRef="ship" />
    <bpmn:serviceTask id="ship">
      <bpmn:extensionElements><zeebe:taskDefinition type="ship" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f9" sourceRef="ship" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>
"""


def _answers(harness: EngineHarness) -> None:
    for job_type in TASKS:
        harness.mock_job_worker(job_type).complete({job_type: True, "charged": True})


def _the_test(harness: EngineHarness) -> None:
    key = harness.start_instance("bench-order", {"amount": 250})
    harness.advance(dt.timedelta(days=2))
    assert_that(key, engine=harness).is_completed().has_passed(*TASKS)


def fresh_engine() -> None:
    """What the fixture does: a new engine, the BPMN deployed, mocks, the test, closed."""
    with EngineHarness(bpmn=[BPMN]) as harness:
        _answers(harness)
        _the_test(harness)


def reused_engine() -> Callable[[], None]:
    """One engine for every test: only the test's own steps."""
    harness = EngineHarness(bpmn=[BPMN])
    _answers(harness)
    return lambda: _the_test(harness)


def fresh_engine_real_workers() -> None:
    """A new engine per test, with five real workers (threads) instead of mocks."""
    with EngineHarness(bpmn=[BPMN]) as harness:
        for job_type in TASKS:
            harness.start_worker(lambda job, t=job_type: {t: True, "charged": True}, job_type)
        key = harness.start_instance("bench-order", {"amount": 250})
        harness.assert_that(key, timeout=30).is_at("wait")
        harness.advance(dt.timedelta(days=2))
        harness.wait_for_completion(key, timeout=30)


def _per_test_ms(run: Callable[[], None], tests: int) -> float:
    started = time.perf_counter()
    for _ in range(tests):
        run()
    return (time.perf_counter() - started) * 1000 / tests


_PYTEST_SUITE = """
import datetime as dt
import pytest
from camunda_worker.testing import assert_that

TASKS = {tasks!r}

@pytest.mark.camunda("order.bpmn")
@pytest.mark.parametrize("n", range({count}))
def test_order(camunda_engine, n):
    for job_type in TASKS:
        camunda_engine.mock_job_worker(job_type).complete({{job_type: True, "charged": True}})
    key = camunda_engine.start_instance("bench-order", {{"amount": 250}})
    camunda_engine.advance(dt.timedelta(days=2))
    assert_that(key).is_completed().has_passed(*TASKS)
"""


def under_pytest(count: int) -> list[float]:
    """Milliseconds of each of ``count`` process tests in a pytest run (setup, call, teardown).

    Read from the run's JUnit XML (``junit_duration_report = total``): start-up and imports,
    paid once per run, are not in it.
    """
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        folder.joinpath("order.bpmn").write_text(BPMN, encoding="utf-8")
        folder.joinpath("test_suite.py").write_text(
            _PYTEST_SUITE.format(tasks=TASKS, count=count), encoding="utf-8"
        )
        report = folder / "junit.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                "-o",
                "junit_duration_report=total",
                str(folder),
            ],
            check=True,
            capture_output=True,
            cwd=folder,
        )
        root = ElementTree.fromstring(report.read_bytes())
        return [float(case.get("time", "0")) * 1000 for case in root.iter("testcase")]


def main(argv: list[str] | None = None) -> None:
    """Measure and print milliseconds per test and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=40, help="tests per round and variant")
    parser.add_argument("--rounds", type=int, default=4, help="rounds (A B B A order)")
    parser.add_argument(
        "--pytest", type=int, default=0, metavar="N", help="also time N tests under pytest"
    )
    args = parser.parse_args(argv)
    reused = reused_engine()
    variants: dict[str, Callable[[], None]] = {
        "fresh engine per test (the fixture), mocks": fresh_engine,
        "one engine reused, mocks": reused,
        "fresh engine per test, 5 real workers": fresh_engine_real_workers,
    }
    real_tests = max(2, args.tests // 8)  # real workers: seconds, not milliseconds
    for run in variants.values():
        run()  # warm-up: imports, first parse
    figures: dict[str, list[float]] = {name: [] for name in variants}
    for round_index in range(args.rounds):
        order = list(variants) if round_index % 2 == 0 else list(reversed(variants))
        for name in order:
            tests = real_tests if "real workers" in name else args.tests
            figures[name].append(_per_test_ms(variants[name], tests))
    base = statistics.median(figures["fresh engine per test (the fixture), mocks"])
    print(f"{'variant':<46} {'ms/test':>9} {'ratio':>7}   rounds (ms)")
    for name, values in figures.items():
        median = statistics.median(values)
        rounds = " ".join(f"{value:.1f}" for value in values)
        print(f"{name:<46} {median:>9.2f} {median / base:>6.2f}x   {rounds}")
    if args.pytest:
        times = sorted(under_pytest(args.pytest))
        p90 = times[int(len(times) * 0.9)]
        print(
            f"under pytest, {len(times)} process tests (fixtures and leak guard included): "
            f"median {statistics.median(times):.2f} ms, p90 {p90:.2f} ms, "
            f"max {times[-1]:.2f} ms per test"
        )


if __name__ == "__main__":
    main()
