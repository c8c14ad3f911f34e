"""Activation batching at odd capacities (1, 2, 3, 129, 4096) and with a linger of a minute: no
stall, never more than the free slots asked for, never 0 (``worker/_poller.py``).
"""

from __future__ import annotations

import random
from typing import Any

import anyio
import pytest
from conftest import FakeAsyncClient, await_until, make_job

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker, _poller

LIMIT = 30.0  # seconds: every wait is bounded by this


class _RecordingClient(FakeAsyncClient):
    """Records, with each activation, the worker's free slots when it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.worker: JobWorker | None = None
        self.free_when_asked: list[int] = []

    async def activate_jobs(self, *, max_jobs_to_activate: int, **kwargs: Any) -> Any:
        assert self.worker is not None
        self.free_when_asked.append(self.worker.stats.free_capacity)
        return await super().activate_jobs(max_jobs_to_activate=max_jobs_to_activate, **kwargs)


@pytest.mark.asyncio
@pytest.mark.parametrize("capacity", [1, 2, 3, 129, 4096])
@pytest.mark.parametrize("linger", ["default", "long"])
async def test_every_job_completes_and_each_activation_asks_for_free_slots_only(
    capacity: int, linger: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if linger == "long":  # only the batch size (and an idle worker) can end the wait
        monkeypatch.setattr(_poller, "ACTIVATION_LINGER", 60.0)
    jobs = max(3 * capacity, 40) if capacity < 4096 else capacity + 500
    fake = _RecordingClient()
    rng = random.Random(capacity)
    delays = {str(key): rng.choice((0, 0, 0.001, 0.003)) for key in range(jobs)}

    async def handler(job: Any) -> None:
        if delays[job.job_key]:
            await anyio.sleep(delays[job.job_key])

    fake.add(*(make_job(key) for key in range(jobs)))
    worker = JobWorker(
        handler,
        WorkerConfig("work", job_timeout_milliseconds=60_000, max_concurrent_jobs=capacity),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        execution_strategy="async",
    )
    fake.worker = worker
    async with worker:
        await await_until(lambda: fake.acknowledged() == jobs, LIMIT)
    asked = [activation["max_jobs_to_activate"] for activation in fake.activations]
    assert len(fake.completed) == jobs
    assert asked[0] == capacity  # the first activation asks for the whole capacity
    assert min(asked) >= 1
    assert max(asked) <= capacity
    assert all(want <= free for want, free in zip(asked, fake.free_when_asked, strict=True)), (
        "an activation asked for more than the free slots"
    )


@pytest.mark.asyncio
@pytest.mark.parametrize("capacity", [3, 129])
async def test_jobs_trickling_in_while_slow_jobs_hold_slots_do_not_wait_for_a_batch(
    capacity: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All but one slot held by handlers that never end on their own: a batch never comes, so
    # each trickled job must be taken by the linger (the default 10 ms), one by one.
    hold = anyio.Event()
    fake = FakeAsyncClient()

    async def handler(job: Any) -> None:
        if job.job_key.startswith("slow"):
            await hold.wait()

    fake.add(*(make_job(f"slow{key}") for key in range(capacity - 1)))
    worker = JobWorker(
        handler,
        WorkerConfig("work", job_timeout_milliseconds=60_000, max_concurrent_jobs=capacity),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        execution_strategy="async",
    )
    async with worker:
        await await_until(lambda: worker.stats.in_flight == capacity - 1, LIMIT)
        for key in range(5):
            fake.add(make_job(f"quick{key}"))
            await await_until(lambda key=key: f"quick{key}" in fake.completed, LIMIT)
        hold.set()
        await await_until(lambda: fake.acknowledged() == capacity - 1 + 5, LIMIT)
    asked = [activation["max_jobs_to_activate"] for activation in fake.activations]
    assert min(asked) >= 1
    assert max(asked) <= capacity
