"""The official Python SDK's high-level client and its own ``JobWorker`` against the engine.

``camunda-orchestration-sdk`` (a test-only dependency, written outside this team) drives the
engine served over TCP the way a user's application drives a cluster: ``CamundaAsyncClient``
deploys from files, starts instances (also awaiting their completion), publishes and
correlates messages, searches, updates jobs and resolves incidents; the SDK's ``JobWorker``
long-polls, completes, fails (``JobFailure``) and throws BPMN errors (``JobError``). The SDK
reads every answer into its models, which refuse an answer missing a field the spec requires;
the engine's answers are also checked against the spec when each test ends. The SDK (10.x)
follows the newest spec, so the engine answers as 8.10.

The high-level client also works a user task (search, get, assign, unassign, update, its
variables, complete), reads element instances, variables, process definitions and message
subscriptions, searches instances by a variable, reads a call hierarchy, modifies an instance
to its end, pins and resets the clock, and reads incidents by instance, element and key,
statistics, effective variables, an expression, a signal and the status.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from camunda_worker.engine import Engine, EngineApp, EngineServer, ManualClock

from .conftest import ORDER_BPMN

sdk = pytest.importorskip("camunda_orchestration_sdk", reason="the official SDK is not installed")

from camunda_orchestration_sdk import (  # noqa: E402
    CamundaAsyncClient,
    ConnectedJobContext,
    JobError,
    JobFailure,
    WorkerConfig,
    errors,
)
from camunda_orchestration_sdk.models import (  # noqa: E402
    CancelProcessInstanceRequest,
    ClockPinRequest,
    ElementInstanceSearchQuery,
    ExpressionEvaluationRequest,
    IncidentSearchQuery,
    JobSearchQuery,
    JobUpdateRequest,
    MessageCorrelationRequest,
    MessagePublicationRequest,
    MessageSubscriptionSearchQuery,
    ProcessCreationById,
    ProcessDefinitionElementStatisticsQuery,
    ProcessDefinitionSearchQuery,
    ProcessInstanceModificationInstruction,
    ProcessInstanceSearchQuery,
    SetVariableRequest,
    SignalBroadcastRequest,
    UserTaskAssignmentRequest,
    UserTaskCompletionRequest,
    UserTaskSearchQuery,
    UserTaskUpdateRequest,
    VariableSearchQuery,
)

PAYMENT_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Definitions_payment"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="payment" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition messageRef="paid" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmn:message id="paid" name="paid">
    <bpmn:extensionElements>
      <zeebe:subscription correlationKey="=orderId" />
    </bpmn:extensionElements>
  </bpmn:message>
</bpmn:definitions>
"""
"""Waits at a message catch event for ``paid`` correlated by ``orderId``."""

_WAIT_S = 30


class _Workers:
    """The SDK workers a test started, stopped when it ends."""

    def __init__(self) -> None:
        self.started: list[Any] = []

    def start(self, client: CamundaAsyncClient, callback: Any, **config: Any) -> None:
        self.started.append(
            client.create_job_worker(config=_worker_config(**config), callback=callback)
        )


@pytest.fixture
def workers() -> _Workers:
    return _Workers()


@pytest_asyncio.fixture
async def camunda(
    make_app: Callable[..., EngineApp], tmp_path: Path, workers: _Workers
) -> AsyncIterator[CamundaAsyncClient]:
    """The SDK's async client on an 8.10 engine over TCP, ``order`` and ``payment`` deployed."""
    app = make_app(Engine(server_line="8.10", clock=ManualClock()))
    files = [tmp_path / "order.bpmn", tmp_path / "payment.bpmn"]
    files[0].write_text(ORDER_BPMN)
    files[1].write_text(PAYMENT_BPMN)
    with EngineServer(app) as server:
        configuration = {
            "CAMUNDA_REST_ADDRESS": server.url.removesuffix("/v2"),
            "CAMUNDA_AUTH_STRATEGY": "NONE",
        }
        async with CamundaAsyncClient(configuration=configuration) as client:
            deployed = await client.deploy_resources_from_files(list(files))
            assert {p.process_definition_id for p in deployed.processes} == {"order", "payment"}
            try:
                yield client
            finally:
                for worker in workers.started:
                    worker.stop()


async def _start(client: CamundaAsyncClient, process: str, **variables: Any) -> str:
    body = {"processDefinitionId": process, "variables": variables}
    created = await client.create_process_instance(data=ProcessCreationById.from_dict(body))
    return str(created.process_instance_key)


async def _until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(_WAIT_S * 20):
        if await check():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"not within {_WAIT_S} s: {what}")


async def _state(client: CamundaAsyncClient, key: str) -> tuple[str, bool]:
    instance = await client.get_process_instance(key)
    return str(instance.state.value), bool(instance.has_incident)


def _worker_config(**overrides: Any) -> WorkerConfig:
    options: dict[str, Any] = {
        "job_type": "charge",
        "job_timeout_milliseconds": 30_000,
        "request_timeout_milliseconds": 1_000,
        "max_concurrent_jobs": 4,
        "worker_name": "sdk-worker",
    }
    options.update(overrides)
    return WorkerConfig(**options)


@pytest.mark.asyncio
async def test_the_sdks_worker_completes_a_job_and_the_awaited_instance_returns(
    camunda: CamundaAsyncClient,
    workers: _Workers,
) -> None:
    async def charge(job: ConnectedJobContext) -> dict[str, object]:
        return {"paid": job.variables.to_dict()["amount"] * 2}

    workers.start(camunda, charge)
    body = {"processDefinitionId": "order", "variables": {"amount": 21}, "awaitCompletion": True}

    result = await camunda.create_process_instance(data=ProcessCreationById.from_dict(body))

    assert result.variables.to_dict() == {"amount": 21, "paid": 42}
    jobs = await camunda.search_jobs(
        data=JobSearchQuery.from_dict(
            {"filter": {"processInstanceKey": result.process_instance_key}}
        )
    )
    assert [(str(job.state.value), job.worker) for job in jobs.items] == [
        ("COMPLETED", "sdk-worker")
    ]


@pytest.mark.asyncio
async def test_the_sdks_job_error_takes_the_boundary_path(
    camunda: CamundaAsyncClient, workers: _Workers
) -> None:
    async def charge(job: ConnectedJobContext) -> dict[str, object]:
        raise JobError(error_code="DECLINED", message="no funds")

    workers.start(camunda, charge)
    key = await _start(camunda, "order", amount=500)

    await _until(lambda: _is(camunda, key, ("COMPLETED", False)), "the instance completes")
    jobs = await camunda.search_jobs(
        data=JobSearchQuery.from_dict({"filter": {"state": "ERROR_THROWN"}})
    )
    assert [str(job.process_instance_key) for job in jobs.items] == [key]


async def _is(client: CamundaAsyncClient, key: str, state: tuple[str, bool]) -> bool:
    return await _state(client, key) == state


@pytest.mark.asyncio
async def test_a_job_failure_raises_an_incident_the_sdk_finds_and_resolves(
    camunda: CamundaAsyncClient,
    workers: _Workers,
) -> None:
    attempts: list[str] = []

    async def charge(job: ConnectedJobContext) -> dict[str, object]:
        attempts.append(str(job.job_key))
        if len(attempts) == 1:
            raise JobFailure("card expired", retries=0)
        return {"paid": True}

    workers.start(camunda, charge)
    key = await _start(camunda, "order", amount=13)
    await _until(lambda: _is(camunda, key, ("ACTIVE", True)), "the instance has an incident")

    found = await camunda.search_incidents(
        data=IncidentSearchQuery.from_dict({"filter": {"processInstanceKey": key}})
    )
    (incident,) = found.items
    assert str(incident.error_type.value) == "JOB_NO_RETRIES"
    assert incident.error_message == "card expired"
    await camunda.update_job(
        incident.job_key, data=JobUpdateRequest.from_dict({"changeset": {"retries": 1}})
    )
    await camunda.resolve_incident(incident.incident_key)

    await _until(lambda: _is(camunda, key, ("COMPLETED", False)), "the instance completes")
    assert attempts == [str(incident.job_key)] * 2


@pytest.mark.asyncio
async def test_messages_reach_waiting_instances_through_the_sdk(
    camunda: CamundaAsyncClient,
) -> None:
    correlated_key = await _start(camunda, "payment", orderId="o-1")
    correlated = await camunda.correlate_message(
        data=MessageCorrelationRequest.from_dict(
            {"name": "paid", "correlationKey": "o-1", "variables": {"via": "correlation"}}
        )
    )
    published = await camunda.publish_message(
        data=MessagePublicationRequest.from_dict(
            {"name": "paid", "correlationKey": "o-2", "timeToLive": 60_000}
        )
    )
    buffered_key = await _start(camunda, "payment", orderId="o-2")

    assert str(correlated.process_instance_key) == correlated_key
    assert str(published.message_key).isdigit()
    assert await _state(camunda, correlated_key) == ("COMPLETED", False)
    assert await _state(camunda, buffered_key) == ("COMPLETED", False)
    with pytest.raises(errors.NotFoundError) as missing:
        await camunda.correlate_message(
            data=MessageCorrelationRequest.from_dict({"name": "paid", "correlationKey": "none"})
        )
    assert missing.value.parsed.title == "NOT_FOUND"


@pytest.mark.asyncio
async def test_search_sorts_and_pages_through_the_sdk(camunda: CamundaAsyncClient) -> None:
    keys = [await _start(camunda, "payment", orderId=f"o-{n}") for n in range(3)]
    # The SDK cannot send this request without a body (it serializes its UNSET marker).
    await camunda.cancel_process_instance(keys[1], data=CancelProcessInstanceRequest())

    active = await camunda.search_process_instances(
        data=ProcessInstanceSearchQuery.from_dict({"filter": {"state": "ACTIVE"}})
    )
    newest_first = await camunda.search_process_instances(
        data=ProcessInstanceSearchQuery.from_dict(
            {
                "sort": [{"field": "processInstanceKey", "order": "DESC"}],
                "page": {"from": 1, "limit": 1},
            }
        )
    )

    assert sorted(str(item.process_instance_key) for item in active.items) == [keys[0], keys[2]]
    assert [str(item.process_instance_key) for item in newest_first.items] == [keys[1]]
    assert newest_first.page.total_items == 3
    assert str(newest_first.items[0].state.value) == "TERMINATED"


_MODELS = Path(__file__).with_name("models")


@pytest.mark.asyncio
async def test_the_high_level_client_works_a_user_task_to_the_instance_end(
    camunda: CamundaAsyncClient,
) -> None:
    await camunda.deploy_resources_from_files([_MODELS / "user-task.bpmn"])
    key = await _start(camunda, "user-task", owner="ann", order={"total": 5})

    found = await camunda.search_user_tasks(
        data=UserTaskSearchQuery.from_dict({"filter": {"processInstanceKey": key}})
    )
    (task,) = found.items
    task_key = task.user_task_key
    await camunda.assign_user_task(
        task_key, data=UserTaskAssignmentRequest.from_dict({"assignee": "bob"})
    )
    assigned = (await camunda.get_user_task(task_key)).assignee
    await camunda.unassign_user_task(task_key)
    unassigned = await camunda.get_user_task(task_key)
    await camunda.update_user_task(
        task_key, data=UserTaskUpdateRequest.from_dict({"changeset": {"priority": 12}})
    )
    task_variables = await camunda.search_user_task_variables(task_key)
    await camunda.complete_user_task(
        task_key, data=UserTaskCompletionRequest.from_dict({"variables": {"approved": True}})
    )
    completed = await camunda.get_user_task(task_key)
    elements = await camunda.search_element_instances(
        data=ElementInstanceSearchQuery.from_dict({"filter": {"processInstanceKey": key}})
    )
    ship = next(e for e in elements.items if e.element_id == "ship")
    ship_read = await camunda.get_element_instance(ship.element_instance_key)
    variables = await camunda.search_variables(
        data=VariableSearchQuery.from_dict({"filter": {"processInstanceKey": key}})
    )
    approved = next(v for v in variables.items if v.name == "orderApproved")
    approved_read = await camunda.get_variable(approved.variable_key)
    await camunda.modify_process_instance(
        key,
        data=ProcessInstanceModificationInstruction.from_dict(
            {
                "terminateInstructions": [{"elementId": "ship"}],
                "activateInstructions": [{"elementId": "end"}],
            }
        ),
    )

    assert (task.assignee, assigned, unassigned.assignee) == ("ann", "bob", None)
    assert (completed.state.value, completed.priority) == ("COMPLETED", 12)
    assert sorted((v.name, v.value) for v in task_variables.items) == [
        ("amount", "5"),
        ("order", '{"total":5}'),
        ("owner", '"ann"'),
    ]
    assert str(ship_read.state.value) == "ACTIVE"
    assert approved_read.value == "true"
    assert await _state(camunda, key) == ("COMPLETED", False)


@pytest.mark.asyncio
async def test_the_high_level_client_reads_definitions_subscriptions_hierarchy_and_clock(
    camunda: CamundaAsyncClient, workers: _Workers
) -> None:
    await camunda.deploy_resources_from_files([_MODELS / "call-activity.bpmn"])
    waiting = await _start(camunda, "payment", orderId="o-9")
    parent = await _start(camunda, "call-activity")
    children = await camunda.search_process_instances(
        data=ProcessInstanceSearchQuery.from_dict({"filter": {"parentProcessInstanceKey": parent}})
    )
    (child,) = children.items

    definitions = await camunda.search_process_definitions(
        data=ProcessDefinitionSearchQuery.from_dict({"filter": {"processDefinitionId": "payment"}})
    )
    (definition,) = definitions.items
    got = await camunda.get_process_definition(definition.process_definition_key)
    xml = await camunda.get_process_definition_xml(definition.process_definition_key)
    subscriptions = await camunda.search_message_subscriptions(
        data=MessageSubscriptionSearchQuery.from_dict({"filter": {"processInstanceKey": waiting}})
    )
    by_variable = await camunda.search_process_instances(
        data=ProcessInstanceSearchQuery.from_dict(
            {
                "filter": {"variables": [{"name": "orderId", "value": '"o-9"'}]},
                "sort": [{"field": "startDate", "order": "DESC"}],
            }
        )
    )
    hierarchy = await camunda.get_process_instance_call_hierarchy(child.process_instance_key)
    await camunda.pin_clock(data=ClockPinRequest(timestamp=1_770_000_000_000))
    pinned = await camunda.get_process_instance(await _start(camunda, "payment", orderId="o-10"))
    await camunda.reset_clock()
    later = await camunda.get_process_instance(await _start(camunda, "payment", orderId="o-11"))

    assert (got.process_definition_id, got.version) == ("payment", 1)
    assert '<bpmn:process id="payment"' in xml
    assert [(s.message_name, s.correlation_key) for s in subscriptions.items] == [("paid", "o-9")]
    assert [str(i.process_instance_key) for i in by_variable.items] == [waiting]
    assert [str(h.process_instance_key) for h in hierarchy] == [
        parent,
        str(child.process_instance_key),
    ]
    assert pinned.start_date.timestamp() == 1_770_000_000
    assert later.start_date.timestamp() > 1_770_000_000


@pytest.mark.asyncio
async def test_the_high_level_client_reads_incidents_statistics_and_the_rest(
    camunda: CamundaAsyncClient, workers: _Workers
) -> None:
    async def charge(job: ConnectedJobContext) -> dict[str, object]:
        raise JobFailure("card expired", retries=0)

    workers.start(camunda, charge)
    await camunda.deploy_resources_from_files([_MODELS / "user-task.bpmn"])
    failing = await _start(camunda, "order", amount=13)
    await _until(lambda: _is(camunda, failing, ("ACTIVE", True)), "the instance has an incident")
    waiting = await _start(camunda, "user-task", owner="ann", order={"total": 5})

    (incident,) = (await camunda.search_process_instance_incidents(failing)).items
    by_key = await camunda.get_incident(incident.incident_key)
    of_element = await camunda.search_element_instance_incidents(
        incident.element_instance_key, data=IncidentSearchQuery()
    )
    await camunda.create_element_instance_variables(
        waiting, data=SetVariableRequest.from_dict({"variables": {"set": "over REST"}})
    )
    (task,) = (
        await camunda.search_user_tasks(
            data=UserTaskSearchQuery.from_dict({"filter": {"processInstanceKey": waiting}})
        )
    ).items
    effective = await camunda.search_user_task_effective_variables(task.user_task_key)
    instance_statistics = await camunda.get_process_instance_statistics(waiting)
    definition_statistics = await camunda.get_process_definition_statistics(
        task.process_definition_key, data=ProcessDefinitionElementStatisticsQuery()
    )
    # The SDK's from_dict fails on an unset scopeKey; the constructor does not.
    evaluated = await camunda.evaluate_expression(
        data=ExpressionEvaluationRequest(expression="=1 + 2")
    )
    signal = await camunda.broadcast_signal(
        data=SignalBroadcastRequest.from_dict({"signalName": "nobody-listens"})
    )
    await camunda.get_status()
    # Not the forms: the engine answers 204 (no forms), which the spec allows and the SDK's
    # get_user_task_form / get_start_process_form refuse (they assert a parsed 200 body).

    assert (by_key.error_message, str(by_key.state.value)) == ("card expired", "ACTIVE")
    assert [str(i.incident_key) for i in of_element.items] == [str(incident.incident_key)]
    assert sorted((v.name, v.value) for v in effective.items) == [
        ("amount", "5"),
        ("order", '{"total":5}'),
        ("owner", '"ann"'),
        ("set", '"over REST"'),
    ]
    assert sorted((s.element_id, s.active) for s in instance_statistics.items) == [
        ("approve", 1),
        ("start", 0),
    ]
    assert [(s.element_id, s.active) for s in definition_statistics.items if s.active] == [
        ("approve", 1)
    ]
    assert evaluated.result == 3
    assert str(signal.signal_key).isdigit()
