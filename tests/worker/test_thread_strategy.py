"""The thread strategy: a pool sized to max_concurrent_jobs, lazy, with a sync client per worker."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from conftest import FakeAsyncClient, make_job, wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker
from camunda_worker.worker._thread_runner import HandlerThreads


def build(fake: FakeAsyncClient, handler: Any, **kwargs: Any) -> JobWorker:
    return JobWorker(
        handler,
        WorkerConfig(job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=4),
        client=fake,  # type: ignore[arg-type]
        settings=CamundaSettings(),
        **kwargs,
    )


def pool_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("camunda-worker[work]_")]


def test_handlers_run_concurrently_in_a_pool_sized_to_max_concurrent_jobs(
    fake: FakeAsyncClient,
) -> None:
    barrier = threading.Barrier(4, timeout=10)
    names: set[str] = set()

    def handler(job: Any) -> None:
        names.add(threading.current_thread().name)
        barrier.wait()  # only passes if four handlers run at the same time

    fake.add(*(make_job(i) for i in range(4)))
    with build(fake, handler):
        wait_until(lambda: fake.acknowledged() == 4)
    assert len(names) == 4
    assert all(name.startswith("camunda-worker[work]_") for name in names)
    assert fake.failed == {}


def test_no_thread_is_started_before_the_first_job_and_none_is_left_after(
    fake: FakeAsyncClient,
) -> None:
    worker = build(fake, lambda job: None)
    with worker:
        wait_until(lambda: len(fake.activations) >= 1)
        assert pool_threads() == []
        fake.add(make_job(1))
        wait_until(lambda: fake.acknowledged() == 1)
        assert len(pool_threads()) == 1
    assert pool_threads() == []


def test_a_sync_callable_that_returns_a_coroutine_is_awaited_on_the_loop(
    fake: FakeAsyncClient,
) -> None:
    async def real_handler(job: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"awaited": True}

    worker = build(fake, lambda job: real_handler(job))  # noqa: PLW0108 - hides the coroutine
    assert worker.strategy == "thread"
    fake.add(make_job(1))
    with worker:
        wait_until(lambda: fake.acknowledged() == 1)
    assert fake.completed == {"1": {"awaited": True}}


def test_the_sync_client_shares_the_workers_address_is_built_lazily_and_closed_with_it(
    fake: FakeAsyncClient,
) -> None:
    seen: list[Any] = []

    def handler(job: Any) -> dict[str, Any]:
        seen.append(job.client._target())
        return {"address": job.client.base_url}

    fake.add(make_job(1), make_job(2))
    worker = build(fake, handler)
    with worker:
        wait_until(lambda: fake.acknowledged() == 2)
    assert fake.completed["1"] == {"address": fake.base_url}
    assert seen[0] is seen[1]  # one sync client per worker, shared by its threads
    assert seen[0]._http.is_closed  # closed with the worker


def test_handler_threads_left_to_a_handler_keep_nothing_waiting() -> None:
    threads = HandlerThreads(1, "camunda-worker[left]")
    release = threading.Event()
    running = threads.submit(release.wait, 10)
    queued = threads.submit(lambda: "never run")
    wait_until(running.running)
    threads.shutdown(wait=False)  # returns at once, with the handler still running
    assert queued.cancelled()
    (thread,) = [t for t in threading.enumerate() if t.name == "camunda-worker[left]_0"]
    assert thread.daemon  # the interpreter's exit does not wait for it either
    release.set()
    assert running.result(10) is True
    thread.join(10)
    assert not thread.is_alive()
