"""Fault injection (latency, rates, scripts, drops, token faults) and the exchange recording."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from camunda_worker.engine import EngineApp, FaultPlan, InProcessTransport
from camunda_worker.engine._faults.injection import parse_fault_spec

from .conftest import activation


def test_a_script_answers_the_next_calls_then_lets_calls_through(
    client: httpx.Client, app: EngineApp
) -> None:
    app.faults.script("activate", [503, 503, 503])

    statuses = [client.post("/jobs/activation", json=activation()).status_code for _ in range(4)]

    assert statuses == [503, 503, 503, 200]


def test_an_injected_503_is_backpressure_as_the_gateway_sends_it(
    client: httpx.Client, app: EngineApp
) -> None:
    app.faults.script("complete", ["503"])

    response = client.post("/jobs/2251799813685249/completion")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "RESOURCE_EXHAUSTED"


@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [("500", 500, "INTERNAL"), ("429", 429, "TOO_MANY_REQUESTS"), ("401", 401, "Unauthorized")],
)
def test_other_fault_kinds(
    client: httpx.Client, app: EngineApp, kind: str, status: int, title: str
) -> None:
    app.faults.script("topology", [kind])

    response = client.get("/topology")

    assert response.status_code == status
    assert response.json()["title"] == title


def test_none_in_a_script_lets_that_call_through(client: httpx.Client, app: EngineApp) -> None:
    app.faults.script("status", [None, "500"])

    assert [client.get("/status").status_code for _ in range(3)] == [204, 500, 204]


def test_a_script_for_every_endpoint(client: httpx.Client, app: EngineApp) -> None:
    app.faults.script("*", ["503"])

    assert client.get("/topology").status_code == 503
    assert client.get("/status").status_code == 204


def test_drop_after_applies_the_request_but_never_answers(
    client: httpx.Client, app: EngineApp
) -> None:
    key = app.engine.create_job("charge")
    client.post("/jobs/activation", json=activation())
    app.faults.script("complete", ["drop-after"])

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/jobs/{key}/completion")
    retried = client.post(f"/jobs/{key}/completion")

    assert retried.status_code == 404  # it was completed: the retry finds no job


def test_drop_before_leaves_the_job_untouched(client: httpx.Client, app: EngineApp) -> None:
    key = app.engine.create_job("charge")
    client.post("/jobs/activation", json=activation())
    app.faults.script("complete", ["drop"])

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(f"/jobs/{key}/completion")

    assert client.post(f"/jobs/{key}/completion").status_code == 204


def test_error_rates_are_reproducible_with_a_seed() -> None:
    def draws(seed: int) -> list[str | None]:
        plan = FaultPlan(seed=seed).error_rate("complete", "503", 0.3)
        return [plan.next_fault("complete") for _ in range(200)]

    first, second = draws(7), draws(7)

    assert first == second
    assert 30 < first.count("503") < 90
    assert set(first) == {None, "503"}


def test_rates_of_several_kinds_and_endpoints_add_up() -> None:
    plan = FaultPlan(seed=1).error_rate("activate", "500", 0.5).error_rate("*", "drop", 0.5)

    activate = {plan.next_fault("activate") for _ in range(200)}
    complete = {plan.next_fault("complete") for _ in range(200)}

    assert activate == {"500", "drop"}
    assert complete == {None, "drop"}


def test_latency_delays_answers(client: httpx.Client, app: EngineApp) -> None:
    app.faults.latency(30, endpoint="status")

    started = time.monotonic()
    client.get("/status")
    elapsed = time.monotonic() - started

    assert elapsed >= 0.03
    assert app.faults.delay_for("status") == pytest.approx(0.03)
    assert app.faults.delay_for("topology") == 0


def test_clear_removes_every_fault(client: httpx.Client, app: EngineApp) -> None:
    app.faults.script("status", ["500"]).error_rate("status", "503", 1).latency(10)

    app.faults.clear()

    assert client.get("/status").status_code == 204
    assert app.faults.pending("status") == 0


def test_the_plan_refuses_unknown_names_and_bad_rates() -> None:
    plan = FaultPlan()

    with pytest.raises(ValueError, match="unknown endpoint"):
        plan.script("activation", ["503"])
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.script("activate", ["418"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        plan.error_rate("activate", "503", 1.5)
    with pytest.raises(ValueError, match="negative"):
        plan.latency(-1)


def test_command_line_fault_specs() -> None:
    assert parse_fault_spec("activate:503:0.1") == ("activate", "503", 0.1)
    assert parse_fault_spec("*:drop:1") == ("*", "drop", 1.0)
    for bad in ("activate:503", "activate:503:x", "activate:503:2", "nope:503:0.1"):
        with pytest.raises(ValueError, match=r"expected|must be|unknown"):
            parse_fault_spec(bad)


def test_token_endpoint_faults(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(oauth_clients={"worker": "secret"})
    app.faults.script("token", ["503", "401", "drop", None])
    form = {"grant_type": "client_credentials", "client_id": "worker", "client_secret": "secret"}

    with httpx.Client(transport=InProcessTransport(app)) as client:
        unavailable = client.post("http://engine.test/oauth/token", data=form)
        refused = client.post("http://engine.test/oauth/token", data=form)
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("http://engine.test/oauth/token", data=form)
        issued = client.post("http://engine.test/oauth/token", data=form)

    assert unavailable.status_code == 503
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert issued.status_code == 200


def test_every_exchange_is_recorded(client: httpx.Client, app: EngineApp) -> None:
    app.faults.script("status", ["drop"])
    client.post("/jobs/activation", json=activation())
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/status")

    first, second = app.requests

    assert first.method == "POST"
    assert first.path == "/v2/jobs/activation"
    assert first.endpoint == "activate"
    assert first.request == activation()
    assert first.status == 200
    assert first.response == {"jobs": []}
    assert first.content_type == "application/json"
    assert second.status is None
    assert second.fault == "drop"
    assert app.recorder.to("status") == [second]


def test_recording_can_be_turned_off_and_is_bounded(make_app: Callable[..., EngineApp]) -> None:
    app = make_app(record_limit=3)
    with httpx.Client(transport=InProcessTransport(app), base_url="http://e/v2") as client:
        for _ in range(5):
            client.get("/status")
        assert len(app.requests) == 3
        app.recorder.enabled = False
        client.get("/status")
        assert len(app.requests) == 3
        app.recorder.clear()
    assert app.requests == []
