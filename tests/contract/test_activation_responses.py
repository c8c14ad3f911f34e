"""The clients read activation answers shaped as Camunda 8.8, 8.9 and 8.10 each send them.

Each crafted answer is first validated against its own version's spec (so the fixture is an
honest example of that server), then answered to both clients, which must parse every job.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import pytest
from contract_support import AUTH_HEADERS, BASE_URL, JOB_8_9, SpecChecker

from camunda_worker._api.models import ActivatedJob
from camunda_worker._client import CamundaAsyncClient, CamundaClient

# 8.8 requires only these; it may add tags and userTask (a task listener's job), never
# rootProcessInstanceKey.
_REQUIRED_8_8 = (
    "type",
    "processDefinitionId",
    "processDefinitionVersion",
    "elementId",
    "customHeaders",
    "worker",
    "retries",
    "deadline",
    "variables",
    "tenantId",
    "jobKey",
    "processInstanceKey",
    "processDefinitionKey",
    "elementInstanceKey",
    "kind",
    "listenerEventType",
)
JOB_8_8_MINIMAL = {key: JOB_8_9[key] for key in _REQUIRED_8_8}
JOB_8_8 = {**JOB_8_8_MINIMAL, "tags": ["priority:high"]}
USER_TASK = {
    "action": "assign",
    "assignee": "demo",
    "candidateGroups": ["sales"],
    "candidateUsers": [],
    "changedAttributes": ["assignee"],
    "dueDate": None,
    "followUpDate": None,
    "formKey": None,
    "priority": 50,
    "userTaskKey": "2251799813685300",
}
# 8.8 declares no field of a user task nullable: it leaves the unset ones out.
USER_TASK_8_8 = {key: value for key, value in USER_TASK.items() if value is not None}
LISTENER = {"jobKey": "2251799813685301", "kind": "TASK_LISTENER", "listenerEventType": "ASSIGNING"}
JOB_8_8_LISTENER = {**JOB_8_8, **LISTENER, "userTask": USER_TASK_8_8}
JOB_8_9_LISTENER = {**JOB_8_9, **LISTENER, "userTask": USER_TASK}
JOB_8_10 = {
    **JOB_8_9,
    "priority": 7,
    "businessId": "order-4711",
    "leaseToken": "lease-abc",
    "physicalTenantId": "default",
}
JOB_8_10_PRE_8_10 = {
    **JOB_8_9,
    "priority": 0,
    "businessId": None,
    "leaseToken": None,
    "physicalTenantId": "default",
}

ANSWERS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "8.8-minimal": ("8.8", [JOB_8_8_MINIMAL]),
    "8.8": ("8.8", [JOB_8_8, JOB_8_8_LISTENER]),
    "8.8-empty": ("8.8", []),
    "8.9": ("8.9", [JOB_8_9, JOB_8_9_LISTENER]),
    "8.9-empty": ("8.9", []),
    "8.10": ("8.10-dev", [JOB_8_10, JOB_8_10_PRE_8_10]),
    "8.10-empty": ("8.10-dev", []),
}


def _activation_request() -> httpx.Request:
    return httpx.Request(
        "POST",
        f"{BASE_URL}/jobs/activation",
        json={"type": "payment", "worker": "w", "timeout": 1000, "maxJobsToActivate": 5},
        headers=AUTH_HEADERS,
    )


def _answer(jobs: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(200, json={"jobs": copy.deepcopy(jobs)})


def _activate(kind: str, jobs: list[dict[str, Any]]) -> list[ActivatedJob]:
    arguments: dict[str, Any] = {
        "job_type": "payment",
        "max_jobs_to_activate": 5,
        "timeout": 1000,
        "worker": "w",
    }
    if kind == "sync":
        transport = httpx.MockTransport(lambda request: _answer(jobs))
        with CamundaClient(BASE_URL, transport=transport) as client:
            return client.activate_jobs(**arguments)

    async def main() -> list[ActivatedJob]:
        async def handler(request: httpx.Request) -> httpx.Response:
            return _answer(jobs)

        async with CamundaAsyncClient(BASE_URL, transport=httpx.MockTransport(handler)) as client:
            return await client.activate_jobs(**arguments)

    return asyncio.run(main())


@pytest.mark.parametrize("answer", ANSWERS)
def test_crafted_answer_is_valid_for_its_own_version(answer: str, spec: SpecChecker) -> None:
    version, jobs = ANSWERS[answer]
    request = _activation_request()
    spec.validate_response(version, request, _answer(jobs))


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("answer", ANSWERS)
def test_client_parses_every_job_of_every_version(answer: str, kind: str) -> None:
    _, sent = ANSWERS[answer]
    jobs = _activate(kind, sent)
    assert [job.job_key for job in jobs] == [item["jobKey"] for item in sent]
    for job, item in zip(jobs, sent, strict=True):
        assert job.job_type == item["type"]
        assert job.process_instance_key == item["processInstanceKey"]
        assert job.variables == item["variables"]
        assert job.custom_headers == item["customHeaders"]
        assert job.deadline == item["deadline"]
        assert job.kind == item["kind"]
        assert job.tags == tuple(item.get("tags", ()))
        assert job.user_task == item.get("userTask")
        assert job.root_process_instance_key == item.get("rootProcessInstanceKey")
        assert job.priority == item.get("priority")
        assert job.business_id == item.get("businessId")
        assert job.lease_token == item.get("leaseToken")
        assert job.physical_tenant_id == item.get("physicalTenantId")


def test_an_8_8_answer_lacks_what_8_9_requires(spec: SpecChecker) -> None:
    # The reason the newer fields must stay optional: a client that required them would reject
    # every job an 8.8 server hands out (and those jobs would wait for their timeout).
    with pytest.raises(pytest.fail.Exception, match="rootProcessInstanceKey"):
        spec.validate_response("8.9", _activation_request(), _answer([JOB_8_8]))
    assert _activate("sync", [JOB_8_8])[0].root_process_instance_key is None


def test_an_8_10_job_carries_its_new_fields() -> None:
    [job, old] = _activate("sync", [JOB_8_10, JOB_8_10_PRE_8_10])
    assert (job.priority, job.business_id, job.physical_tenant_id) == (7, "order-4711", "default")
    assert job.lease_token == "lease-abc"
    assert "lease-abc" not in repr(job)
    assert (old.priority, old.business_id, old.lease_token) == (0, None, None)
