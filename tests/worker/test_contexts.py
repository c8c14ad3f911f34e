"""What a handler gets: the job's fields, a bound logger, a client that notices acknowledgements."""

from __future__ import annotations

from typing import Any, cast

import pydantic
import pytest
from conftest import FakeAsyncClient, FakeSyncClient, make_job
from loguru import logger

from camunda_worker.worker import AsyncJobContext, ConnectedJobContext, JobContext, SyncJobContext
from camunda_worker.worker._tracking import AsyncTrackingClient, SyncTrackingClient


class Order(pydantic.BaseModel):
    order_id: str
    total: float


def test_the_context_exposes_the_job_fields() -> None:
    job = make_job("42", retries=2, order_id="A", total=3)
    context = JobContext(job=job, log=cast(Any, logger))
    assert context.job_key == "42"
    assert context.job_type == "work"
    assert context.retries == 2
    assert context.variables == {"order_id": "A", "total": 3}
    assert context.process_instance_key == "9000"
    assert context.process_definition_id == "process"
    assert context.process_definition_version == 1
    assert context.process_definition_key == "8000"
    assert context.element_id == "task"
    assert context.element_instance_key == "7000"
    assert context.custom_headers == {}
    assert context.worker == "test-worker"
    assert context.tenant_id == "<default>"
    assert context.kind == "BPMN_ELEMENT"
    assert context.tags == ()
    assert context.deadline == job.deadline


def test_variables_validate_into_a_pydantic_model() -> None:
    context = JobContext(job=make_job("1", order_id="A", total=3), log=cast(Any, logger))
    assert context.variables_as(Order) == Order(order_id="A", total=3.0)
    with pytest.raises(pydantic.ValidationError):
        JobContext(job=make_job("1"), log=cast(Any, logger)).variables_as(Order)


def test_the_repr_leaves_variables_out() -> None:
    context = JobContext(job=make_job("1", password="hunter2"), log=cast(Any, logger))
    assert "hunter2" not in repr(context)
    assert "job_key='1'" in repr(context)


def test_async_job_context_is_the_connected_context() -> None:
    assert AsyncJobContext is ConnectedJobContext


@pytest.mark.asyncio
async def test_the_async_client_notes_when_the_handler_acknowledges_its_own_job() -> None:
    fake = FakeAsyncClient()
    tracker = AsyncTrackingClient(cast(Any, fake), "7")
    await tracker.complete_job("8")  # another job: not this one's acknowledgement
    assert not tracker.acknowledged
    await tracker.fail_job("7", retries=1)
    assert tracker.acknowledged
    assert "7" in fake.failed
    await tracker.update_job("7", timeout=5)  # anything else is forwarded
    assert fake.updates == [("7", {"timeout": 5})]
    await tracker.aclose()
    assert not fake.closed  # the worker's client is not the handler's to close


@pytest.mark.asyncio
async def test_a_failed_acknowledgement_by_the_handler_is_not_noted() -> None:
    fake = FakeAsyncClient()
    fake.ack_errors["error"].append(RuntimeError("503"))
    tracker = AsyncTrackingClient(cast(Any, fake), "7")
    with pytest.raises(RuntimeError):
        await tracker.throw_job_error("7", error_code="X")
    assert not tracker.acknowledged


def test_the_sync_client_is_built_on_first_use_only() -> None:
    built: list[FakeSyncClient] = []

    def factory() -> Any:
        built.append(FakeSyncClient())
        return built[-1]

    tracker = SyncTrackingClient(factory, "5")
    assert built == []
    tracker.complete_job(5, {"a": 1})  # keys given as numbers count too
    assert tracker.acknowledged
    assert built[0].completed == {5: {"a": 1}}
    tracker.close()
    assert not built[0].closed
    assert len(built) == 1


def test_the_sync_context_carries_a_client() -> None:
    tracker = SyncTrackingClient(FakeSyncClient, "5")
    context = SyncJobContext(job=make_job("5"), log=cast(Any, logger), client=cast(Any, tracker))
    assert context.client is cast(Any, tracker)
