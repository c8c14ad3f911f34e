"""The clock endpoints and the search lag (``search_lag_ms``, ``--search-lag-ms``)."""

from __future__ import annotations

import signal
from collections.abc import Callable

import httpx
import pytest

from camunda_worker.engine import (
    Engine,
    EngineApp,
    InProcessTransport,
    ManualClock,
)
from camunda_worker.engine._http import server as server_module

from .conftest import BASE_URL, ORDER_BPMN
from .rest_helpers import deploy, items, start
from .test_server import start_command


def test_the_clock_is_pinned_and_reset_over_rest(make_app: Callable[..., EngineApp]) -> None:
    engine = Engine(server_line="8.9")
    app = make_app(engine)
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        pinned = client.put("/clock", json={"timestamp": 1_700_000_000_000})
        job = engine.create_job("clocked")
        created = client.post("/jobs/search", json={"filter": {"jobKey": job}}).json()
        reset = client.post("/clock/reset")
        refused = client.put("/clock", json={})

    assert pinned.status_code == 204
    assert engine.clock.now_ms() != 1_700_000_000_000
    assert created["items"][0]["creationTime"] == "2023-11-14T22:13:20.000Z"
    assert reset.status_code == 204
    assert refused.status_code == 400


def test_pinning_a_manual_clock_sets_it(engine: Engine, client: httpx.Client) -> None:
    response = client.put("/clock", json={"timestamp": 1_800_000_000_000})

    assert response.status_code == 204
    assert engine.clock.now_ms() == 1_800_000_000_000


def test_with_a_search_lag_a_search_sees_a_command_only_after_the_lag(
    make_app: Callable[..., EngineApp],
) -> None:
    clock = ManualClock()
    app = make_app(Engine(server_line="8.9", clock=clock), search_lag_ms=1_000)
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        deploy(client, "order.bpmn", ORDER_BPMN.encode())
        instance = start(client, "order")
        at_once = items(client.post("/process-instances/search", json={}))
        got_at_once = client.get(f"/process-instances/{instance}")
        clock.advance(999)
        almost = items(client.post("/process-instances/search", json={}))
        clock.advance(1)
        later = items(client.post("/process-instances/search", json={}))
        client.post(f"/process-instances/{instance}/cancellation")
        still_active = items(client.post("/process-instances/search", json={}))
        clock.advance(1_000)
        terminated = items(client.post("/process-instances/search", json={}))

    assert at_once == []
    assert got_at_once.status_code == 404
    assert almost == []
    assert [found["state"] for found in later] == ["ACTIVE"]
    assert [found["state"] for found in still_active] == ["ACTIVE"]
    assert [found["state"] for found in terminated] == ["TERMINATED"]
    assert app.engine.search_lag_ms == 1_000


def test_without_a_search_lag_a_search_sees_a_command_at_once(client: httpx.Client) -> None:
    deploy(client, "order.bpmn", ORDER_BPMN.encode())
    instance = start(client, "order")

    found = items(client.post("/process-instances/search", json={}))

    assert [item["processInstanceKey"] for item in found] == [instance]


def test_a_negative_search_lag_is_refused() -> None:
    with pytest.raises(ValueError, match="search_lag_ms"):
        Engine(search_lag_ms=-1)


def test_the_command_takes_a_search_lag() -> None:
    process, url = start_command("--search-lag-ms", "600000", "--server-line", "8.9")
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            deploy(client, "order.bpmn", ORDER_BPMN.encode())
            instance = start(client, "order")
            found = items(client.post("/process-instances/search", json={}))
            got = client.get(f"/process-instances/{instance}")
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)

    assert found == []
    assert got.status_code == 404
    assert process.returncode == 0, err


def test_the_command_refuses_a_negative_search_lag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        server_module.main(["--search-lag-ms", "-5"])

    assert exit_.value.code == 2
    assert "--search-lag-ms" in capsys.readouterr().err


def test_changes_wait_in_the_lag_queue_only_as_long_as_the_lag() -> None:
    clock = ManualClock()
    engine = Engine(server_line="8.9", clock=clock, search_lag_ms=100)
    for _ in range(50):
        engine.create_job("lagged")
        clock.advance(100)

    pending = len(engine._lag._pending) if engine._lag is not None else -1

    assert 0 <= pending <= 1  # the last job, not yet due; never a search in between
