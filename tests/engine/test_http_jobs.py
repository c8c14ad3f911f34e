"""Jobs over HTTP: activation (long polling), completion, failure, BPMN errors, update, search."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from camunda_worker.engine import Engine, EngineApp, InProcessTransport, ManualClock

from .conftest import BASE_URL, activation


def start_order(client: httpx.Client, **variables: Any) -> str:
    response = client.post(
        "/process-instances", json={"processDefinitionId": "order", "variables": variables}
    )
    assert response.status_code == 200, response.text
    key: str = response.json()["processInstanceKey"]
    return key


def activate_one(client: httpx.Client, job_type: str = "charge") -> dict[str, Any]:
    response = client.post("/jobs/activation", json=activation(job_type, maxJobsToActivate=1))
    assert response.status_code == 200, response.text
    jobs = response.json()["jobs"]
    assert len(jobs) == 1
    job: dict[str, Any] = jobs[0]
    return job


@pytest.mark.usefixtures("deployed")
def test_activation_hands_out_the_job_of_a_started_instance(client: httpx.Client) -> None:
    instance_key = start_order(client, amount=42)

    job = activate_one(client)

    assert job["type"] == "charge"
    assert job["processInstanceKey"] == instance_key
    assert job["jobKey"].isdigit()
    assert job["worker"] == "test-worker"
    assert job["variables"] == {"amount": 42}
    assert job["customHeaders"] == {"currency": "EUR"}
    assert job["retries"] == 3


@pytest.mark.usefixtures("deployed")
def test_an_activated_job_is_not_handed_out_twice(client: httpx.Client) -> None:
    start_order(client)
    activate_one(client)

    again = client.post("/jobs/activation", json=activation())

    assert again.json() == {"jobs": []}


@pytest.mark.usefixtures("deployed")
def test_completion_answers_204_and_merges_variables(client: httpx.Client, engine: Engine) -> None:
    instance_key = start_order(client, amount=42)
    job = activate_one(client)

    response = client.post(f"/jobs/{job['jobKey']}/completion", json={"variables": {"paid": True}})

    assert response.status_code == 204
    assert response.content == b""
    instance = engine.process_instance(instance_key)
    assert instance.state == "COMPLETED"
    assert instance.variables == {"amount": 42, "paid": True}


@pytest.mark.usefixtures("deployed")
def test_completion_without_a_body_is_accepted(client: httpx.Client) -> None:
    start_order(client)
    job = activate_one(client)

    assert client.post(f"/jobs/{job['jobKey']}/completion").status_code == 204


def test_completing_an_unknown_job_answers_404_not_found(client: httpx.Client) -> None:
    response = client.post("/jobs/2251799813685999/completion", json={})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "NOT_FOUND"
    assert problem["status"] == 404
    assert problem["instance"] == "/v2/jobs/2251799813685999/completion"
    assert problem["type"] == "about:blank"
    assert "2251799813685999" in problem["detail"]


@pytest.mark.usefixtures("deployed")
def test_completing_a_job_twice_answers_404(client: httpx.Client) -> None:
    start_order(client)
    job = activate_one(client)
    client.post(f"/jobs/{job['jobKey']}/completion")

    response = client.post(f"/jobs/{job['jobKey']}/completion")

    assert response.status_code == 404
    assert response.json()["title"] == "NOT_FOUND"


@pytest.mark.usefixtures("deployed")
def test_failing_without_retries_raises_an_incident_and_completion_then_answers_409(
    client: httpx.Client, engine: Engine
) -> None:
    instance_key = start_order(client)
    job = activate_one(client)

    failed = client.post(
        f"/jobs/{job['jobKey']}/failure", json={"retries": 0, "errorMessage": "card expired"}
    )
    completed = client.post(f"/jobs/{job['jobKey']}/completion")

    assert failed.status_code == 204
    assert completed.status_code == 409
    assert completed.json()["title"] == "INVALID_STATE"
    assert [incident.process_instance_key for incident in engine.incidents()] == [instance_key]
    fetched = client.get(f"/process-instances/{instance_key}").json()
    assert fetched["hasIncident"] is True


@pytest.mark.usefixtures("deployed")
def test_failing_with_retries_and_back_off_makes_the_job_activatable_later(
    client: httpx.Client, engine: Engine
) -> None:
    start_order(client)
    job = activate_one(client)

    response = client.post(
        f"/jobs/{job['jobKey']}/failure", json={"retries": 2, "retryBackOff": 60_000}
    )
    during_back_off = client.post("/jobs/activation", json=activation())
    engine.clock.advance(60_000)  # type: ignore[attr-defined]
    again = activate_one(client)

    assert response.status_code == 204
    assert during_back_off.json() == {"jobs": []}
    assert again["jobKey"] == job["jobKey"]
    assert again["retries"] == 2


@pytest.mark.usefixtures("deployed")
def test_a_bpmn_error_caught_by_the_boundary_event_ends_the_instance_there(
    client: httpx.Client, engine: Engine
) -> None:
    instance_key = start_order(client)
    job = activate_one(client)

    response = client.post(
        f"/jobs/{job['jobKey']}/error",
        json={"errorCode": "DECLINED", "errorMessage": "no funds"},
    )

    assert response.status_code == 204
    instance = engine.process_instance(instance_key)
    assert instance.state == "COMPLETED"
    assert engine.incidents() == []


@pytest.mark.usefixtures("deployed")
def test_an_uncaught_bpmn_error_raises_an_incident(client: httpx.Client, engine: Engine) -> None:
    instance_key = start_order(client)
    job = activate_one(client)

    response = client.post(f"/jobs/{job['jobKey']}/error", json={"errorCode": "OTHER"})

    assert response.status_code == 204
    assert [i.process_instance_key for i in engine.incidents()] == [instance_key]


def test_update_changes_retries_and_answers_404_for_an_unknown_job(
    client: httpx.Client, engine: Engine
) -> None:
    job_key = engine.create_job("standalone", retries=3)

    updated = client.patch(f"/jobs/{job_key}", json={"changeset": {"retries": 7}})
    unknown = client.patch("/jobs/2251799813685999", json={"changeset": {"timeout": 5000}})

    assert updated.status_code == 204
    assert engine.jobs(job_type="standalone")[0].retries == 7
    assert unknown.status_code == 404
    assert unknown.json()["title"] == "NOT_FOUND"


def test_job_search_filters_by_type_state_and_process_instance(
    client: httpx.Client, engine: Engine, deployed: dict[str, Any]
) -> None:
    instance_key = start_order(client)
    engine.create_job("other")
    done = engine.create_job("other")
    engine.complete_job(done)

    by_type = client.post("/jobs/search", json={"filter": {"type": "other"}}).json()
    by_state = client.post(
        "/jobs/search", json={"filter": {"type": "other", "state": "COMPLETED"}}
    ).json()
    by_instance = client.post(
        "/jobs/search", json={"filter": {"processInstanceKey": instance_key}}
    ).json()

    assert {item["type"] for item in by_type["items"]} == {"other"}
    assert len(by_type["items"]) == 2
    assert [item["jobKey"] for item in by_state["items"]] == [done]
    assert [item["type"] for item in by_instance["items"]] == ["charge"]
    assert by_type["page"]["totalItems"] == 2


def test_job_search_pages_with_limit_and_after(client: httpx.Client, engine: Engine) -> None:
    keys = [engine.create_job("paged") for _ in range(3)]

    first = client.post("/jobs/search", json={"filter": {"type": "paged"}, "page": {"limit": 2}})
    cursor = first.json()["page"]["endCursor"]
    second = client.post(
        "/jobs/search",
        json={"filter": {"type": "paged"}, "page": {"limit": 2, "after": cursor}},
    )

    seen = [item["jobKey"] for item in first.json()["items"] + second.json()["items"]]
    assert seen == keys


@pytest.mark.asyncio
async def test_a_long_poll_answers_as_soon_as_a_job_is_created(
    aclient: httpx.AsyncClient, app: EngineApp
) -> None:
    poll = asyncio.ensure_future(
        aclient.post("/jobs/activation", json=activation("late", requestTimeout=30_000))
    )
    await asyncio.sleep(0.05)
    assert not poll.done()

    key = app.engine.create_job("late")
    response = await asyncio.wait_for(poll, timeout=10)

    assert [job["jobKey"] for job in response.json()["jobs"]] == [key]


@pytest.mark.asyncio
async def test_a_long_poll_with_a_short_request_timeout_answers_an_empty_list(
    aclient: httpx.AsyncClient,
) -> None:
    response = await aclient.post("/jobs/activation", json=activation("none", requestTimeout=30))

    assert response.status_code == 200
    assert response.json() == {"jobs": []}


@pytest.mark.asyncio
async def test_ending_long_polls_answers_waiting_activations_at_once(
    aclient: httpx.AsyncClient, app: EngineApp
) -> None:
    poll = asyncio.ensure_future(
        aclient.post("/jobs/activation", json=activation("idle", requestTimeout=60_000))
    )
    await asyncio.sleep(0.05)

    app.end_long_polls()
    response = await asyncio.wait_for(poll, timeout=10)

    assert response.json() == {"jobs": []}
    key = app.engine.create_job("idle")
    assert app.engine.jobs(job_type="idle")[0].key == key  # the job was not taken by the poll


def test_a_leased_job_is_completed_only_with_its_lease_token(
    make_app: Callable[..., EngineApp],
) -> None:
    app = make_app(Engine(server_line="8.10", clock=ManualClock()))
    key = app.engine.create_job("leased")
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        (job,) = client.post("/jobs/activation", json=activation("leased", withLease=True)).json()[
            "jobs"
        ]
        without = client.post(f"/jobs/{key}/completion", json={})
        wrong = client.post(f"/jobs/{key}/completion", json={"leaseToken": "nope"})
        right = client.post(f"/jobs/{key}/completion", json={"leaseToken": job["leaseToken"]})

    assert job["leaseToken"]
    assert without.status_code == 409
    assert wrong.status_code == 409
    assert right.status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/jobs/activation", activation(withLease=True), "withLease"),
        ("POST", "/jobs/2251799813685249/completion", {"leaseToken": "t"}, "leaseToken"),
        ("PATCH", "/jobs/2251799813685249", {"changeset": {"priority": 5}}, "changeset.priority"),
    ],
)
def test_properties_newer_than_the_server_line_cannot_be_parsed(
    client: httpx.Client, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.request(method, path, json=body)

    assert response.status_code == 400
    assert response.json()["detail"] == f"Request property [{field}] cannot be parsed"
