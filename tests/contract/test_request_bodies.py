"""Every request the clients build is valid for the official specs (8.8, 8.9, 8.10-dev).

Each scenario calls one client method; the recorder captures the request and answers a canned
8.9 answer. The request's method, path, headers and body are validated against each spec version
that has the operation, and the canned answer is validated against 8.9 (so the parsing the client
did is parsing of a spec-valid answer).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from contract_support import AUTH_HEADERS, BASE_URL, VERSIONS, Recorder, SpecChecker

from camunda_worker._client import CamundaAsyncClient, CamundaClient

CURSOR = "WzIyNTE3OTk4MTM2ODcxMDJd"
KEY = "2251799813685249"

SCENARIOS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "activate-minimal": (
        "activate_jobs",
        (),
        {"job_type": "payment", "max_jobs_to_activate": 32, "timeout": 30_000, "worker": "w"},
    ),
    "activate-full": (
        "activate_jobs",
        (),
        {
            "job_type": "payment",
            "max_jobs_to_activate": 1,
            "timeout": 1_000,
            "worker": "w",
            "request_timeout": 60_000,
            "fetch_variable": ["amount", "currency"],
            "tenant_ids": ["<default>", "tenant-a"],
        },
    ),
    "activate-no-long-poll": (
        "activate_jobs",
        (),
        {
            "job_type": "t",
            "max_jobs_to_activate": 5,
            "timeout": 1,
            "worker": "w",
            "request_timeout": -1,
        },
    ),
    "complete-empty": ("complete_job", (KEY,), {}),
    "complete-variables": ("complete_job", (KEY, {"paid": True, "nested": {"a": [1, 2]}}), {}),
    "fail-minimal": ("fail_job", (KEY,), {"retries": 2}),
    "fail-full": (
        "fail_job",
        (KEY,),
        {"retries": 0, "error_message": "boom", "retry_back_off": 5_000, "variables": {"x": 1}},
    ),
    "error-minimal": ("throw_job_error", (KEY,), {"error_code": "NOT_PAID"}),
    "error-full": (
        "throw_job_error",
        (KEY,),
        {"error_code": "NOT_PAID", "error_message": "card declined", "variables": {"reason": "x"}},
    ),
    "update-retries": ("update_job", (KEY,), {"retries": 5}),
    "update-timeout": ("update_job", (KEY,), {"timeout": 60_000}),
    "update-both": ("update_job", (KEY,), {"retries": 1, "timeout": 10}),
    "search-jobs-default": ("search_jobs", (), {}),
    "search-jobs-full": (
        "search_jobs",
        (),
        {
            "filter": {"type": "payment", "state": "CREATED", "processInstanceKey": KEY},
            "limit": 10,
            "sort": [{"field": "deadline", "order": "ASC"}],
            "after": CURSOR,
        },
    ),
    "deploy-one": ("deploy_resources", ([("order.bpmn", b"<definitions/>")],), {}),
    "deploy-many-tenant": (
        "deploy_resources",
        ([("a.bpmn", b"<definitions/>"), ("b.dmn", "<definitions/>")],),
        {"tenant_id": "tenant-a"},
    ),
    "create-by-id": ("create_process_instance", (), {"process_definition_id": "order"}),
    "create-by-id-full": (
        "create_process_instance",
        (),
        {
            "process_definition_id": "order",
            "version": 3,
            "variables": {"amount": 42},
            "tenant_id": "<default>",
            "await_completion": True,
            "request_timeout": 20_000,
            "fetch_variables": ["amount"],
        },
    ),
    "create-by-key": ("create_process_instance", (), {"process_definition_key": KEY}),
    "get-process-instance": ("get_process_instance", (KEY,), {}),
    "search-instances-default": ("search_process_instances", (), {}),
    "search-instances-full": (
        "search_process_instances",
        (),
        {
            "filter": {"processDefinitionId": "order", "state": "ACTIVE"},
            "limit": 50,
            "sort": [{"field": "startDate", "order": "DESC"}],
        },
    ),
    "publish-minimal": ("publish_message", (), {"name": "paid"}),
    "publish-full": (
        "publish_message",
        (),
        {
            "name": "paid",
            "correlation_key": "order-1",
            "variables": {"paid": True},
            "time_to_live": 60_000,
            "message_id": "m-1",
            "tenant_id": "<default>",
        },
    ),
    "topology": ("topology", (), {}),
    "status": ("status", (), {}),
}


def _run(kind: str, scenario: str, recorder: Recorder) -> Any:
    method, args, kwargs = SCENARIOS[scenario]
    if kind == "sync":
        with CamundaClient(BASE_URL, transport=recorder, headers=AUTH_HEADERS) as client:
            return getattr(client, method)(*args, **kwargs)

    async def main() -> Any:
        async with CamundaAsyncClient(BASE_URL, transport=recorder, headers=AUTH_HEADERS) as client:
            return await getattr(client, method)(*args, **kwargs)

    return asyncio.run(main())


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_request_is_valid_for_the_spec(
    scenario: str, kind: str, version: str, spec: SpecChecker, recorder: Recorder
) -> None:
    _run(kind, scenario, recorder)
    [request] = recorder.requests
    if not spec.has_operation(version, request):
        pytest.skip(f"{version} has no {request.method} {request.url.path}")
    spec.validate_request(version, request)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_client_parses_a_spec_valid_answer(
    scenario: str, spec: SpecChecker, recorder: Recorder
) -> None:
    result = _run("sync", scenario, recorder)
    [request], [response] = recorder.requests, recorder.responses
    spec.validate_response("8.9", request, response)
    if response.status_code == 200:
        assert result is not None


def test_the_sync_and_async_clients_send_identical_requests() -> None:
    for scenario in SCENARIOS:
        sync, async_ = Recorder(), Recorder()
        _run("sync", scenario, sync)
        _run("async", scenario, async_)
        [a], [b] = sync.requests, async_.requests
        assert (a.method, a.url) == (b.method, b.url)
        if not a.headers.get("content-type", "").startswith("multipart/"):
            assert a.content == b.content


def _bad_requests() -> dict[str, httpx.Request]:
    url = BASE_URL
    return {
        "unknown-field": httpx.Request(
            "POST",
            f"{url}/jobs/activation",
            json={"type": "t", "timeout": 1, "maxJobsToActivate": 1, "bogus": 1},
        ),
        "missing-field": httpx.Request("POST", f"{url}/jobs/activation", json={"type": "t"}),
        "unknown-search-field": httpx.Request(
            "POST", f"{url}/jobs/search", json={"page": {"limit": 1}, "bogus": 1}
        ),
        "exact-match-of-wrong-type": httpx.Request(
            "POST", f"{url}/jobs/search", json={"filter": {"type": 7}}
        ),
        "bad-tenant-part": httpx.Request(
            "POST",
            f"{url}/deployments",
            files=[("resources", ("a.bpmn", b"<x/>", "application/octet-stream"))],
            data={"tenantId": "not a tenant!"},
        ),
    }


@pytest.mark.parametrize("case", list(_bad_requests()))
def test_the_validator_still_rejects_invalid_requests(case: str, spec: SpecChecker) -> None:
    # Guards the in-memory spec patches: they must not make validation vacuous.
    with pytest.raises(pytest.fail.Exception):
        spec.validate_request("8.9", _bad_requests()[case])


@pytest.mark.parametrize("scenario", ["deploy-one", "deploy-many-tenant"])
def test_deployment_sends_one_resources_part_per_resource(
    scenario: str, recorder: Recorder
) -> None:
    # openapi-core ignores unknown multipart parts and defaults a missing array to []: check the
    # parts themselves.
    _run("sync", scenario, recorder)
    [request] = recorder.requests
    names = [name for name, _ in SCENARIOS[scenario][1][0]]
    body = request.content.decode()
    for name in names:
        assert f'name="resources"; filename="{name}"' in body
    assert body.count('name="resources"') == len(names)
    assert ('name="tenantId"' in body) == ("tenant_id" in SCENARIOS[scenario][2])
