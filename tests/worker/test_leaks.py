"""Create / start / close many times: no file descriptor, thread or child process is left behind."""

from __future__ import annotations

import multiprocessing
import os
import threading
from pathlib import Path
from typing import Any

import handlers
import pytest
from conftest import wait_until

from camunda_worker._config.settings import CamundaSettings
from camunda_worker._config.worker_config import WorkerConfig
from camunda_worker.worker import JobWorker

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="counting file descriptors needs /proc"
)


def resources() -> tuple[int, set[tuple[int, str]], set[int]]:
    """Open file descriptors, live threads, live child processes."""
    return (
        len(os.listdir("/proc/self/fd")),
        {(thread.ident or 0, thread.name) for thread in threading.enumerate()},
        {child.pid or 0 for child in multiprocessing.active_children()},
    )


def nothing_more_than(before: tuple[int, set[tuple[int, str]], set[int]]) -> bool:
    """No extra descriptor, thread or child (other tests' idle threads may end meanwhile)."""
    fds, threads, children = resources()
    return fds <= before[0] and threads <= before[1] and children <= before[2]


def assert_nothing_left(before: tuple[int, set[tuple[int, str]], set[int]]) -> None:
    # Waiting *up to* a bound: a closed socket's other end, in this process, goes a moment later.
    wait_until(lambda: nothing_more_than(before), timeout=10)


def cycle(
    client: Any, settings: CamundaSettings, handler: Any = handlers.pid, **kwargs: Any
) -> JobWorker:
    worker = JobWorker(
        handler,
        WorkerConfig(job_type="leak", job_timeout_milliseconds=10_000),
        client=client,
        settings=settings,
        **kwargs,
    )
    with worker:
        pass
    return worker


def test_a_thousand_create_start_close_cycles_leave_nothing_behind(client: Any) -> None:
    settings = CamundaSettings()
    for _ in range(5):  # warm up: lazily created process-wide things (e.g. logging handlers)
        cycle(client, settings)
    before = resources()
    for _ in range(1000):
        cycle(client, settings)
    assert_nothing_left(before)


@pytest.mark.parametrize("strategy", ["async", "thread", "process"])
def test_cycles_that_run_jobs_release_their_pools(engine: Any, client: Any, strategy: str) -> None:
    settings = CamundaSettings()
    handler = handlers.complete_async if strategy == "async" else handlers.complete
    kwargs: dict[str, Any] = {"execution_strategy": strategy}
    if strategy == "process":
        kwargs.update(process_start_method="fork", process_pool_size=1)

    def run_one() -> None:
        engine.create_job("leak")
        worker = JobWorker(
            handler,
            WorkerConfig(job_type="leak", job_timeout_milliseconds=10_000),
            client=client,
            settings=settings,
            **kwargs,
        )
        with worker:
            wait_until(lambda: worker.stats.completed == 1)

    run_one()
    before = resources()
    for _ in range(5 if strategy == "process" else 30):
        run_one()
    assert_nothing_left(before)


def test_a_worker_that_builds_its_own_client_closes_it(engine: Any) -> None:
    """No client given: the worker builds one from the settings and closes it when it stops."""
    from camunda_worker.engine import EngineServer

    # Short timeouts: a closed worker's long poll lingers in the engine until its request
    # timeout and may take the next job, which then comes back after its job timeout.
    config = WorkerConfig(
        job_type="leak", job_timeout_milliseconds=500, request_timeout_milliseconds=100
    )

    def run_one(settings: CamundaSettings) -> None:
        engine.create_job("leak")
        worker = JobWorker(handlers.complete, config, settings=settings)
        with worker:
            wait_until(lambda: worker.stats.completed == 1)

    with EngineServer(engine) as server:
        settings = CamundaSettings(rest_address=server.url)
        run_one(settings)
        before = resources()
        for _ in range(5):
            run_one(settings)
        assert_nothing_left(before)
