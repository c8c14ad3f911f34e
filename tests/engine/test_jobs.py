"""Jobs through Camunda's lifecycle: activation, timeout, completion, failure and back-off,
incidents, BPMN errors, updates, variables, tenants, leases and search."""

from __future__ import annotations

import contextlib
import enum
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest

from camunda_worker.engine._runtime.clock import ManualClock
from camunda_worker.engine._runtime.core import Engine
from camunda_worker.engine._runtime.errors import EngineError

from ._bpmn_samples import MINIMAL, ONE_TASK, resource

pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return Engine(clock=clock)


async def activate(engine: Engine, job_type: str = "work", **options: Any) -> list[dict[str, Any]]:
    arguments: dict[str, Any] = {
        "job_type": job_type,
        "max_jobs_to_activate": 10,
        "timeout_ms": 30_000,
        "worker": "worker-1",
        "request_timeout_ms": -1,
    }
    arguments.update(options)
    return await engine.activate_jobs(**arguments)


@contextlib.contextmanager
def refused(status: int, title: str, detail: str | None = None) -> Iterator[None]:
    """Expect an EngineError with this status and title, and a detail matching the regex."""
    with pytest.raises(EngineError) as raised:
        yield
    assert (raised.value.status, raised.value.title) == (status, title)
    if detail is not None:
        assert re.search(detail, raised.value.detail), raised.value.detail


async def test_an_activated_job_carries_everything_a_worker_needs(
    engine: Engine, clock: ManualClock
) -> None:
    engine.deploy(resource(ONE_TASK))
    created = engine.create_process_instance(
        process_definition_id="order-process", variables={"orderId": 7, "amount": 12.5}
    )
    [job] = await activate(engine, "charge-card", worker="payments-1", timeout_ms=5_000)
    assert job["type"] == "charge-card"
    assert job["worker"] == "payments-1"
    assert job["deadline"] == clock.now_ms() + 5_000
    assert job["retries"] == 5
    assert job["customHeaders"] == {"currency": "EUR", "provider": "acme"}
    assert job["variables"] == {"orderId": 7, "amount": 12.5}
    assert job["processInstanceKey"] == created["processInstanceKey"]
    assert job["processDefinitionKey"] == created["processDefinitionKey"]
    assert job["processDefinitionId"] == "order-process"
    assert job["processDefinitionVersion"] == 1
    assert job["elementId"] == "Task_Charge"
    assert job["tenantId"] == "<default>"
    assert all(job[name].isdigit() for name in ("jobKey", "elementInstanceKey"))
    [view] = engine.jobs(job_type="charge-card")
    assert view.lifecycle == "ACTIVATED"
    assert view.state == "CREATED"
    assert view.worker == "payments-1"


async def test_an_activated_job_is_not_handed_out_again_until_it_times_out(
    engine: Engine, clock: ManualClock
) -> None:
    key = engine.create_job("work")
    [first] = await activate(engine, timeout_ms=1_000, worker="slow")
    assert first["jobKey"] == key
    assert await activate(engine) == []
    clock.advance(999)
    assert await activate(engine) == []
    clock.advance(1)
    [again] = await activate(engine, worker="fast")
    assert again["jobKey"] == key
    assert again["worker"] == "fast"
    assert engine.stats().jobs_timed_out == 1


async def test_a_timed_out_job_reports_timed_out_and_is_activatable(
    engine: Engine, clock: ManualClock
) -> None:
    engine.create_job("work")
    await activate(engine, timeout_ms=10)
    clock.advance(10)
    [view] = engine.jobs()
    assert view.state == "TIMED_OUT"
    assert view.lifecycle == "ACTIVATABLE"
    assert view.deadline_ms is None


async def test_the_old_worker_can_still_complete_after_its_timeout(
    engine: Engine, clock: ManualClock
) -> None:
    key = engine.create_job("work")
    await activate(engine, timeout_ms=10)
    clock.advance(50)
    engine.complete_job(key, {"late": True})
    [view] = engine.jobs()
    assert view.lifecycle == "COMPLETED"
    assert view.variables == {"late": True}


async def test_without_a_lease_any_worker_may_complete_a_reactivated_job(
    engine: Engine, clock: ManualClock
) -> None:
    key = engine.create_job("work")
    await activate(engine, timeout_ms=10, worker="old")
    clock.advance(10)
    await activate(engine, worker="new")
    engine.complete_job(key)  # as in Camunda: no worker check without a lease
    assert engine.jobs()[0].state == "COMPLETED"


async def test_with_a_lease_only_the_current_holder_may_finish_the_job(clock: ManualClock) -> None:
    engine = Engine(clock=clock, server_line="8.10")  # leases are new in 8.10
    key = engine.create_job("work")
    [old] = await activate(engine, timeout_ms=10, with_lease=True)
    clock.advance(10)
    [new] = await activate(engine, with_lease=True)
    assert old["leaseToken"]
    assert new["leaseToken"]
    assert old["leaseToken"] != new["leaseToken"]
    with refused(409, "INVALID_STATE", "supplied lease token does not match"):
        engine.complete_job(key, lease_token=old["leaseToken"])
    with refused(409, "INVALID_STATE", "a matching lease token must be provided"):
        engine.fail_job(key, retries=1)
    with refused(409, "INVALID_STATE", "lease token"):
        engine.throw_job_error(key, error_code="X", lease_token="forged")
    engine.complete_job(key, lease_token=new["leaseToken"])


async def test_completion_variables_merge_into_the_process_instance(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    created = engine.create_process_instance(
        process_definition_id="minimal", variables={"a": 1, "b": {"x": 1}}
    )
    [job] = await activate(engine)
    engine.complete_job(job["jobKey"], {"b": {"y": 2}, "c": 3})
    instance = engine.process_instance(created["processInstanceKey"])
    assert instance.state == "COMPLETED"
    assert instance.variables == {"a": 1, "b": {"y": 2}, "c": 3}


async def test_completing_twice_or_an_unknown_job_is_not_found(engine: Engine) -> None:
    key = engine.create_job("work")
    engine.complete_job(key)
    with refused(404, "NOT_FOUND", f"Expected to complete job with key '{key}', but no such job"):
        engine.complete_job(key)
    with refused(404, "NOT_FOUND", "Command 'FAIL' rejected with code 'NOT_FOUND'"):
        engine.fail_job("123", retries=1)
    with refused(404, "NOT_FOUND", "Expected to throw an error for job with key '123'"):
        engine.throw_job_error("123", error_code="E")
    with refused(404, "NOT_FOUND", "Expected to update job with key '123'"):
        engine.update_job("123", retries=1)
    with refused(400, "INVALID_ARGUMENT", "numeric key"):
        engine.complete_job("not-a-key")


async def test_a_job_can_be_completed_without_being_activated(engine: Engine) -> None:
    key = engine.create_job("work")
    engine.complete_job(key)
    assert await activate(engine) == []


async def test_failing_with_retries_left_makes_the_job_activatable_again(engine: Engine) -> None:
    key = engine.create_job("work", retries=3)
    await activate(engine)
    engine.fail_job(key, retries=2, error_message="boom")
    [view] = engine.jobs()
    assert (view.state, view.lifecycle, view.retries) == ("FAILED", "ACTIVATABLE", 2)
    assert view.error_message == "boom"
    assert engine.search_jobs()["items"][0]["hasFailedWithRetriesLeft"] is True
    [job] = await activate(engine)
    assert job["retries"] == 2


async def test_a_retry_back_off_delays_the_next_activation(
    engine: Engine, clock: ManualClock
) -> None:
    key = engine.create_job("work")
    await activate(engine)
    engine.fail_job(key, retries=2, retry_back_off_ms=5_000)
    assert await activate(engine) == []
    with refused(409, "INVALID_STATE", "but it is in state 'FAILED'"):
        engine.complete_job(key)
    clock.advance(4_999)
    assert await activate(engine) == []
    clock.advance(1)
    [job] = await activate(engine)
    assert job["jobKey"] == key


async def test_failing_without_retries_raises_an_incident_and_refuses_further_commands(
    engine: Engine,
) -> None:
    key = engine.create_job("work")
    await activate(engine)
    engine.fail_job(key, retries=0, error_message="card declined")
    [incident] = engine.incidents()
    assert incident.error_type == "JOB_NO_RETRIES"
    assert incident.error_message == "card declined"
    assert incident.job_key == key
    [view] = engine.jobs()
    assert view.incident_key == incident.key
    assert view.lifecycle == "FAILED"
    with refused(409, "INVALID_STATE", f"job with key '{key}', but it is in state 'FAILED'"):
        engine.complete_job(key)
    with refused(409, "INVALID_STATE"):
        engine.fail_job(key, retries=1)
    assert await activate(engine) == []


async def test_an_incident_without_message_says_no_retries_left(engine: Engine) -> None:
    key = engine.create_job("work")
    engine.fail_job(key, retries=0)
    assert engine.incidents()[0].error_message == "No more retries left."


async def test_an_incident_is_resolved_after_retries_are_given_back(engine: Engine) -> None:
    key = engine.create_job("work")
    engine.fail_job(key, retries=0)
    [incident] = engine.incidents()
    with refused(409, "INVALID_STATE", "has no retries left"):
        engine.resolve_incident(incident.key)
    engine.update_job(key, retries=2)
    assert engine.jobs()[0].state == "RETRIES_UPDATED"
    assert await activate(engine) == []  # retries alone do not resolve the incident
    engine.resolve_incident(incident.key)
    assert engine.incidents() == []
    assert engine.incidents(include_resolved=True)[0].state == "RESOLVED"
    [job] = await activate(engine)
    assert job["retries"] == 2
    with refused(404, "NOT_FOUND", "no such incident"):
        engine.resolve_incident(incident.key)


async def test_an_uncaught_bpmn_error_of_a_standalone_job_is_an_incident(engine: Engine) -> None:
    key = engine.create_job("work")
    engine.throw_job_error(key, error_code="NOPE", error_message="bad input", variables={"v": 1})
    [incident] = engine.incidents()
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    assert "'NOPE'" in incident.error_message
    assert "bad input" in incident.error_message
    [view] = engine.jobs()
    assert (view.state, view.lifecycle, view.error_code) == ("ERROR_THROWN", "ERROR_THROWN", "NOPE")
    assert view.result_variables == {"v": 1}
    with refused(409, "INVALID_STATE", "in state 'ERROR_THROWN'"):
        engine.complete_job(key)
    engine.resolve_incident(incident.key)
    assert [job["jobKey"] for job in await activate(engine)] == [key]


async def test_a_blank_error_code_is_refused(engine: Engine) -> None:
    key = engine.create_job("work")
    with refused(400, "INVALID_ARGUMENT", "^No errorCode provided.$"):
        engine.throw_job_error(key, error_code=" ")


async def test_update_changes_retries_and_the_deadline(clock: ManualClock) -> None:
    engine = Engine(clock=clock, server_line="8.10")  # TIMEOUT_UPDATED is new in 8.10
    key = engine.create_job("work")
    await activate(engine, timeout_ms=1_000)
    engine.update_job(key, retries=7)
    engine.update_job(key, timeout_ms=60_000)
    [view] = engine.jobs()
    assert view.retries == 7
    assert view.deadline_ms == clock.now_ms() + 60_000
    assert view.state == "TIMEOUT_UPDATED"
    clock.advance(1_000)
    assert await activate(engine) == []  # the old deadline no longer applies
    clock.advance(59_000)
    assert len(await activate(engine)) == 1


async def test_update_refuses_what_camunda_refuses(engine: Engine) -> None:
    key = engine.create_job("work")
    with refused(
        400, "INVALID_ARGUMENT", "At least one field between retries, timeout is required"
    ):
        engine.update_job(key)
    with refused(
        400, "INVALID_ARGUMENT", "The value for retries is '0' but must be greater than 0"
    ):
        engine.update_job(key, retries=0)
    with refused(
        400, "INVALID_ARGUMENT", "The value for timeout is '0' but must be greater than 0"
    ):
        engine.update_job(key, timeout_ms=0)
    with refused(400, "INVALID_ARGUMENT", f"timeout of job with key '{key}', but it is not active"):
        engine.update_job(key, timeout_ms=1_000)


async def test_fetch_variable_hands_over_only_the_named_variables(engine: Engine) -> None:
    engine.create_job("work", variables={"a": 1, "b": 2, "c": 3})
    [job] = await activate(engine, fetch_variable=["a", "c", "missing"])
    assert job["variables"] == {"a": 1, "c": 3}


async def test_failure_variables_stay_with_the_job(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    created = engine.create_process_instance(process_definition_id="minimal", variables={"a": 1})
    [job] = await activate(engine)
    engine.fail_job(job["jobKey"], retries=1, variables={"attempt": 1})
    [again] = await activate(engine)
    assert again["variables"] == {"a": 1, "attempt": 1}
    assert engine.process_instance(created["processInstanceKey"]).variables == {"a": 1}


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


class Colour(enum.IntEnum):
    RED = 1


NOT_JSON = [
    pytest.param({1, 2}, "set", id="set"),
    pytest.param({"in": [1, {"deeper": object()}]}, "object", id="object-inside"),
    pytest.param(b"raw", "bytes", id="bytes"),
    pytest.param(math.nan, "NaN", id="nan"),
    pytest.param([math.inf], "Infinity", id="infinity-inside"),
    pytest.param("caf\ud800", "surrogate", id="lone-surrogate"),
    pytest.param(_nested(5_000), "levels", id="too-deep"),
]


@pytest.mark.parametrize(("value", "says"), NOT_JSON)
async def test_variables_that_are_not_json_are_refused_before_they_poison_activations(
    engine: Engine, value: Any, says: str
) -> None:
    # Held, such a variable would make every activation answer with its job unencodable: the
    # whole batch activated and never delivered. Refused when given, as a cluster would.
    engine.deploy(resource(MINIMAL))
    plain = engine.create_process_instance(process_definition_id="minimal", variables={"a": 1})
    [job] = await activate(engine)
    calls: list[Any] = [
        lambda: engine.create_job("work", variables={"x": value}),
        lambda: engine.create_process_instance(
            process_definition_id="minimal", variables={"x": value}
        ),
        lambda: engine.set_variables(plain["processInstanceKey"], {"x": value}),
        lambda: engine.fail_job(job["jobKey"], retries=1, variables={"x": value}),
        lambda: engine.throw_job_error(job["jobKey"], error_code="E", variables={"x": value}),
        lambda: engine.complete_job(job["jobKey"], {"x": value}),
    ]
    for call in calls:
        with refused(400, "INVALID_ARGUMENT", f"variable 'x' .*{says}"):
            call()
    engine.complete_job(job["jobKey"], {"done": True})
    assert engine.process_instance(plain["processInstanceKey"]).variables == {"a": 1, "done": True}
    assert len(engine.jobs()) == 1
    assert len(engine.process_instances()) == 1


async def test_json_values_python_writes_differently_are_held_as_json(engine: Engine) -> None:
    engine.create_job(
        "work", variables={"t": (1, (2, 3)), "c": Colour.RED, "m": {"k": [Colour.RED]}}
    )
    [job] = await activate(engine)
    assert job["variables"] == {"t": [1, [2, 3]], "c": 1, "m": {"k": [1]}}
    assert type(job["variables"]["c"]) is int


async def test_jobs_go_only_to_requests_for_their_tenant(engine: Engine) -> None:
    acme = engine.create_job("work", tenant_id="acme")
    globex = engine.create_job("work", tenant_id="globex")
    assert await activate(engine, tenant_ids=["initech"]) == []
    [job] = await activate(engine, tenant_ids=["globex"])
    assert (job["jobKey"], job["tenantId"]) == (globex, "globex")
    [job] = await activate(engine)  # no tenant filter: every tenant
    assert job["jobKey"] == acme


async def test_activation_hands_out_the_lowest_keys_first_up_to_the_maximum(
    engine: Engine,
) -> None:
    keys = [engine.create_job("work") for _ in range(5)]
    first = await activate(engine, max_jobs_to_activate=3)
    second = await activate(engine, max_jobs_to_activate=3)
    assert [job["jobKey"] for job in first] == keys[:3]
    assert [job["jobKey"] for job in second] == keys[3:]


async def test_jobs_of_several_tenants_come_lowest_key_first(engine: Engine) -> None:
    keys = [engine.create_job("work", tenant_id=tenant) for tenant in ("a", "b", "a", "b")]
    jobs = await activate(engine)
    assert [job["jobKey"] for job in jobs] == keys


async def test_invalid_activation_requests_are_refused_like_the_gateway(engine: Engine) -> None:
    with refused(
        400,
        "INVALID_ARGUMENT",
        "^No type provided. The value for timeout is '0' but must be greater than 0. "
        "The value for maxJobsToActivate is '0' but must be greater than 0.$",
    ):
        await engine.activate_jobs(job_type=" ", max_jobs_to_activate=0, timeout_ms=0, worker="w")


async def test_standalone_jobs_need_a_type_and_non_negative_retries(engine: Engine) -> None:
    with refused(400, "INVALID_ARGUMENT", "No type provided"):
        engine.create_job("")
    with refused(400, "INVALID_ARGUMENT", "retries"):
        engine.create_job("work", retries=-1)


async def test_a_standalone_job_has_no_process_keys(engine: Engine) -> None:
    engine.create_job("work", custom_headers={"h": "v"}, variables={"x": 1})
    [job] = await activate(engine)
    assert job["processInstanceKey"] == "-1"
    assert job["customHeaders"] == {"h": "v"}
    [view] = engine.jobs()
    assert view.process_instance_key is None
    assert view.element_instance_key is None


async def test_search_filters_jobs_by_type_state_and_process_instance(engine: Engine) -> None:
    engine.deploy(resource(MINIMAL))
    created = engine.create_process_instance(process_definition_id="minimal")
    bpmn_job = engine.jobs(job_type="work")[0].key
    done = engine.create_job("other")
    engine.complete_job(done)
    assert [item["jobKey"] for item in engine.search_jobs({"type": "work"})["items"]] == [bpmn_job]
    completed = engine.search_jobs({"state": "COMPLETED"})
    assert [item["jobKey"] for item in completed["items"]] == [done]
    assert completed["items"][0]["endTime"].endswith("Z")
    by_instance = engine.search_jobs({"processInstanceKey": created["processInstanceKey"]})
    assert by_instance["page"]["totalItems"] == 1
    advanced = engine.search_jobs({"type": {"$in": ["work", "other"]}, "retries": {"$gte": 3}})
    assert advanced["page"]["totalItems"] == 2
    assert engine.search_jobs({"type": {"$like": "wo*"}})["page"]["totalItems"] == 1
    assert engine.search_jobs({"type": {"$neq": "work"}})["page"]["totalItems"] == 1
    assert engine.search_jobs({"errorCode": {"$exists": False}})["page"]["totalItems"] == 2
    assert engine.search_jobs({"type": {"$notIn": ["work"]}})["page"]["totalItems"] == 1


async def test_search_pages_forward_with_the_end_cursor(engine: Engine) -> None:
    keys = [engine.create_job("work") for _ in range(5)]
    first = engine.search_jobs(limit=2)
    second = engine.search_jobs(limit=2, after=first["page"]["endCursor"])
    third = engine.search_jobs(limit=2, after=second["page"]["endCursor"])
    pages = [first, second, third]
    assert [item["jobKey"] for page in pages for item in page["items"]] == keys
    assert all(page["page"]["totalItems"] == 5 for page in pages)
    empty = engine.search_jobs(limit=2, after=third["page"]["endCursor"])
    assert empty["items"] == []
    assert empty["page"]["endCursor"] is None


async def test_search_refuses_what_it_cannot_do(engine: Engine) -> None:
    engine.create_job("work")
    with refused(400, "INVALID_ARGUMENT", "Filtering by 'nonsense'"):
        engine.search_jobs({"nonsense": 1})
    with refused(400, "INVALID_ARGUMENT", "filter operator '\\$regex'"):
        engine.search_jobs({"type": {"$regex": "x"}})
    with refused(400, "INVALID_ARGUMENT", "must be an array"):
        engine.search_jobs({"type": {"$in": "work"}})
    with refused(400, "INVALID_ARGUMENT", "cursor"):
        engine.search_jobs(after="%%%")
    with refused(400, "INVALID_ARGUMENT", "page.limit"):
        engine.search_jobs(limit=0)


async def test_dates_in_filters_compare_as_instants(engine: Engine, clock: ManualClock) -> None:
    engine.create_job("work")
    clock.advance(60_000)
    engine.create_job("work")
    found = engine.search_jobs({"creationTime": {"$gt": "2025-01-01T00:00:30Z"}})
    assert found["page"]["totalItems"] == 1
    found = engine.search_jobs({"creationTime": {"$lte": "2025-01-01T00:00:00Z"}})
    assert found["page"]["totalItems"] == 1
