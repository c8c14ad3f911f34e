"""Every answer of every endpoint validates against the official spec of each server line.

(``conftest.make_app`` also checks every answer of every other engine test at teardown.)
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from camunda_worker.engine import Engine, EngineApp, Exchange, InProcessTransport, ManualClock

from .conftest import BASE_URL, ORDER_BPMN, activation
from .spec_check import SKIP_REASON, app_errors, exchange_errors, specs_available

pytestmark = pytest.mark.skipif(not specs_available(), reason=SKIP_REASON)


def exercise(app: EngineApp) -> None:
    """Call every endpoint, with successes and refusals."""
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        files = {"resources": ("order.bpmn", ORDER_BPMN.encode(), "application/xml")}
        deployment = client.post("/deployments", files=files).json()
        client.post("/deployments", files={"resources": ("bad.bpmn", b"<nope")})
        definition_key = deployment["deployments"][0]["processDefinition"]["processDefinitionKey"]
        first = client.post(
            "/process-instances", json={"processDefinitionId": "order", "variables": {"a": 1}}
        ).json()["processInstanceKey"]
        client.post("/process-instances", json={"processDefinitionKey": definition_key})
        client.post("/process-instances", json={"processDefinitionId": "missing"})
        client.post("/process-instances", json={})
        jobs = client.post("/jobs/activation", json=activation(maxJobsToActivate=2)).json()["jobs"]
        client.post("/jobs/activation", json=activation(type="", timeout=0))
        client.post("/jobs/activation", content=b"{", headers={"content-type": "application/json"})
        client.post(f"/jobs/{jobs[0]['jobKey']}/completion", json={"variables": {"b": 2}})
        client.post(f"/jobs/{jobs[0]['jobKey']}/completion")
        client.post(f"/jobs/{jobs[1]['jobKey']}/failure", json={"retries": 0})
        client.post(f"/jobs/{jobs[1]['jobKey']}/completion")
        client.post(f"/jobs/{jobs[1]['jobKey']}/error", json={"errorCode": "DECLINED"})
        client.patch(f"/jobs/{jobs[1]['jobKey']}", json={"changeset": {"retries": 1}})
        client.patch("/jobs/2251799813685999", json={"changeset": {"retries": 1}})
        client.post("/jobs/x/failure", json={})
        client.post("/jobs/search", json={"filter": {"processInstanceKey": first}})
        client.post("/jobs/search", json={"page": {"limit": 1}})
        client.post("/process-instances/search", json={"filter": {"state": "ACTIVE"}})
        client.get(f"/process-instances/{first}")
        client.put(f"/element-instances/{first}/variables", json={"variables": {"c": 3}})
        client.put("/element-instances/2251799813685999/variables", json={"variables": {}})
        incident_key = app.engine.incidents()[0].key
        client.post("/incidents/search", json={"filter": {"state": "ACTIVE"}})
        client.post("/incidents/search", json={"page": {"limit": 1, "after": "nope"}})
        client.patch(f"/jobs/{jobs[1]['jobKey']}", json={"changeset": {"retries": 2}})
        client.post(f"/incidents/{incident_key}/resolution")
        client.post("/incidents/2251799813685999/resolution")
        client.post("/incidents/search", json={})
        client.post(f"/process-instances/{first}/cancellation")
        client.post(f"/process-instances/{first}/cancellation")
        client.get("/process-instances/2251799813685999")
        client.post("/messages/publication", json={"name": "m", "correlationKey": "k"})
        client.get("/topology")
        client.get("/status")
        app.faults.script("activate", ["503", "500"])
        client.post("/jobs/activation", json=activation())
        client.post("/jobs/activation", json=activation())
        client.get("/unknown")


@pytest.mark.parametrize("line", ["8.8", "8.9", "8.10"])
def test_every_endpoint_answers_within_the_spec_of_each_line(
    make_app: Callable[..., EngineApp], line: str
) -> None:
    app = make_app(Engine(server_line=line, clock=ManualClock()))  # type: ignore[arg-type]

    exercise(app)

    assert len(app.requests) >= 25
    assert app_errors(app) == []


def test_the_check_catches_an_answer_that_breaks_the_spec() -> None:
    broken = Exchange(
        method="POST",
        path="/v2/jobs/activation",
        endpoint="activate",
        request=None,
        status=200,
        response={"jobs": [{"jobKey": 1}]},
        content_type="application/json",
    )
    malformed_problem = Exchange(
        method="GET",
        path="/v2/nowhere",
        endpoint=None,
        request=None,
        status=404,
        response={"title": "Not Found"},
        content_type="application/problem+json",
    )

    assert exchange_errors("8.9", broken) != []
    assert exchange_errors("8.9", malformed_problem) != []
