"""``python -m benchmarks.process_test`` runs, and its process test is the one it claims to time."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not a package
    sys.path.insert(0, str(ROOT))

from benchmarks import process_test  # noqa: E402
from camunda_worker.engine._model.bpmn import parse_bpmn  # noqa: E402


def test_the_benchmarked_process_has_five_service_tasks_two_gateways_and_a_timer() -> None:
    (model,) = parse_bpmn("order.bpmn", process_test.BPMN.encode())
    kinds = [node.kind for node in model.nodes.values()]
    assert kinds.count("serviceTask") == 5
    assert kinds.count("exclusiveGateway") == 2
    assert [node.id for node in model.nodes.values() if node.timer is not None] == ["wait"]


def test_a_tiny_run_prints_every_variant(capsys: pytest.CaptureFixture[str]) -> None:
    process_test.main(["--tests", "1", "--rounds", "1"])
    out = capsys.readouterr().out
    for variant in (
        "fresh engine per test (the fixture), mocks",
        "one engine reused, mocks",
        "fresh engine per test, 5 real workers",
    ):
        assert variant in out
