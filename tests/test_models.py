from __future__ import annotations

import json
import pickle
from typing import Any

import pydantic
import pytest

from camunda_worker._api.models import (
    ActivatedJob,
    CreatedProcessInstance,
    DeploymentResult,
    JobSearchResult,
    ProcessInstance,
    PublishedMessage,
    Topology,
    parse_activated_jobs,
)

WIRE_JOB: dict[str, Any] = {
    "type": "payment",
    "processDefinitionId": "order",
    "processDefinitionVersion": 3,
    "elementId": "charge",
    "customHeaders": {"region": "eu"},
    "worker": "w1",
    "retries": 3,
    "deadline": 1767225600000,
    "variables": {"amount": 42, "items": [1, 2]},
    "tenantId": "<default>",
    "jobKey": "2251799813685249",
    "processInstanceKey": "2251799813685250",
    "processDefinitionKey": "2251799813685251",
    "elementInstanceKey": "2251799813685252",
    "kind": "BPMN_ELEMENT",
    "listenerEventType": "UNSPECIFIED",
}


def _job(**changes: Any) -> ActivatedJob:
    return parse_activated_jobs(json.dumps({"jobs": [{**WIRE_JOB, **changes}]}))[0]


def test_activated_job_reads_wire_names_into_snake_case() -> None:
    job = _job()
    assert job.job_key == "2251799813685249"
    assert job.job_type == "payment"
    assert job.process_definition_version == 3
    assert job.custom_headers == {"region": "eu"}
    assert job.variables == {"amount": 42, "items": [1, 2]}
    assert job.deadline == 1767225600000


def test_fields_newer_servers_send_are_optional() -> None:
    job = _job()
    assert job.tags == ()
    assert job.user_task is None
    assert job.root_process_instance_key is None
    assert (job.priority, job.business_id, job.lease_token, job.physical_tenant_id) == (
        None,
        None,
        None,
        None,
    )


def test_kind_and_listener_event_type_default_for_servers_before_8_8() -> None:
    wire = {k: v for k, v in WIRE_JOB.items() if k not in ("kind", "listenerEventType")}
    [job] = parse_activated_jobs(json.dumps({"jobs": [wire]}))
    assert (job.kind, job.listener_event_type) == ("BPMN_ELEMENT", "UNSPECIFIED")


def test_unknown_fields_are_ignored() -> None:
    job = _job(someFieldFrom811="x", jobPriorityClass={"a": 1})
    assert not hasattr(job, "someFieldFrom811")
    assert "someFieldFrom811" not in job.model_dump()


def test_keys_sent_as_json_numbers_become_strings() -> None:
    job = _job(jobKey=2251799813685249, processInstanceKey=7, rootProcessInstanceKey=7)
    assert job.job_key == "2251799813685249"
    assert job.process_instance_key == "7"
    assert job.root_process_instance_key == "7"


def test_a_job_missing_a_required_field_is_unreadable_and_the_others_are_read() -> None:
    wire = {k: v for k, v in WIRE_JOB.items() if k != "processInstanceKey"}
    jobs = parse_activated_jobs(json.dumps({"jobs": [wire, {**WIRE_JOB, "jobKey": "7"}]}))
    assert [job.job_key for job in jobs] == ["7"]
    [unreadable] = jobs.unreadable
    assert unreadable.job_key == "2251799813685249"
    assert (unreadable.job_type, unreadable.retries) == ("payment", 3)
    assert "processInstanceKey" in unreadable.reason


def test_an_unreadable_job_reason_never_shows_values() -> None:
    wire = {**WIRE_JOB, "retries": "secret-value", "customHeaders": {"h": ["secret-too"]}}
    [unreadable] = parse_activated_jobs(json.dumps({"jobs": [wire]})).unreadable
    assert "retries" in unreadable.reason
    assert "customHeaders.h" in unreadable.reason
    assert "secret" not in unreadable.reason
    assert unreadable.retries is None


def _nested(depth: int) -> str:
    return '{"a":' * depth + "[1]" + "}" * depth


def test_jobs_too_deep_for_pydantic_are_read_one_by_one_as_in_one_pass() -> None:
    # 250 levels: pydantic-core's parser stops at 200, the standard library's goes on.
    deep = json.dumps({**WIRE_JOB, "jobKey": 5, "variables": {"deep": None, "n": 1}, "new": 1})
    deep = deep.replace('"deep": null', f'"deep": {_nested(250)}')
    body = f'{{"jobs": [{json.dumps(WIRE_JOB)}, {deep}], "future": {_nested(300)}}}'
    first, second = parse_activated_jobs(body.encode())
    assert first == _job()
    assert second.job_key == "5"  # a key sent as a number still becomes a string
    assert second.variables["n"] == 1
    assert second.model_dump(exclude={"job_key", "variables"}) == first.model_dump(
        exclude={"job_key", "variables"}
    )


def test_a_job_too_deep_for_every_decoder_is_unreadable_with_its_key_and_variable() -> None:
    deep = json.dumps({**WIRE_JOB, "variables": {"fine": {"x": 1}, "deep": None}})
    deep = deep.replace('"deep": null', f'"deep": {_nested(5000)}')
    jobs = parse_activated_jobs(f'{{"jobs": [{deep}, {json.dumps(WIRE_JOB)}]}}')
    assert len(jobs) == 1
    [unreadable] = jobs.unreadable
    assert unreadable.job_key == "2251799813685249"
    assert (unreadable.retries, unreadable.deadline) == (3, 1767225600000)
    assert "variable 'deep' nests 5001 levels deep" in unreadable.reason
    assert "fine" not in unreadable.reason


def test_brackets_quotes_and_escapes_inside_strings_do_not_confuse_the_split() -> None:
    tricky = 'a "}]," \\" {[ \u00e9 \n'
    names = {"k}": tricky, "[": [tricky, {'"': tricky}]}
    first = {**WIRE_JOB, "jobKey": "1", "variables": names, "elementId": tricky}
    deep = json.dumps({**WIRE_JOB, "jobKey": "2", "variables": {"s": tricky, "deep": None}})
    deep = deep.replace('"deep": null', f'"deep": {_nested(300)}')
    spaced = json.dumps({"jobs": [first, {**WIRE_JOB, "jobKey": "3"}]}, indent=3)
    body = spaced.replace('"jobs": [', f'"jobs" :\n [ {deep} ,\n\t', 1)
    jobs = parse_activated_jobs(body)
    assert [job.job_key for job in jobs] == ["2", "1", "3"]
    assert jobs[1].variables == names
    assert jobs[1].element_id == tricky
    assert jobs[0].variables["s"] == tricky


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"jobs": {}}', b'{"nojobs": []}', b'{"jobs": [{"a": 1}', b"[]", b"\xff"],
)
def test_an_answer_that_is_not_a_jobs_document_is_still_an_error(body: bytes) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_activated_jobs(body)


def test_an_item_that_is_no_job_at_all_is_unreadable_without_a_key() -> None:
    jobs = parse_activated_jobs(f'{{"jobs": [3, "x", {json.dumps(WIRE_JOB)}]}}')
    assert len(jobs) == 1
    assert [job.job_key for job in jobs.unreadable] == [None, None]


def test_a_job_is_frozen_picklable_and_constructible_by_field_name() -> None:
    job = _job(tags=["a"], priority=5)
    with pytest.raises(pydantic.ValidationError):
        job.retries = 0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(job)) == job
    by_name = ActivatedJob(**{name: getattr(job, name) for name in ActivatedJob.model_fields})
    assert by_name == job


def test_lease_token_is_not_in_the_repr() -> None:
    job = _job(leaseToken="secret-lease")
    assert job.lease_token == "secret-lease"
    assert "secret-lease" not in repr(job)


def test_empty_activation_answer_is_an_empty_list() -> None:
    jobs = parse_activated_jobs(b'{"jobs": []}')
    assert jobs == []
    assert jobs.unreadable == ()
    assert pickle.loads(pickle.dumps(jobs)).unreadable == ()


def test_deployment_lifts_processes_out_of_deployments() -> None:
    result = DeploymentResult.model_validate(
        {
            "deploymentKey": 9,
            "tenantId": "<default>",
            "deployments": [
                {
                    "processDefinition": {
                        "processDefinitionId": "order",
                        "processDefinitionVersion": 2,
                        "resourceName": "order.bpmn",
                        "tenantId": "<default>",
                        "processDefinitionKey": "11",
                    },
                    "decisionDefinition": None,
                },
                {"processDefinition": None, "form": {"formId": "f", "formKey": "12"}},
            ],
        }
    )
    assert result.deployment_key == "9"
    [process] = result.processes
    assert (process.process_definition_id, process.process_definition_version) == ("order", 2)
    assert process.process_definition_key == "11"
    assert process.resource_name == "order.bpmn"
    assert len(result.deployments) == 2


def test_created_process_instance_has_variables_only_when_awaited() -> None:
    wire = {
        "processDefinitionId": "order",
        "processDefinitionKey": "11",
        "processDefinitionVersion": 2,
        "tenantId": "<default>",
        "processInstanceKey": "12",
    }
    assert CreatedProcessInstance.model_validate(wire).variables == {}
    awaited = CreatedProcessInstance.model_validate({**wire, "variables": {"paid": True}})
    assert awaited.variables == {"paid": True}


def test_search_results_read_items_and_page() -> None:
    jobs = JobSearchResult.model_validate(
        {
            "items": [
                {
                    "jobKey": "1",
                    "type": "payment",
                    "state": "FAILED",
                    "retries": 0,
                    "processInstanceKey": "2",
                    "processDefinitionId": "order",
                    "processDefinitionKey": "3",
                    "elementInstanceKey": "4",
                    "tenantId": "<default>",
                    "errorMessage": "boom",
                }
            ],
            "page": {"totalItems": 1, "endCursor": "abc"},
        }
    )
    [item] = jobs.items
    assert (item.job_type, item.state, item.retries, item.error_message) == (
        "payment",
        "FAILED",
        0,
        "boom",
    )
    assert (jobs.page.total_items, jobs.page.end_cursor) == (1, "abc")


def test_process_instance_from_8_8_shape() -> None:
    instance = ProcessInstance.model_validate(
        {
            "processDefinitionId": "order",
            "processDefinitionName": "Order",
            "processDefinitionVersion": 1,
            "startDate": "2026-01-01T00:00:00Z",
            "state": "COMPLETED",
            "hasIncident": False,
            "tenantId": "<default>",
            "processInstanceKey": "5",
            "processDefinitionKey": "6",
        }
    )
    assert (instance.state, instance.end_date, instance.tags) == ("COMPLETED", None, ())


def test_topology_and_published_message() -> None:
    topology = Topology.model_validate(
        {
            "brokers": [
                {
                    "nodeId": 0,
                    "host": "h",
                    "port": 26501,
                    "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
                    "version": "8.8.0",
                }
            ],
            "clusterSize": 1,
            "partitionsCount": 1,
            "replicationFactor": 1,
            "gatewayVersion": "8.8.0",
            "lastCompletedChangeId": "-1",
        }
    )
    assert topology.brokers[0].partitions[0].role == "leader"
    assert topology.cluster_id is None
    message = PublishedMessage.model_validate({"messageKey": 3, "tenantId": "<default>"})
    assert message.message_key == "3"
