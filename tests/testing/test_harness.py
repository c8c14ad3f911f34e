"""EngineHarness without pytest's fixtures: what it starts, it closes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from camunda_worker.testing import EngineHarness

from .bpmn import ORDER_BPMN


def ours() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("camunda-"))


def ship(job: Any) -> dict[str, Any]:
    return {"shipped": True}


def test_closing_the_harness_closes_workers_clients_server_and_engine(tmp_path: Path) -> None:
    before = ours()
    (tmp_path / "order.bpmn").write_text(ORDER_BPMN, encoding="utf-8")
    with EngineHarness(bpmn=["order.bpmn"], base_dir=tmp_path) as camunda:
        worker = camunda.start_worker(ship, "charge")
        camunda.client().topology()  # starts the in-process transport's thread
        server = camunda.serve()
        assert camunda.serve() is server  # one server per engine
        key = camunda.start_instance("order")
        assert camunda.wait_for_completion(key).variables == {"shipped": True}
        assert ours() != before
    assert worker.state.value == "stopped"
    assert ours() == before
    camunda.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        camunda.client()
    with pytest.raises(RuntimeError, match="closed"):
        camunda.start_worker(ship, "charge")


def test_resources_may_be_xml_text_files_or_named_pairs(tmp_path: Path) -> None:
    path = tmp_path / "order.bpmn"
    path.write_text(ORDER_BPMN.replace('id="order"', 'id="order-file"'), encoding="utf-8")
    with EngineHarness() as camunda:
        deployed = camunda.deploy(
            ORDER_BPMN,
            path,
            ("named.bpmn", ORDER_BPMN.replace('id="order"', 'id="order-named"').encode()),
        )
    ids = [d["processDefinition"]["processDefinitionId"] for d in deployed["deployments"]]
    assert ids == ["order", "order-file", "order-named"]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_async_with_closes_without_blocking_the_loop(anyio_backend: str) -> None:
    before = ours()
    async with EngineHarness(bpmn=[ORDER_BPMN]) as camunda:
        camunda.start_worker(ship, "charge")
        client = camunda.async_client()
        created = await client.create_process_instance(process_definition_id="order")
        done = await camunda.wait_for_completion_async(created.process_instance_key)
        assert done.variables == {"shipped": True}
    assert ours() == before


def test_workers_started_together_drain_together() -> None:
    with EngineHarness() as camunda:
        first = camunda.start_worker(ship, "a")
        second = camunda.start_worker(ship, "b", max_concurrent_jobs=1)
        assert camunda.workers == (first, second)
        camunda.close_workers()
        assert {first.state.value, second.state.value} == {"stopped"}


def test_a_harness_whose_bpmn_is_refused_leaves_nothing_registered() -> None:
    # The constructor registered the harness for assert_that, then the deployment raised: the
    # half-made harness stayed the engine every later assert_that(key) looked in.
    from camunda_worker.engine import EngineError
    from camunda_worker.testing._assertions import current_target

    def target() -> object:
        try:
            return current_target()
        except RuntimeError:  # no harness open (when this test runs alone)
            return None

    before = target()
    with pytest.raises(EngineError, match="not well-formed"):
        EngineHarness(bpmn=[("broken.bpmn", "<bpmn:definitions")])
    assert target() is before
