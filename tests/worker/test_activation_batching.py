"""Activations come in batches under load: a quarter of the capacity (32 at most), or a linger."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from anyio.lowlevel import checkpoint
from conftest import FakeAsyncClient, await_until, make_job

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker, _poller
from camunda_worker.worker._capacity import Capacity


async def settle() -> None:
    for _ in range(20):
        await checkpoint()


@pytest.mark.asyncio
async def test_waits_for_a_batch_of_free_slots_while_jobs_are_in_flight() -> None:
    capacity = Capacity(8)
    slots = [capacity.take(make_job(key)) for key in range(8)]
    returned = anyio.Event()

    async def wait() -> None:
        await capacity.wait_free(batch=2, linger=60)
        returned.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(wait)
        slots[0].release()
        await settle()
        assert not returned.is_set()  # one free slot is not a batch yet
        slots[1].release()
        with anyio.fail_after(10):
            await returned.wait()
    assert capacity.free == 2


@pytest.mark.asyncio
async def test_a_lone_free_slot_waits_at_most_the_linger() -> None:
    capacity = Capacity(8)
    slots = [capacity.take(make_job(key)) for key in range(8)]
    slots[0].release()
    with anyio.fail_after(10):
        await capacity.wait_free(batch=4, linger=0.01)
    assert capacity.free == 1


@pytest.mark.asyncio
async def test_an_idle_worker_polls_at_once() -> None:
    capacity = Capacity(8)
    with anyio.fail_after(10):
        await capacity.wait_free(batch=8, linger=60)
        slot = capacity.take(make_job(1))
        slot.release()
        await capacity.wait_free(batch=8, linger=60)  # nothing in flight: no batch to wait for


@pytest.mark.asyncio
async def test_under_load_every_activation_asks_for_a_quarter_of_the_capacity(
    fake: FakeAsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_poller, "ACTIVATION_LINGER", 60.0)  # only the batch size decides
    fake.add(*(make_job(key) for key in range(60)))
    worker = JobWorker(
        lambda job: None,
        WorkerConfig("work", job_timeout_milliseconds=30_000, max_concurrent_jobs=8),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        execution_strategy="async",
    )
    async with worker:
        await await_until(lambda: fake.acknowledged() == 60)
    asked: list[Any] = [activation["max_jobs_to_activate"] for activation in fake.activations]
    assert asked[0] == 8
    assert min(asked) >= 2
    assert len(asked) < 60 / 2  # far fewer activations than jobs


@pytest.mark.asyncio
async def test_a_large_capacity_activates_once_32_slots_are_free(
    fake: FakeAsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 512 in flight a quarter is 128 slots: freed slots stood idle for the whole linger.
    monkeypatch.setattr(_poller, "ACTIVATION_LINGER", 60.0)  # only the batch size decides
    ends = {str(key): anyio.Event() for key in range(1024)}

    async def handler(job: Any) -> None:
        await ends[job.job_key].wait()

    fake.add(*(make_job(key) for key in range(1024)))
    worker = JobWorker(
        handler,
        WorkerConfig("work", job_timeout_milliseconds=30_000, max_concurrent_jobs=512),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        execution_strategy="async",
    )
    async with worker:
        await await_until(lambda: worker.stats.in_flight == 512)
        for key in range(31):
            ends[str(key)].set()
        await await_until(lambda: fake.acknowledged() == 31)
        await settle()
        assert len(fake.activations) == 1  # 31 free slots are not a batch yet
        ends["31"].set()
        await await_until(lambda: len(fake.activations) == 2)
        assert fake.activations[1]["max_jobs_to_activate"] == 32
        for end in ends.values():
            end.set()
        await await_until(lambda: fake.acknowledged() == 1024)
